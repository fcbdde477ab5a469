"""The embedded store: SQLite in WAL mode, no server, safe for several processes at once.

WAL lets readers go on while one writer writes; write transactions start with BEGIN IMMEDIATE so
two writers (the API server and a CLI import) queue on the busy timeout instead of deadlocking.
`synchronous=FULL` makes every commit durable before it returns; a process killed mid-transaction
leaves nothing of that transaction (SQLite's journal), which `tests/graph/test_sqlite_durability.py`
proves with real child processes killed by SIGKILL.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path as FsPath
from typing import Any, TypeVar

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
from graph.sqlite import sql
from graph.store import (
    Counts,
    Direction,
    Filter,
    GraphStore,
    LoadProgress,
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
    read_ahead,
    rebuild_node,
    rebuild_rel,
    sort_neighbours,
    sort_paths,
)

N = TypeVar("N", bound=Node)
T = TypeVar("T")

_POOL_SIZE = 8
_RETRIES = 5
_ANALYSIS_LIMIT = 1_000  # rows ANALYZE samples per index: enough for the planner, fast at any size
_LOAD_CHECKPOINT_PAGES = 10_000  # 40 MiB of WAL between checkpoints during a bulk load (default 1,000)
_BUILD_CACHE_KIB = 256 * 1024  # page cache of the connection that builds a new store beside the old
_LOADING = ".loading-"  # <store>.loading-<pid>: a store being built by a bulk load (decision 0009)
# Memory per connection (at most _POOL_SIZE are kept): a page cache of 64 MiB of heap, and reads of
# the first 2 GiB of the file through a memory map. The map is address space, not heap: its pages
# are the OS page cache, shared by every connection and process and given back under memory
# pressure, and a page read through it costs no system call or copy. SQLite caps the map at its
# compile-time maximum (usually 0x7fff0000 bytes); pages beyond it, and pages still in the WAL, are
# read as before. The cost: an I/O error on the file arrives as a signal, not an exception.
_CACHE_KIB = 65_536
_MMAP_BYTES = 2 * 1024**3


def _operational_error(exc: sqlite3.OperationalError, what: str) -> StoreError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreBusy(f"{what}: the store is busy with another writer: {exc}")
    return StoreError(f"{what}: {exc}")


def _constraint_error(exc: sqlite3.IntegrityError, what: str) -> ConstraintViolation:
    text = str(exc)
    if "NOT NULL constraint failed: rels" in text:
        return ConstraintViolation(f"{what}: an endpoint does not exist", cause=text)
    if "UNIQUE constraint failed" in text or "uq_" in text:
        # SQLite names the column: "ix_Resource.code" (a unique property) or "nodes.label, nodes.key".
        column = text.rpartition(":")[2].strip()
        if column.startswith("ix_"):
            return ConstraintViolation(
                f"{what}: another {column.removeprefix('ix_')} has the same value", cause=text
            )
        return ConstraintViolation(f"{what}: a node with the same key or unique value exists", cause=text)
    return ConstraintViolation(f"{what}: {text}", cause=text)


class SqliteUnitOfWork(UnitOfWork):
    """One SQLite transaction on one connection."""

    def __init__(self, conn: sqlite3.Connection, *, write: bool, managed: bool = False) -> None:
        self._conn = conn
        self._write = write
        self._managed = managed
        self._open = False
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.OperationalError as exc:
            raise _operational_error(exc, "begin transaction") from exc
        self._open = True

    # -- plumbing ------------------------------------------------------------------------------
    def _exec(self, statement: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        if not self._open:
            raise TransactionClosed("this unit of work is already committed or rolled back")
        try:
            return self._conn.execute(statement, params)
        except sqlite3.OperationalError as exc:
            raise _operational_error(exc, statement.split(" ", 1)[0].lower()) from exc

    def _require_write(self) -> None:
        if not self._write:
            raise ReadOnlyTransaction("this unit of work was opened for reading (write=False)")

    def _refs(self, nids: Iterable[int]) -> dict[int, tuple[str, dict[str, Any]]]:
        ids = list(set(nids))
        rows = self._exec(
            "SELECT nid, label, props FROM nodes WHERE nid IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        ).fetchall()
        return {nid: (label, json.loads(props)) for nid, label, props in rows}

    # -- nodes ----------------------------------------------------------------------------------
    def _fail(self, error: StoreError) -> StoreError:
        """End the unit of work on a failed write (as Neo4j does), so no half of it can commit."""
        if self._open:
            self._open = False
            self._conn.execute("ROLLBACK")
        return error

    def _write_node(self, node: Node, statement: str, what: str) -> None:
        """Write a node and its side-table row."""
        try:
            self._exec(statement, (node.LABEL, node.key, sql.node_json(node)))
            index = sql.upsert_index(type(node))
            if index is not None:
                self._exec(index, sql.index_values(node))
        except sqlite3.IntegrityError as exc:
            raise self._fail(_constraint_error(exc, f"{what} {node.ref}")) from exc

    def upsert(self, node: Node) -> None:
        self._require_write()
        self._write_node(node, sql.UPSERT_NODE, "upsert")

    def create(self, node: Node) -> None:
        self._require_write()
        self._write_node(node, sql.INSERT_NODE, "create")

    def update_if(self, node: Node, expected: dict[str, Any]) -> bool:
        self._require_write()
        check_filters(type(node), [Filter(k, Op.EQ, v) for k, v in expected.items()])
        statement, params = sql.compare_and_set(type(node), expected)
        try:
            cursor = self._exec(statement, [sql.node_json(node), node.key, *params])
            index = sql.upsert_index(type(node))
            if cursor.rowcount == 1 and index is not None:
                self._exec(index, sql.index_values(node))
        except sqlite3.IntegrityError as exc:
            raise self._fail(_constraint_error(exc, f"update {node.ref}")) from exc
        return cursor.rowcount == 1

    def get(self, cls: type[N], key: str) -> N | None:
        node_type(cls.LABEL)
        row = self._exec("SELECT props FROM nodes WHERE label = ? AND key = ?", (cls.LABEL, key)).fetchone()
        return None if row is None else cls.model_validate_json(row[0])

    def get_many(self, cls: type[N], keys: Iterable[str]) -> dict[str, N]:
        node_type(cls.LABEL)
        wanted = list(keys)
        if not wanted:
            return {}
        rows = self._exec(
            "SELECT key, props FROM nodes WHERE label = ? AND key IN (SELECT value FROM json_each(?))",
            (cls.LABEL, json.dumps(wanted)),
        ).fetchall()
        return {key: cls.model_validate_json(props) for key, props in rows}

    def find(
        self,
        cls: type[N],
        filters: Sequence[Filter] = (),
        order_by: Sequence[Order] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[N]:
        node_type(cls.LABEL)
        check_filters(cls, filters, order_by)
        statement, params = sql.select_nodes(cls, filters, order_by, limit, offset)
        return [cls.model_validate_json(row[0]) for row in self._exec(statement, params)]

    def count(self, cls: type[Node], filters: Sequence[Filter] = ()) -> int:
        node_type(cls.LABEL)
        check_filters(cls, filters)
        statement, params = sql.select_nodes(cls, filters, count=True)
        return int(self._exec(statement, params).fetchone()[0])

    def delete(self, ref: NodeRef) -> bool:
        self._require_write()
        node_type(ref.label)
        cursor = self._exec("DELETE FROM nodes WHERE label = ? AND key = ?", (ref.label, ref.key))
        return cursor.rowcount == 1

    def iter_all(self, cls: type[N]) -> Iterator[N]:
        node_type(cls.LABEL)
        cursor = self._exec("SELECT props FROM nodes WHERE label = ? ORDER BY key", (cls.LABEL,))
        for (props,) in cursor:
            yield cls.model_validate_json(props)

    # -- relationships --------------------------------------------------------------------------
    def relate(self, rel: Rel) -> None:
        self._require_write()
        try:
            self._exec(
                sql.UPSERT_REL,
                (
                    rel.start.label,
                    rel.start.key,
                    rel.TYPE,
                    rel.end.label,
                    rel.end.key,
                    sql.rel_json(rel),
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise self._fail(_constraint_error(exc, f"{rel.TYPE} {rel.start} -> {rel.end}")) from exc

    def unrelate(self, type_name: str, start: NodeRef, end: NodeRef) -> bool:
        self._require_write()
        (type_name,) = check_rel_types([type_name])
        cursor = self._exec(sql.DELETE_REL, (start.label, start.key, type_name, end.label, end.key))
        return cursor.rowcount == 1

    def neighbours(
        self,
        ref: NodeRef,
        rel_types: Sequence[str],
        direction: Direction = Direction.OUT,
        label: str | None = None,
    ) -> list[Neighbour]:
        return self.neighbours_many([ref], rel_types, direction, label)[ref]

    def neighbours_many(
        self,
        refs: Iterable[NodeRef],
        rel_types: Sequence[str],
        direction: Direction = Direction.OUT,
        label: str | None = None,
    ) -> dict[NodeRef, list[Neighbour]]:
        types = check_rel_types(rel_types)
        if label is not None:
            node_type(label)
        keys = group_keys(refs)
        found: dict[NodeRef, list[Neighbour]] = {
            NodeRef(near_label, key): [] for near_label, near_keys in keys.items() for key in near_keys
        }
        for near_label, near_keys in keys.items():
            for outgoing in direction.outgoing_flags():
                statement, params = sql.neighbours_sql(near_label, near_keys, types, outgoing, label)
                for key, type_name, rel_props, far_label, far_props in self._exec(statement, params):
                    near = NodeRef(near_label, key)
                    far = node_type(far_label).model_validate_json(far_props)
                    start, end = (near, far.ref) if outgoing else (far.ref, near)
                    rel = rebuild_rel(type_name, start, end, json.loads(rel_props))
                    found[near].append(Neighbour(rel, far))
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
        node_type(start.label)
        if end_label is not None:
            node_type(end_label)
        arms = 2 if direction is Direction.BOTH else 1
        statement = sql.paths_sql(types, direction.value, max_depth)
        params = [start.label, start.key, *(list(types) * arms), min_depth]
        rows = self._exec(statement, params).fetchall()
        rows = [r for r in rows if end_label is None or r[3] == end_label]
        nodes = self._refs(int(n) for r in rows for n in r[1].split(","))
        refs = {
            nid: NodeRef(label, str(props[node_type(label).KEY])) for nid, (label, props) in nodes.items()
        }
        built = {nid: rebuild_node(label, props) for nid, (label, props) in nodes.items()}
        paths = []
        for _depth, node_ids, rels_json, _label in rows:
            path_nodes = tuple(built[int(n)] for n in node_ids.split(","))
            path_rels = tuple(
                rebuild_rel(type_name, refs[src], refs[dst], props)
                for src, type_name, dst, props in json.loads(rels_json)
            )
            paths.append(Path(path_nodes, path_rels))
        return sort_paths(paths)

    def iter_rels(self, rel_types: Sequence[str]) -> Iterator[Rel]:
        types = check_rel_types(rel_types)
        marks = ", ".join("?" for _ in types)
        cursor = self._exec(
            "SELECT a.label, a.key, r.type, b.label, b.key, r.props FROM rels r "
            "JOIN nodes a ON a.nid = r.src JOIN nodes b ON b.nid = r.dst "
            f"WHERE r.type IN ({marks}) ORDER BY r.type, r.src, r.dst",
            types,
        )
        for a_label, a_key, type_name, b_label, b_key, props in cursor:
            yield rebuild_rel(type_name, NodeRef(a_label, a_key), NodeRef(b_label, b_key), json.loads(props))

    # -- transaction ------------------------------------------------------------------------------
    def _end(self, *, commit: bool) -> None:
        statement = "COMMIT" if commit else "ROLLBACK"
        try:
            self._conn.execute(statement)
        except sqlite3.OperationalError as exc:
            raise _operational_error(exc, statement.lower()) from exc

    def _close(self) -> None:
        if self._open:
            self._open = False
            self._conn.execute("ROLLBACK")


class SqliteStore(GraphStore):
    """The embedded graph store in one SQLite file (plus its -wal and -shm files)."""

    # A bulk load into a store with fewer nodes than this builds its secondary indexes after loading.
    defer_indexes_below = 100_000

    def __init__(self, path: str | FsPath, *, create: bool = False, synchronous: str = "FULL") -> None:
        self.path = FsPath(path).expanduser()
        if synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise StoreError(f"synchronous must be FULL, NORMAL or EXTRA, not {synchronous!r}")
        self._synchronous = synchronous
        if not self.path.exists():
            if not create:
                raise StoreUnavailable(
                    f"no store at {self.path}: run `zhulian init` first", path=str(self.path)
                )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"cannot create {self.path.parent}: {exc.strerror}") from exc
        self._pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        conn = self._connect()
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailable(f"{self.path} is not a Zhulian store: {exc}") from exc
        if mode.lower() != "wal":
            raise StoreUnavailable(f"cannot put {self.path} in WAL mode (got {mode})")
        self._release(conn)

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open {self.path}: {exc}") from exc
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
            conn.execute("PRAGMA temp_store = MEMORY")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreUnavailable(f"{self.path} is not a Zhulian store: {exc}") from exc
        return conn

    def _acquire(self) -> sqlite3.Connection:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            return self._connect()

    def _release(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if self._pool.qsize() < _POOL_SIZE:
            self._pool.put(conn)
        else:
            conn.close()

    @contextmanager
    def _transaction(self, *, write: bool, managed: bool) -> Iterator[SqliteUnitOfWork]:
        conn = self._acquire()
        try:
            uow = SqliteUnitOfWork(conn, write=write, managed=managed)
            try:
                yield uow
            finally:
                uow._close()
        finally:
            self._release(conn)

    def unit_of_work(self, *, write: bool = True) -> AbstractContextManager[UnitOfWork]:
        return self._transaction(write=write, managed=False)

    def run(self, fn: Callable[[UnitOfWork], T], *, write: bool = True) -> T:
        delay = 0.05
        for attempt in range(_RETRIES):
            try:
                with self._transaction(write=write, managed=True) as uow:
                    result = fn(uow)
                    uow._finish(commit=True)
                    return result
            except StoreBusy:
                if attempt == _RETRIES - 1:
                    raise
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def ensure_schema(self) -> None:
        with self._transaction(write=True, managed=False) as uow:
            for statement in sql.TABLES:
                uow._exec(statement)
            row = uow._exec("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else sql.SCHEMA_VERSION
            if version < 2:
                # Version 1 kept partial JSON expression indexes on `nodes`; side tables replace them.
                old = uow._exec(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'nodes' "
                    "AND (name LIKE 'ix\\_%' ESCAPE '\\' OR name LIKE 'uq\\_%' ESCAPE '\\')"
                ).fetchall()
                for (name,) in old:
                    uow._exec(f'DROP INDEX "{name}"')
            for label, table, indexes in sql.index_tables():
                exists = uow._exec(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (f"ix_{label}",)
                ).fetchone()
                uow._exec(table)
                if exists is None:
                    uow._exec(sql.backfill_index(NODE_TYPES[label]))
                for statement in indexes:
                    uow._exec(statement)
            uow._exec("DELETE FROM meta WHERE key = 'indexes_deferred'")  # all indexes exist again
            uow._exec(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(sql.SCHEMA_VERSION),),
            )
            uow.commit()
        self.refresh_statistics()

    def _require_schema(self, conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'nodes'").fetchone()
        if row is None:
            raise StoreUnavailable(f"{self.path} has no schema: run `zhulian init`")

    def schema(self) -> SchemaInfo:
        conn = self._acquire()
        try:
            self._require_schema(conn)
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
            ).fetchall()
        finally:
            self._release(conn)
        info = SchemaInfo()
        info.constraints.append("UNIQUE nodes(label, key)")
        for (name,) in rows:
            (info.constraints if name.startswith("uq_") else info.indexes).append(name)
        return info

    def counts(self) -> Counts:
        conn = self._acquire()
        try:
            self._require_schema(conn)
            node_rows = conn.execute("SELECT label, count(*) FROM nodes GROUP BY label").fetchall()
            rel_rows = conn.execute("SELECT type, count(*) FROM rels GROUP BY type").fetchall()
        finally:
            self._release(conn)
        nodes = dict.fromkeys(sorted(NODE_TYPES), 0) | dict(node_rows)
        rels = dict.fromkeys(sorted(REL_TYPES), 0) | dict(rel_rows)
        return Counts(nodes=nodes, rels=rels)

    @classmethod
    def prepare_batch(cls, items: Sequence[Node | Rel]) -> PreparedBatch:
        nodes: list[tuple[str, str, str]] = []
        indexed: dict[str, list[tuple[Any, ...]]] = {}
        rels: list[tuple[str, str, str, str, str, str]] = []
        for item in items:
            if isinstance(item, Node):
                nodes.append((item.LABEL, item.key, sql.node_json(item)))
                if sql.indexed_fields(type(item)):
                    indexed.setdefault(item.LABEL, []).append(sql.index_values(item))
            else:
                start, end = item.start, item.end
                rels.append((start.label, start.key, item.TYPE, end.label, end.key, sql.rel_json(item)))
        return PreparedBatch(len(nodes), len(rels), (nodes, indexed, rels))

    # A bulk load into an empty store that no other connection has open builds the new store in a
    # file beside it and swaps it in (decision 0009). Tests of the in-place path turn this off.
    load_beside_when_empty = True

    def load_prepared(
        self, batches: Iterable[PreparedBatch], progress: Callable[[LoadProgress], None] | None = None
    ) -> LoadProgress:
        """Write prepared batches.

        Into an empty store that nobody else has open (`zhulian seed`, `zhulian demo`, the
        benchmarks), the load builds a new database file beside the store and swaps it in with one
        rename, as `neo4j-admin import` builds a new database: no journal, one transaction, indexes
        built after the rows, then an atomic replace. The load is all or nothing: if it fails or the
        process dies, the store is exactly as it was (empty) and the half-built file is removed by
        the next load. Otherwise (data already there, or another connection open) batches are
        written in place, one transaction each, as `GraphStore.load_prepared` says.

        In place, into a (nearly) empty store, the non-unique side-table indexes are still built
        after the load (decision 0008): inserting rows one by one into indexes whose keys come in
        random order (ID numbers, names, timestamps) dirtied a page per row. If the process dies
        during such a load, the indexes are missing until the next bulk load or `ensure_schema`
        (`zhulian init`) builds them; queries stay correct meanwhile, only slower.
        """
        self._remove_stale_builds()
        batches = read_ahead(batches)
        meta = self._empty_and_alone() if self.load_beside_when_empty else None
        if meta is not None:
            return self._load_beside(batches, progress, meta)
        deferred = self._defer_indexes()
        try:
            return super().load_prepared(batches, progress)
        finally:
            if deferred:
                self._build_indexes()
            self.refresh_statistics(exact=deferred)

    # -- building a new store beside an empty one ------------------------------------------------
    @property
    def _wal_path(self) -> FsPath:
        return self.path.with_name(self.path.name + "-wal")

    def _close_pool(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return

    def _empty_and_alone(self) -> list[tuple[str, str]] | None:
        """The store's meta rows if it holds no nodes or relationships and no other connection has
        it open; else None.

        SQLite deletes the WAL file when the last connection to a store closes, so once this
        store's own connections are closed, a WAL file left means somebody else has it open.
        """
        conn = self._acquire()
        try:
            self._require_schema(conn)
            used = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM nodes) OR EXISTS (SELECT 1 FROM rels)"
            ).fetchone()
            meta = [(str(k), str(v)) for k, v in conn.execute("SELECT key, value FROM meta").fetchall()]
        finally:
            self._release(conn)
        if used[0]:
            return None
        self._close_pool()
        return None if self._wal_path.exists() else meta

    def _remove_stale_builds(self) -> None:
        """Remove files of bulk loads whose process is gone (killed mid-load)."""
        for stale in self.path.parent.glob(f"{self.path.name}{_LOADING}*"):
            pid = stale.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and _process_alive(int(pid)):
                continue
            stale.unlink(missing_ok=True)

    def _load_beside(
        self,
        batches: Iterable[PreparedBatch],
        progress: Callable[[LoadProgress], None] | None,
        meta: list[tuple[str, str]],
    ) -> LoadProgress:
        building = self.path.with_name(f"{self.path.name}{_LOADING}{os.getpid()}")
        conn = sqlite3.connect(building, isolation_level=None, check_same_thread=False)
        done = LoadProgress(0, 0, 0)
        try:
            # No journal: the file is not the store until the rename, so a failed load is simply
            # deleted. Foreign keys are not checked row by row: every relationship's endpoints are
            # looked up by (label, key) and a missing one fails the row's NOT NULL constraint.
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "locking_mode = EXCLUSIVE"):
                conn.execute(f"PRAGMA {pragma}")
            conn.execute(f"PRAGMA cache_size = -{_BUILD_CACHE_KIB}")
            conn.execute("PRAGMA foreign_keys = OFF")
            for statement in sql.TABLES:
                if not statement.startswith("CREATE INDEX"):  # built after the rows
                    conn.execute(statement)
            for _label, table, indexes in sql.index_tables():
                conn.execute(table)
                for statement in indexes:  # unique ones enforce their constraint during the load
                    if statement.startswith("CREATE UNIQUE"):
                        conn.execute(statement)
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta)
            conn.execute("BEGIN")
            for batch in batches:
                try:
                    _write_rows(conn, batch)
                except StoreError as exc:
                    exc.message = f"bulk load batch {done.batches + 1}: {exc.message}"
                    exc.args = (exc.message,)
                    raise
                done = LoadProgress(done.nodes + batch.nodes, done.rels + batch.rels, done.batches + 1)
                if progress is not None:
                    progress(done)
            conn.execute("COMMIT")
            for statement in sql.TABLES:
                conn.execute(statement)  # the relationship indexes (CREATE ... IF NOT EXISTS)
            for _label, _table, indexes in sql.index_tables():
                for statement in indexes:
                    conn.execute(statement)
            conn.execute("ANALYZE")  # exact statistics (refresh_statistics says why)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot put the new store in WAL mode (got {mode})")
            conn.close()
            self._swap_in(building)
        except sqlite3.OperationalError as exc:
            conn.close()
            building.unlink(missing_ok=True)
            raise _operational_error(exc, "load") from exc
        except BaseException:
            conn.close()
            building.unlink(missing_ok=True)
            raise
        return done

    def _swap_in(self, building: FsPath) -> None:
        """Make the built file the store: flushed to disk, then one atomic rename."""
        _fsync(building)
        self._close_pool()
        if self._wal_path.exists():
            raise StoreBusy(
                "另一进程在载入期间打开了数据库，未载入任何数据；请停止该进程后重试 / another process "
                f"opened {self.path} during the bulk load, so nothing was loaded: stop it and load again"
            )
        os.replace(building, self.path)
        _fsync_directory(self.path.parent)

    def refresh_statistics(self, *, exact: bool = False) -> None:
        """Update the query planner's statistics (ANALYZE).

        Without them SQLite cannot tell a selective side-table index from a label scan, and picks
        scans: measured 20-50x slower finds on a seeded county (trace p50 12 ms -> 1.3 ms at 8,000
        households). Sampled statistics (`analysis_limit`) take milliseconds at any size but can be
        far off: on a 100,000-household store they put 500 relationships under each type instead
        of 40,000, and SQLite then built a Bloom filter over every relationship for each 3-hop walk
        (0.4 s instead of 0.5 ms). So a bulk load into an empty store, which sets the store's shape,
        counts exactly (2.1 s at 100,000 households); otherwise sampled statistics are only made
        where there are none yet, never over exact ones.
        """
        conn = self._acquire()
        try:
            if not exact:
                known = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
                ).fetchone()
                if known and conn.execute("SELECT EXISTS (SELECT 1 FROM sqlite_stat1)").fetchone()[0]:
                    return
            # Set either way: a pooled connection keeps the limit of its last use (0: no limit).
            conn.execute(f"PRAGMA analysis_limit = {0 if exact else _ANALYSIS_LIMIT}")
            conn.execute("ANALYZE")
        except sqlite3.OperationalError as exc:
            raise _operational_error(exc, "statistics") from exc
        finally:
            self._release(conn)

    def _defer_indexes(self) -> bool:
        """Drop the non-unique side-table indexes if the store is (nearly) empty; whether it did."""
        with self._transaction(write=True, managed=False) as uow:
            self._require_schema(uow._conn)
            small = uow._exec(
                "SELECT count(*) FROM (SELECT 1 FROM nodes LIMIT ?)", (self.defer_indexes_below,)
            ).fetchone()[0]
            if small >= self.defer_indexes_below:
                return False
            for name in sql.deferrable_indexes():
                uow._exec(f'DROP INDEX IF EXISTS "{name}"')
            uow._exec(
                "INSERT INTO meta (key, value) VALUES ('indexes_deferred', '1') "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )
            uow.commit()
        return True

    def _build_indexes(self) -> None:
        """Create every side-table index that is missing (one sort each)."""
        with self._transaction(write=True, managed=False) as uow:
            for _label, _table, indexes in sql.index_tables():
                for statement in indexes:
                    uow._exec(statement)
            uow._exec("DELETE FROM meta WHERE key = 'indexes_deferred'")
            uow.commit()
            # The indexes went through the WAL in one transaction; copy them into the database and
            # give the space back (a WAL file keeps its largest size otherwise). Best effort: a
            # reader still on an older snapshot only makes this a partial checkpoint.
            uow._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def load_batch(self, batch: PreparedBatch) -> None:
        with self._transaction(write=True, managed=False) as uow:
            conn = uow._conn
            # Fewer, larger checkpoints while loading: a page written by several batches is copied
            # into the database file once. Set back for whatever the connection does next.
            conn.execute(f"PRAGMA wal_autocheckpoint = {_LOAD_CHECKPOINT_PAGES}")
            try:
                _write_rows(conn, batch)
                uow.commit()
            finally:
                conn.execute("PRAGMA wal_autocheckpoint = 1000")

    def describe(self) -> str:
        return f"embedded SQLite store at {self.path}"

    def close(self) -> None:
        self._close_pool()


def _write_rows(conn: sqlite3.Connection, batch: PreparedBatch) -> None:
    """Insert one prepared batch: nodes, their side-table rows, then relationships."""
    nodes, indexed, rels = batch.rows
    try:
        conn.executemany(sql.UPSERT_NODE, nodes)
        for label, rows in indexed.items():
            conn.executemany(str(sql.upsert_index(NODE_TYPES[label])), rows)
        conn.executemany(sql.UPSERT_REL, rels)
    except sqlite3.IntegrityError as exc:
        raise _constraint_error(exc, "load") from exc
    except sqlite3.OperationalError as exc:
        raise _operational_error(exc, "load") from exc


def _process_alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill would end the process there; leave the file alone
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: FsPath) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(path: FsPath) -> None:
    """Make a rename in `path` durable (POSIX; elsewhere the rename is as durable as the OS makes it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
