"""The Neo4j store, through the official `neo4j` driver.

Managed transactions (`execute_read` / `execute_write`) carry `GraphStore.run`, so the driver
retries a function on transient errors and cluster leader changes; explicit transactions carry
`unit_of_work()`. `neo4j://` routing URIs and a database name are passed through unchanged, so an
Aura or cluster deployment needs no code change. All Cypher comes from `graph.neo4j.cypher`.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import neo4j
from neo4j import exceptions as neo4j_errors

from graph.errors import (
    ConstraintViolation,
    ReadOnlyTransaction,
    StoreBusy,
    StoreError,
    StoreUnavailable,
    TransactionClosed,
)
from graph.model.base import Node, NodeRef, Rel
from graph.model.registry import NODE_TYPES, REL_TYPES, node_type
from graph.neo4j import cypher
from graph.neo4j.cypher import Cypher
from graph.store import (
    Counts,
    Direction,
    Filter,
    GraphStore,
    Neighbour,
    Op,
    Order,
    Path,
    PreparedBatch,
    SchemaInfo,
    UnitOfWork,
    check_depth,
    check_filters,
    check_rel_types,
    group_keys,
    rebuild_node,
    rebuild_rel,
    sort_neighbours,
    sort_paths,
)

N = TypeVar("N", bound=Node)
T = TypeVar("T")


# Errors from the server (Neo4jError) and from the driver (DriverError: lost connections, expired
# sessions); both have is_retryable(), which execute_read/execute_write use to retry.
_FN_RETRIES = 8
_NEO4J_ERRORS = (neo4j_errors.Neo4jError, neo4j_errors.DriverError)


def _translate(exc: Exception, what: str) -> StoreError:
    if isinstance(exc, neo4j_errors.ConstraintError):
        return ConstraintViolation(f"{what}: a node with the same key or unique value exists", cause=str(exc))
    if isinstance(exc, (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired)):
        return StoreUnavailable(f"Neo4j unavailable during {what}: {exc}")
    if isinstance(exc, neo4j_errors.AuthError):
        return StoreUnavailable("Neo4j refused the credentials (ZHULIAN_NEO4J_USER/PASSWORD)")
    if isinstance(exc, _NEO4J_ERRORS) and exc.is_retryable():
        return StoreBusy(f"Neo4j could not complete {what} after retrying: {exc}")
    return StoreError(f"{what}: {exc}")


class Neo4jUnitOfWork(UnitOfWork):
    """Store operations on one Neo4j transaction (explicit or managed)."""

    def __init__(self, tx: Any, *, managed: bool, write: bool) -> None:
        self._tx = tx
        self._managed = managed
        self._write = write
        self._open = True

    def _require_write(self) -> None:
        if not self._write:
            raise ReadOnlyTransaction("this unit of work was opened for reading (write=False)")

    def _run(self, statement: Cypher, what: str) -> list[neo4j.Record]:
        if not self._open:
            raise TransactionClosed("this unit of work is already committed or rolled back")
        try:
            return list(self._tx.run(statement.text, statement.params))
        except _NEO4J_ERRORS as exc:
            if self._managed and exc.is_retryable():
                raise  # let execute_read/execute_write retry the whole function
            raise self._fail(_translate(exc, what)) from exc

    def _fail(self, error: StoreError) -> StoreError:
        """End the unit of work on a failed write: the server has failed the transaction already."""
        if self._open and not self._managed:
            with contextlib.suppress(*_NEO4J_ERRORS):  # the server may have ended it already
                self._tx.rollback()
        self._open = False
        return error

    def _count(self, statement: Cypher, what: str) -> int:
        rows = self._run(statement, what)
        return int(rows[0]["c"]) if rows else 0

    # -- nodes ------------------------------------------------------------------------------------
    def upsert(self, node: Node) -> None:
        self._require_write()
        self._run(cypher.upsert_node(node.LABEL, node.key, node.to_props()), f"upsert {node.ref}")

    def create(self, node: Node) -> None:
        self._require_write()
        self._run(cypher.create_node(node.LABEL, node.to_props()), f"create {node.ref}")

    def update_if(self, node: Node, expected: dict[str, Any]) -> bool:
        self._require_write()
        check_filters(type(node), [Filter(k, Op.EQ, v) for k, v in expected.items()])
        statement = cypher.compare_and_set(node.LABEL, node.key, node.to_props(), expected)
        return self._count(statement, f"update {node.ref}") == 1

    def get(self, cls: type[N], key: str) -> N | None:
        rows = self._run(cypher.get_node(cls.LABEL, key), f"get {cls.LABEL}")
        return cls.from_props(dict(rows[0]["p"])) if rows else None

    def get_many(self, cls: type[N], keys: Iterable[str]) -> dict[str, N]:
        wanted = list(keys)
        if not wanted:
            node_type(cls.LABEL)
            return {}
        rows = self._run(cypher.get_nodes(cls.LABEL, wanted), f"get {cls.LABEL}")
        nodes = [cls.from_props(dict(r["p"])) for r in rows]
        return {n.key: n for n in nodes}

    def find(
        self,
        cls: type[N],
        filters: Sequence[Filter] = (),
        order_by: Sequence[Order] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[N]:
        check_filters(cls, filters, order_by)
        rows = self._run(cypher.find_nodes(cls.LABEL, filters, order_by, limit, offset), f"find {cls.LABEL}")
        return [cls.from_props(dict(r["p"])) for r in rows]

    def count(self, cls: type[Node], filters: Sequence[Filter] = ()) -> int:
        check_filters(cls, filters)
        return self._count(cypher.count_nodes(cls.LABEL, filters), f"count {cls.LABEL}")

    def delete(self, ref: NodeRef) -> bool:
        self._require_write()
        return self._count(cypher.delete_node(ref.label, ref.key), f"delete {ref}") == 1

    def iter_all(self, cls: type[N]) -> Iterator[N]:
        for row in self._run(cypher.all_nodes(cls.LABEL), f"read {cls.LABEL}"):
            yield cls.from_props(dict(row["p"]))

    # -- relationships ----------------------------------------------------------------------------
    def _missing_endpoint(self, rel: Rel) -> ConstraintViolation:
        missing = [
            str(ref)
            for ref in (rel.start, rel.end)
            if self._count(cypher.node_exists(ref.label, ref.key), "check endpoint") == 0
        ]
        return ConstraintViolation(
            f"{rel.TYPE} {rel.start} -> {rel.end}: an endpoint does not exist ({', '.join(missing)})"
        )

    def relate(self, rel: Rel) -> None:
        self._require_write()
        statement = cypher.upsert_rel(
            rel.TYPE, rel.start.label, rel.start.key, rel.end.label, rel.end.key, rel.to_props()
        )
        if self._count(statement, f"{rel.TYPE} {rel.start} -> {rel.end}") == 0:
            raise self._fail(self._missing_endpoint(rel))

    def unrelate(self, type_name: str, start: NodeRef, end: NodeRef) -> bool:
        self._require_write()
        (type_name,) = check_rel_types([type_name])
        statement = cypher.delete_rel(type_name, start.label, start.key, end.label, end.key)
        return self._count(statement, f"delete {type_name}") == 1

    def neighbours(
        self,
        ref: NodeRef,
        rel_types: Sequence[str],
        direction: Direction = Direction.OUT,
        label: str | None = None,
    ) -> list[Neighbour]:
        types = check_rel_types(rel_types)
        result = []
        for outgoing in direction.outgoing_flags():
            statement = cypher.neighbours(ref.label, ref.key, types, outgoing, label)
            for row in self._run(statement, f"neighbours of {ref}"):
                far = rebuild_node(_model_label(row["bl"]), dict(row["bp"]))
                start, end = (ref, far.ref) if outgoing else (far.ref, ref)
                result.append(Neighbour(rebuild_rel(row["t"], start, end, dict(row["rp"])), far))
        return sort_neighbours(result)

    def neighbours_many(
        self,
        refs: Iterable[NodeRef],
        rel_types: Sequence[str],
        direction: Direction = Direction.OUT,
        label: str | None = None,
    ) -> dict[NodeRef, list[Neighbour]]:
        types = check_rel_types(rel_types)
        keys = group_keys(refs)
        found: dict[NodeRef, list[Neighbour]] = {
            NodeRef(near_label, key): [] for near_label, near_keys in keys.items() for key in near_keys
        }
        for near_label, near_keys in keys.items():
            for outgoing in direction.outgoing_flags():
                statement = cypher.neighbours_many(near_label, near_keys, types, outgoing, label)
                for row in self._run(statement, f"neighbours of {near_label} nodes"):
                    near = NodeRef(near_label, str(row["k"]))
                    far = rebuild_node(_model_label(row["bl"]), dict(row["bp"]))
                    start, end = (near, far.ref) if outgoing else (far.ref, near)
                    found[near].append(Neighbour(rebuild_rel(row["t"], start, end, dict(row["rp"])), far))
        return {ref: sort_neighbours(neighbours) for ref, neighbours in found.items()}

    def paths(
        self,
        start: NodeRef,
        rel_types: Sequence[str],
        direction: Direction = Direction.OUT,
        min_depth: int = 1,
        max_depth: int = 4,
        end_label: str | None = None,
    ) -> list[Path]:
        types = check_rel_types(rel_types)
        check_depth(min_depth, max_depth)
        statement = cypher.paths(
            start.label, start.key, types, direction.value, min_depth, max_depth, end_label
        )
        result = []
        for row in self._run(statement, f"paths from {start}"):
            by_element: dict[str, Node] = {}
            nodes = []
            for element_id, labels, props in row["ns"]:
                node = rebuild_node(_model_label(labels), dict(props))
                by_element[element_id] = node
                nodes.append(node)
            rels = tuple(
                rebuild_rel(type_name, by_element[s].ref, by_element[e].ref, dict(props))
                for type_name, s, e, props in row["rs"]
            )
            result.append(Path(tuple(nodes), rels))
        return sort_paths(result)

    def iter_rels(self, rel_types: Sequence[str]) -> Iterator[Rel]:
        for type_name in check_rel_types(rel_types):
            for start_label, end_label in sorted(REL_TYPES[type_name].ENDPOINTS):
                statement = cypher.all_rels(type_name, start_label, end_label)
                for row in self._run(statement, f"read {type_name}"):
                    yield rebuild_rel(
                        type_name,
                        NodeRef(start_label, str(row["s"])),
                        NodeRef(end_label, str(row["e"])),
                        dict(row["p"]),
                    )

    # -- transaction --------------------------------------------------------------------------------
    def _end(self, *, commit: bool) -> None:
        try:
            if commit:
                self._tx.commit()
            else:
                self._tx.rollback()
        except _NEO4J_ERRORS as exc:
            raise _translate(exc, "commit" if commit else "rollback") from exc


def _model_label(labels: Sequence[str]) -> str:
    """The model label among a node's labels (nodes written by Zhulian have exactly one)."""
    for label in labels:
        if label in NODE_TYPES:
            return label
    node_type(labels[0] if labels else "")
    raise AssertionError("unreachable")


class Neo4jStore(GraphStore):
    """A graph store on a Neo4j server, Aura instance or cluster."""

    def __init__(
        self, uri: str, *, user: str | None, password: str | None, database: str | None = None
    ) -> None:
        self.uri = uri
        self.database = database
        auth = (user, password or "") if user is not None else None
        try:
            self._driver = neo4j.GraphDatabase.driver(uri, auth=auth)
        except (neo4j_errors.DriverError, ValueError, OSError) as exc:
            raise StoreUnavailable(f"cannot reach Neo4j at {uri}: {exc}") from exc
        # A failed check leaves no store to close, so the driver is closed here.
        try:
            self._driver.verify_connectivity()
        except neo4j_errors.Neo4jError as exc:
            self._driver.close()
            raise _translate(exc, f"connect to {uri}") from exc
        except (neo4j_errors.DriverError, ValueError, OSError) as exc:
            self._driver.close()
            raise StoreUnavailable(f"cannot reach Neo4j at {uri}: {exc}") from exc

    def _session(self, write: bool) -> neo4j.Session:
        mode = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        return self._driver.session(database=self.database, default_access_mode=mode)

    @contextmanager
    def _explicit(self, write: bool) -> Iterator[Neo4jUnitOfWork]:
        with self._session(write) as session:
            try:
                tx = session.begin_transaction()
            except _NEO4J_ERRORS as exc:
                raise _translate(exc, "begin transaction") from exc
            uow = Neo4jUnitOfWork(tx, managed=False, write=write)
            try:
                yield uow
            finally:
                if uow._open:
                    uow._open = False
                    with contextlib.suppress(*_NEO4J_ERRORS):  # a lost connection rolls back anyway
                        tx.rollback()
                with contextlib.suppress(*_NEO4J_ERRORS):
                    tx.close()

    def unit_of_work(self, *, write: bool = True) -> AbstractContextManager[UnitOfWork]:
        return self._explicit(write)

    def run(self, fn: Callable[[UnitOfWork], T], *, write: bool = True) -> T:
        def work(tx: neo4j.ManagedTransaction) -> T:
            return fn(Neo4jUnitOfWork(tx, managed=True, write=write))

        # The driver retries its own transient errors; StoreBusy raised by `fn` (a compare-and-set
        # that lost a race) is retried here the same way the embedded store retries it.
        for attempt in range(_FN_RETRIES):
            with self._session(write) as session:
                try:
                    return session.execute_write(work) if write else session.execute_read(work)
                except _NEO4J_ERRORS as exc:
                    raise _translate(exc, "transaction") from exc
                except StoreBusy:
                    if attempt == _FN_RETRIES - 1:
                        raise
                    time.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable")

    def _write_all(self, statements: Iterable[Cypher]) -> None:
        def write(tx: neo4j.ManagedTransaction, statement: Cypher) -> None:
            tx.run(statement.text, statement.params).consume()

        with self._session(True) as session:
            for statement in statements:
                session.execute_write(write, statement)

    def ensure_schema(self) -> None:
        try:
            self._write_all(cypher.schema_statements())
        except _NEO4J_ERRORS as exc:
            raise _translate(exc, "schema set-up") from exc

    def _read(self, fn: Callable[[neo4j.ManagedTransaction], T], what: str) -> T:
        with self._session(False) as session:
            try:
                return session.execute_read(fn)
            except _NEO4J_ERRORS as exc:
                raise _translate(exc, what) from exc

    def _names(self, statement: Cypher) -> list[str]:
        rows = self._read(lambda tx: list(tx.run(statement.text, statement.params)), "read schema")
        return [str(r["name"]) for r in rows]

    def schema(self) -> SchemaInfo:
        return SchemaInfo(
            constraints=self._names(cypher.SHOW_CONSTRAINTS), indexes=self._names(cypher.SHOW_INDEXES)
        )

    def counts(self) -> Counts:
        def read(tx: neo4j.ManagedTransaction) -> Counts:
            def one(statement: Cypher) -> int:
                return int(tx.run(statement.text, statement.params).single(strict=True)["c"])

            nodes = {label: one(cypher.count_label(label)) for label in sorted(NODE_TYPES)}
            rels = {name: one(cypher.count_type(name)) for name in sorted(REL_TYPES)}
            return Counts(nodes=nodes, rels=rels)

        return self._read(read, "count")

    @classmethod
    def prepare_batch(cls, items: Sequence[Node | Rel]) -> PreparedBatch:
        nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        rels: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            if isinstance(item, Node):
                nodes[item.LABEL].append({"key": item.key, "props": item.to_props()})
            else:
                rels[(item.TYPE, item.start.label, item.end.label)].append(
                    {"start": item.start.key, "end": item.end.key, "props": item.to_props()}
                )
        n_nodes = sum(len(rows) for rows in nodes.values())
        return PreparedBatch(n_nodes, len(items) - n_nodes, (dict(nodes), dict(rels)))

    def load_batch(self, batch: PreparedBatch) -> None:
        nodes, rels = batch.rows

        def write(tx: neo4j.ManagedTransaction) -> None:
            for label, rows in nodes.items():
                statement = cypher.bulk_upsert_nodes(label, rows)
                tx.run(statement.text, statement.params).consume()
            for (type_name, start_label, end_label), rows in rels.items():
                statement = cypher.bulk_upsert_rels(type_name, start_label, end_label, rows)
                written = int(tx.run(statement.text, statement.params).single(strict=True)["c"])
                if written != len(rows):
                    raise ConstraintViolation(
                        f"{len(rows) - written} {type_name} relationships name a missing endpoint"
                    )

        with self._session(True) as session:
            try:
                session.execute_write(write)
            except _NEO4J_ERRORS as exc:
                raise _translate(exc, "load") from exc

    def describe(self) -> str:
        return f"Neo4j at {self.uri} (database {self.database or 'default'})"

    def close(self) -> None:
        self._driver.close()
