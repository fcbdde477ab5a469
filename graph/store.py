"""The store interface: the only door domain code has to the graph.

Two adapters implement it (`graph.sqlite`, the embedded default, and `graph.neo4j`) and one contract
suite (`tests/contract/`) holds them to the same behaviour.

A unit of work is one transaction. It commits only when asked (`uow.commit()`) and rolls back
otherwise, so an exception anywhere leaves the store as it was. `GraphStore.run(fn)` is the managed
form: it runs `fn(uow)` in a transaction, commits when `fn` returns, and retries `fn` on transient
failures (a busy SQLite file, a Neo4j leader switch), so `fn` must be safe to run again: upserts by
key, compare-and-set status changes, IDs made before the call.
"""

from __future__ import annotations

import enum
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

import networkx as nx

from graph.errors import InvalidQuery, StoreError, TransactionClosed
from graph.model.base import Node, NodeRef, Rel, format_timestamp
from graph.model.registry import NODE_TYPES, REL_TYPES, node_type, rel_type

N = TypeVar("N", bound=Node)
T = TypeVar("T")

MAX_PATH_DEPTH = 12
DEFAULT_BATCH_SIZE = 5_000


class Direction(enum.StrEnum):
    """Which way relationships are followed from a node."""

    OUT = "out"
    IN = "in"
    BOTH = "both"

    def outgoing_flags(self) -> tuple[bool, ...]:
        """For each side to follow, whether it is the outgoing one (BOTH: outgoing, then incoming)."""
        return {Direction.OUT: (True,), Direction.IN: (False,), Direction.BOTH: (True, False)}[self]


class Op(enum.StrEnum):
    """Comparison operators of property filters."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    IN = "in"  # the property's value is one of a list
    CONTAINS = "contains"  # the list property contains the value
    PREFIX = "prefix"  # the string property starts with the value
    IS_NULL = "is_null"  # value True: property missing/null; False: present


@dataclass(frozen=True, slots=True)
class Filter:
    """One condition on a property: `Filter("status", Op.EQ, "open")`."""

    field: str
    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class Order:
    """Sort by a property; missing values sort last in both directions."""

    field: str
    descending: bool = False


def where(**conditions: Any) -> list[Filter]:
    """Filters from keyword arguments: `where(status="open", created_at__lt=t, kind__in=[...])`."""
    filters = []
    for name, value in conditions.items():
        field_name, _, op = name.partition("__")
        try:
            filters.append(Filter(field_name, Op(op or "eq"), value))
        except ValueError:
            raise InvalidQuery(f"unknown filter operator {op!r} in {name!r}") from None
    return filters


def stored_value(value: Any) -> Any:
    """A filter value in the form properties are stored in (enums, dates and times as strings)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [stored_value(v) for v in value]
    return value


def check_filters(cls: type[Node], filters: Sequence[Filter], order_by: Sequence[Order] = ()) -> None:
    """Reject filters and orders on properties the model does not define (whitelist)."""
    names = cls.property_names()
    for f in filters:
        if f.field not in names:
            raise InvalidQuery(f"{cls.LABEL} has no property {f.field!r}", field=f.field)
        if f.op is Op.IN and not isinstance(f.value, (list, tuple, set, frozenset)):
            raise InvalidQuery(f"filter {f.field} in: value must be a list", field=f.field)
        if f.op is Op.IS_NULL and not isinstance(f.value, bool):
            raise InvalidQuery(f"filter {f.field} is_null: value must be true or false")
    for o in order_by:
        if o.field not in names:
            raise InvalidQuery(f"{cls.LABEL} has no property {o.field!r} to order by", field=o.field)


def check_rel_types(types: Sequence[str]) -> tuple[str, ...]:
    """Validate relationship type names against the model; at least one is required."""
    if not types:
        raise InvalidQuery("name at least one relationship type")
    return tuple(rel_type(t).TYPE for t in types)


def check_depth(min_depth: int, max_depth: int) -> None:
    """Validate path bounds (they are inlined into queries, so they must be plain small ints)."""
    if not (isinstance(min_depth, int) and isinstance(max_depth, int)):
        raise InvalidQuery("path depths must be integers")
    if not 0 <= min_depth <= max_depth <= MAX_PATH_DEPTH:
        raise InvalidQuery(f"path depths must satisfy 0 <= min <= max <= {MAX_PATH_DEPTH}")


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A relationship from (or to) a node and the node at its other end."""

    rel: Rel
    node: Node


@dataclass(frozen=True, slots=True)
class Path:
    """A path: `rels[i]` joins `nodes[i]` and `nodes[i + 1]` (in either direction)."""

    nodes: tuple[Node, ...]
    rels: tuple[Rel, ...]

    @property
    def end(self) -> Node:
        return self.nodes[-1]

    def __len__(self) -> int:
        return len(self.rels)


def sort_neighbours(found: Iterable[Neighbour]) -> list[Neighbour]:
    """Neighbours in a store-independent order: by relationship type, then the far node's label and key."""
    return sorted(found, key=lambda nb: (nb.rel.TYPE, nb.node.LABEL, nb.node.key))


def group_keys(refs: Iterable[NodeRef]) -> dict[str, list[str]]:
    """The keys of the given nodes by label, each once, labels checked against the model."""
    keys: dict[str, dict[str, None]] = {}
    for ref in refs:
        keys.setdefault(node_type(ref.label).LABEL, {})[ref.key] = None
    return {label: list(found) for label, found in keys.items()}


def sort_paths(paths: Iterable[Path]) -> list[Path]:
    """Paths in a store-independent order: shortest first, then by their nodes' keys."""
    return sorted(paths, key=lambda p: (len(p), [(n.LABEL, n.key) for n in p.nodes]))


@dataclass(frozen=True, slots=True)
class LoadProgress:
    """What a bulk load has written so far (committed, or built beside an empty store: decision 0009)."""

    nodes: int
    rels: int
    batches: int


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """One batch of load rows in a store's own form, with how many nodes and relationships it holds."""

    nodes: int
    rels: int
    rows: Any


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive chunks of at most `size` items."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_DONE = object()


def read_ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """The items of `items`, in order, read by a thread up to `depth` items ahead.

    For a bulk load: the next batch is read (from a queue or a file, and unpickled) while the
    current one is written; SQLite lets go of the GIL while it works, so the two run on two cores.
    An exception raised by `items` is raised here, where the item would have come.
    """
    ahead: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                ahead.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(_Raised(exc))
            return
        put(_DONE)

    reader = threading.Thread(target=read, name="read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            value = ahead.get()
            if value is _DONE:
                return
            if isinstance(value, _Raised):
                raise value.exc
            yield value
    finally:
        stop.set()
        reader.join()


@dataclass(slots=True)
class SchemaInfo:
    """Constraints and indexes a store has set up."""

    constraints: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Counts:
    """How many nodes per label and relationships per type a store holds."""

    nodes: dict[str, int]
    rels: dict[str, int]


def rebuild_rel(type_name: str, start: NodeRef, end: NodeRef, props: dict[str, Any]) -> Rel:
    """A relationship object from stored parts."""
    return rel_type(type_name).from_props(start, end, props)


def rebuild_node(label: str, props: dict[str, Any]) -> Node:
    """A node object from stored parts."""
    return node_type(label).from_props(props)


class UnitOfWork(ABC):
    """One transaction on the graph. Every method validates names against the model."""

    # -- nodes -------------------------------------------------------------------------------
    @abstractmethod
    def upsert(self, node: Node) -> None:
        """Create the node, or replace the properties of the node with the same label and key."""

    @abstractmethod
    def create(self, node: Node) -> None:
        """Create the node; ConstraintViolation if one with the same key or unique value exists."""

    @abstractmethod
    def update_if(self, node: Node, expected: dict[str, Any]) -> bool:
        """Compare-and-set: replace the stored node only if its properties equal `expected`.

        Returns False (and writes nothing) when the node is missing or a value differs.
        """

    @abstractmethod
    def get(self, cls: type[N], key: str) -> N | None:
        """The node of class `cls` with this key, or None."""

    @abstractmethod
    def get_many(self, cls: type[N], keys: Iterable[str]) -> dict[str, N]:
        """The nodes of class `cls` with these keys that exist, by key."""

    @abstractmethod
    def find(
        self,
        cls: type[N],
        filters: Sequence[Filter] = (),
        order_by: Sequence[Order] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[N]:
        """Nodes matching all filters, ordered (then by key), one page of them."""

    @abstractmethod
    def count(self, cls: type[Node], filters: Sequence[Filter] = ()) -> int:
        """How many nodes match all filters."""

    @abstractmethod
    def delete(self, ref: NodeRef) -> bool:
        """Delete a node and its relationships; False if it did not exist."""

    # -- relationships ------------------------------------------------------------------------
    @abstractmethod
    def relate(self, rel: Rel) -> None:
        """Create or update a relationship; ConstraintViolation if an endpoint does not exist."""

    @abstractmethod
    def unrelate(self, type_name: str, start: NodeRef, end: NodeRef) -> bool:
        """Delete a relationship; False if it did not exist."""

    @abstractmethod
    def neighbours(
        self,
        ref: NodeRef,
        rel_types: Sequence[str],
        direction: Direction = Direction.OUT,
        label: str | None = None,
    ) -> list[Neighbour]:
        """Relationships of the given types at a node, with the nodes at their other ends."""

    @abstractmethod
    def neighbours_many(
        self,
        refs: Iterable[NodeRef],
        rel_types: Sequence[str],
        direction: Direction = Direction.OUT,
        label: str | None = None,
    ) -> dict[NodeRef, list[Neighbour]]:
        """`neighbours` of several nodes at once (one query per label of the given nodes).

        Every node given is a key, with what `neighbours` returns for it, in the same order (an
        empty list when it has no such relationship or does not exist).
        """

    @abstractmethod
    def paths(
        self,
        start: NodeRef,
        rel_types: Sequence[str],
        direction: Direction = Direction.OUT,
        min_depth: int = 1,
        max_depth: int = 4,
        end_label: str | None = None,
    ) -> list[Path]:
        """Variable-length paths from `start`, never using a relationship twice in one path."""

    # -- whole-graph helpers -------------------------------------------------------------------
    def require(self, cls: type[N], key: str) -> N:
        """The node with this key, or NodeNotFound."""
        from graph.errors import NodeNotFound

        node = self.get(cls, key)
        if node is None:
            raise NodeNotFound(f"{cls.LABEL} {key} not found", label=cls.LABEL, key=key)
        return node

    def to_networkx(
        self,
        labels: Sequence[str] | None = None,
        rel_types: Sequence[str] | None = None,
        around: NodeRef | None = None,
        depth: int = 2,
    ) -> nx.MultiDiGraph:
        """A subgraph as a networkx MultiDiGraph for algorithms.

        Nodes are `"Label:key"` with attributes `label` and the node's properties; edges carry
        `type` and the relationship's properties (the edge key is the type). Either the nodes of
        `labels` (default: all) joined by `rel_types` (default: all), or, with `around`, the nodes
        within `depth` relationships of `around` (either direction).
        """
        types = check_rel_types(rel_types) if rel_types is not None else tuple(REL_TYPES)
        graph: nx.MultiDiGraph = nx.MultiDiGraph()
        if around is not None:
            check_depth(0, depth)
            nodes: dict[NodeRef, Node] = {}
            rels: list[Rel] = []
            for path in self.paths(around, types, Direction.BOTH, 0, depth):
                for n in path.nodes:
                    if labels is None or n.LABEL in labels:
                        nodes[n.ref] = n
                rels.extend(path.rels)
        else:
            wanted = [node_type(lbl) for lbl in (labels or list(NODE_TYPES))]
            nodes = {n.ref: n for cls in wanted for n in self.iter_all(cls)}
            rels = list(self.iter_rels(types))
        for ref, node in nodes.items():
            graph.add_node(str(ref), label=ref.label, **node.to_props())
        for rel in rels:
            if rel.start in nodes and rel.end in nodes:
                graph.add_edge(str(rel.start), str(rel.end), key=rel.TYPE, type=rel.TYPE, **rel.to_props())
        return graph

    @abstractmethod
    def iter_all(self, cls: type[N]) -> Iterator[N]:
        """Every node of a class, in key order."""

    @abstractmethod
    def iter_rels(self, rel_types: Sequence[str]) -> Iterator[Rel]:
        """Every relationship of the given types."""

    # -- transaction -----------------------------------------------------------------------------
    # Set by the adapters: whether the store's run() manages this transaction, and whether it is open.
    _managed: bool
    _open: bool

    def commit(self) -> None:
        """Make every change of this unit of work durable, at once."""
        if self._managed:
            raise TransactionClosed("a managed transaction commits when its function returns")
        self._finish(commit=True)

    def rollback(self) -> None:
        """Discard every change of this unit of work."""
        if self._managed:
            raise TransactionClosed("a managed transaction rolls back when its function raises")
        self._finish(commit=False)

    def _finish(self, *, commit: bool) -> None:
        if not self._open:
            raise TransactionClosed("this unit of work is already committed or rolled back")
        self._open = False
        self._end(commit=commit)

    @abstractmethod
    def _end(self, *, commit: bool) -> None:
        """Commit or roll back the underlying transaction."""


class GraphStore(ABC):
    """A graph database holding the Zhulian model."""

    @abstractmethod
    def unit_of_work(self, *, write: bool = True) -> AbstractContextManager[UnitOfWork]:
        """A transaction that rolls back on exit unless `commit()` was called."""

    @abstractmethod
    def run(self, fn: Callable[[UnitOfWork], T], *, write: bool = True) -> T:
        """Run `fn` in a managed transaction: commit when it returns, retry on transient errors."""

    @abstractmethod
    def ensure_schema(self) -> None:
        """Create storage, uniqueness constraints and indexes for the whole model; idempotent."""

    @abstractmethod
    def schema(self) -> SchemaInfo:
        """The constraints and indexes that exist."""

    @abstractmethod
    def counts(self) -> Counts:
        """Nodes per label and relationships per type."""

    @classmethod
    @abstractmethod
    def prepare_batch(cls, items: Sequence[Node | Rel]) -> PreparedBatch:
        """Turn validated items into this store's load rows.

        Pure and picklable, so it can run in another process than the one that writes.
        """

    @abstractmethod
    def load_batch(self, batch: PreparedBatch) -> None:
        """Write one prepared batch in one transaction (nodes before relationships)."""

    def bulk_load(
        self,
        items: Iterable[Node | Rel],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Callable[[LoadProgress], None] | None = None,
    ) -> LoadProgress:
        """Upsert a stream of nodes and relationships in batches, one transaction per batch.

        A relationship must come after (or in the same batch as) the nodes it joins. A batch that
        fails is rolled back whole and the error raised; the batches before it stay committed, and
        loading the same stream again is idempotent. An adapter may load an empty store all or
        nothing instead (the embedded store does: decision 0009).
        """
        return self.load_prepared(
            (self.prepare_batch(chunk) for chunk in batched(items, batch_size)), progress
        )

    def load_prepared(
        self, batches: Iterable[PreparedBatch], progress: Callable[[LoadProgress], None] | None = None
    ) -> LoadProgress:
        """Write prepared batches in order, one transaction each, reporting after each."""
        done = LoadProgress(0, 0, 0)
        for batch in batches:
            try:
                self.load_batch(batch)
            except StoreError as exc:
                exc.message = f"bulk load batch {done.batches + 1}: {exc.message}"
                exc.args = (exc.message,)
                raise
            done = LoadProgress(done.nodes + batch.nodes, done.rels + batch.rels, done.batches + 1)
            if progress is not None:
                progress(done)
        return done

    @abstractmethod
    def describe(self) -> str:
        """Where the store is, for people (no credentials)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
