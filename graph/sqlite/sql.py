"""SQL of the embedded store: schema and query building.

Nodes live in one table with their properties as JSON (the source of truth); relationships in
another keyed by (start, type, end). The properties a label declares UNIQUE or INDEXED are also
written, as plain columns, to a side table per label (`ix_<Label>`) with ordinary indexes: writing
them costs no JSON parsing and no partial-index predicates of other labels, which made loads 2-3x
slower. Labels and property names are inlined (they come from the model's whitelist, never from
request text) and values are always bound parameters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from graph.model.base import Node, Rel
from graph.model.registry import NODE_TYPES
from graph.store import Filter, Op, Order, stored_value

SCHEMA_VERSION = 2

TABLES = (
    """CREATE TABLE IF NOT EXISTS nodes (
        nid INTEGER PRIMARY KEY,
        label TEXT NOT NULL,
        key TEXT NOT NULL,
        props TEXT NOT NULL,
        UNIQUE (label, key)
    )""",
    """CREATE TABLE IF NOT EXISTS rels (
        src INTEGER NOT NULL REFERENCES nodes(nid) ON DELETE CASCADE,
        type TEXT NOT NULL,
        dst INTEGER NOT NULL REFERENCES nodes(nid) ON DELETE CASCADE,
        props TEXT NOT NULL,
        PRIMARY KEY (src, type, dst)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS rels_by_end ON rels (dst, type, src)",
    "CREATE INDEX IF NOT EXISTS rels_by_type ON rels (type)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


@cache
def indexed_fields(cls: type[Node]) -> tuple[str, ...]:
    """The properties of a label kept in its side table: UNIQUE ones, then INDEXED ones."""
    return tuple(dict.fromkeys((*cls.UNIQUE, *cls.INDEXED)))


def index_table(label: str) -> str:
    return f'"ix_{label}"'


def index_tables() -> list[tuple[str, str, list[str]]]:
    """(label, CREATE TABLE, [CREATE INDEX ...]) for every label with indexed properties."""
    out = []
    for label, cls in sorted(NODE_TYPES.items()):
        fields = indexed_fields(cls)
        if not fields:
            continue
        columns = ", ".join(f'"{f}"' for f in fields)
        table = (
            f"CREATE TABLE IF NOT EXISTS {index_table(label)} ("
            f"nid INTEGER PRIMARY KEY REFERENCES nodes(nid) ON DELETE CASCADE, {columns})"
        )
        indexes = [
            f'CREATE UNIQUE INDEX IF NOT EXISTS "uq_{label}_{f}" ON {index_table(label)} ("{f}")'
            for f in cls.UNIQUE
        ] + [
            f'CREATE INDEX IF NOT EXISTS "ix_{label}_{f}" ON {index_table(label)} ("{f}")'
            for f in cls.INDEXED
            if f not in cls.UNIQUE
        ]
        out.append((label, table, indexes))
    return out


def deferrable_indexes() -> list[str]:
    """Names of the side tables' non-unique indexes, which a bulk load into an empty store builds
    after loading instead of row by row (unique ones stay: they enforce constraints)."""
    return [
        f"ix_{label}_{f}"
        for label, cls in sorted(NODE_TYPES.items())
        for f in cls.INDEXED
        if f not in cls.UNIQUE
    ]


def backfill_index(cls: type[Node]) -> str:
    """Fill a label's side table from the JSON properties (after a schema upgrade)."""
    fields = indexed_fields(cls)
    columns = ", ".join(f'"{f}"' for f in fields)
    values = ", ".join(f"json_extract(props, '$.{f}')" for f in fields)
    return (
        f"INSERT OR REPLACE INTO {index_table(cls.LABEL)} (nid, {columns}) "
        f"SELECT nid, {values} FROM nodes WHERE label = '{cls.LABEL}'"
    )


@cache
def upsert_index(cls: type[Node]) -> str | None:
    """Write a node's side-table row; parameters: the node's key, then its indexed values."""
    fields = indexed_fields(cls)
    if not fields:
        return None
    columns = ", ".join(f'"{f}"' for f in fields)
    marks = ", ".join("?" for _ in fields)
    updates = ", ".join(f'"{f}" = excluded."{f}"' for f in fields)
    return (
        f"INSERT INTO {index_table(cls.LABEL)} (nid, {columns}) VALUES ("
        f"(SELECT nid FROM nodes WHERE label = '{cls.LABEL}' AND key = ?), {marks}) "
        f"ON CONFLICT (nid) DO UPDATE SET {updates}"
    )


def index_values(node: Node) -> tuple[Any, ...]:
    """The parameters of `upsert_index` for a node."""
    values = node.__dict__  # the validated values (strings and ints are stored as they are)
    return (
        node.key,
        *(
            value if value is None or type(value) is str or type(value) is int else stored_value(value)
            for value in (values[f] for f in indexed_fields(type(node)))
        ),
    )


def node_json(node: Node) -> str:
    """A node's properties as stored. A null property is left out: `json_extract` reads a missing key
    as NULL, exactly as a JSON null, and Neo4j does not store nulls either."""
    # The serializer itself: `model_dump_json` is the same call behind a Python wrapper.
    return node.__pydantic_serializer__.to_json(node, exclude_none=True).decode()


_ENDPOINTS = {"start", "end"}


@cache
def _has_properties(cls: type[Rel]) -> bool:
    return bool(cls.property_names())


def rel_json(rel: Rel) -> str:
    """A relationship's properties as stored (most types have none)."""
    if not _has_properties(type(rel)):
        return "{}"
    return rel.__pydantic_serializer__.to_json(rel, exclude=_ENDPOINTS, exclude_none=True).decode()


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def prop(name: str, alias: str = "nodes") -> str:
    """The SQL expression of a property read from the JSON."""
    return f"json_extract({alias}.props, '$.{name}')"


def _expr(cls: type[Node], name: str) -> str:
    """A property as SQL: its side-table column when indexed, else read from the JSON."""
    return f'x."{name}"' if name in indexed_fields(cls) else prop(name)


def _prefix_upper(prefix: str) -> str | None:
    """The least string above every string starting with `prefix` (None if there is none)."""
    if not prefix or ord(prefix[-1]) >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _condition(cls: type[Node], f: Filter, params: list[Any]) -> str:
    expr = _expr(cls, f.field)
    value = stored_value(f.value)
    simple = {Op.EQ: "=", Op.NE: "!=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}
    if f.op in simple:
        params.append(value)
        return f"{expr} {simple[f.op]} ?"
    if f.op is Op.IN:
        params.append(dumps(value))
        return f"{expr} IN (SELECT value FROM json_each(?))"
    if f.op is Op.CONTAINS:
        params.append(value)
        return f"EXISTS (SELECT 1 FROM json_each(nodes.props, '$.{f.field}') WHERE value = ?)"
    if f.op is Op.PREFIX:
        upper = _prefix_upper(value)
        if upper is not None:  # a range, so that an index on the column is used
            params.extend([value, upper])
            return f"({expr} >= ? AND {expr} < ?)"
        params.extend([len(value), value])
        return f"substr({expr}, 1, ?) = ?"
    if f.op is Op.IS_NULL:
        return f"{expr} IS NULL" if value else f"{expr} IS NOT NULL"
    raise AssertionError(f.op)


def select_nodes(
    cls: type[Node],
    filters: Sequence[Filter],
    order_by: Sequence[Order] = (),
    limit: int | None = None,
    offset: int = 0,
    *,
    count: bool = False,
) -> tuple[str, list[Any]]:
    """A SELECT of nodes of one label with filters, order and paging."""
    params: list[Any] = []
    names = {f.field for f in filters} | {o.field for o in order_by}
    source = "nodes"
    if names & set(indexed_fields(cls)) and limit is None and not offset:
        # Every match is wanted: start from the side table (CROSS JOIN fixes the order), so an indexed
        # filter is an index search whatever the statistics say. Statistics read while the label had
        # no rows made the planner scan every node of the label instead. At worst this scans the side
        # table, which holds exactly the label's nodes.
        source = f"{index_table(cls.LABEL)} x CROSS JOIN nodes ON nodes.nid = x.nid"
    elif names & set(indexed_fields(cls)):
        # One page: the planner may walk the label's nodes in key order and stop at the limit.
        source += f" JOIN {index_table(cls.LABEL)} x ON x.nid = nodes.nid"
    conditions = [f"nodes.label = '{cls.LABEL}'"] + [_condition(cls, f, params) for f in filters]
    sql_where = " AND ".join(conditions)
    if count:
        return f"SELECT count(*) FROM {source} WHERE {sql_where}", params
    orders = []
    for o in order_by:
        expr = _expr(cls, o.field)
        orders += [f"{expr} IS NULL", f"{expr} {'DESC' if o.descending else 'ASC'}"]
    orders.append("nodes.key")
    sql = f"SELECT nodes.props FROM {source} WHERE {sql_where} ORDER BY {', '.join(orders)}"
    if limit is not None or offset:
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, offset]
    return sql, params


def compare_and_set(cls: type[Node], expected: dict[str, Any]) -> tuple[str, list[Any]]:
    """An UPDATE that writes only when the stored properties equal `expected`."""
    params: list[Any] = []
    conditions = [f"label = '{cls.LABEL}'", "key = ?"]
    for name, value in expected.items():
        if value is None:
            conditions.append(f"{prop(name)} IS NULL")
        else:
            conditions.append(f"{prop(name)} = ?")
            stored = stored_value(value)
            params.append(dumps(stored) if isinstance(stored, list) else stored)
    sql = f"UPDATE nodes SET props = ? WHERE {' AND '.join(conditions)}"
    return sql, params


UPSERT_NODE = (
    "INSERT INTO nodes (label, key, props) VALUES (?, ?, ?) "
    "ON CONFLICT (label, key) DO UPDATE SET props = excluded.props"
)
INSERT_NODE = "INSERT INTO nodes (label, key, props) VALUES (?, ?, ?)"
UPSERT_REL = (
    "INSERT INTO rels (src, type, dst, props) VALUES ("
    "(SELECT nid FROM nodes WHERE label = ? AND key = ?), ?, "
    "(SELECT nid FROM nodes WHERE label = ? AND key = ?), ?) "
    "ON CONFLICT (src, type, dst) DO UPDATE SET props = excluded.props"
)
DELETE_REL = (
    "DELETE FROM rels WHERE src = (SELECT nid FROM nodes WHERE label = ? AND key = ?) "
    "AND type = ? AND dst = (SELECT nid FROM nodes WHERE label = ? AND key = ?)"
)


def neighbours_sql(
    near_label: str, keys: Sequence[str], rel_types: Sequence[str], outgoing: bool, far_label: str | None
) -> tuple[str, list[Any]]:
    """Relationships in one direction at the nodes of one label with these keys, with the far nodes.

    Rows: the near node's key, the type, the relationship's properties, the far node's label and
    properties. The plan is a key lookup per node, then the relationship index from it.
    """
    near, far = ("src", "dst") if outgoing else ("dst", "src")
    marks = ", ".join("?" for _ in rel_types)
    sql = (
        f"SELECT a.key, r.type, r.props, n.label, n.props FROM nodes a "
        f"JOIN rels r ON r.{near} = a.nid AND r.type IN ({marks}) JOIN nodes n ON n.nid = r.{far} "
        "WHERE a.label = ? AND a.key IN (SELECT value FROM json_each(?))"
    )
    params: list[Any] = [*rel_types, near_label, dumps(list(keys))]
    if far_label is not None:
        sql += " AND n.label = ?"
        params.append(far_label)
    return sql, params


def paths_sql(rel_types: Sequence[str], direction: str, max_depth: int) -> str:
    """A recursive walk from one node (parameters: start label, key, then the types once per arm).

    Each row is one path: the node ids along it and the relationships as [src, type, dst, props]
    in walking order. A relationship is never used twice in a path (as in Cypher).

    `likelihood` tells the planner that few rows of the walk go on to the next step. Without it,
    SQLite guesses a recursive step reads about a million rows, and in a store with fewer
    relationships than that (a county: 8,000 households have about 110,000) it builds a Bloom filter
    over all relationships of the step's types for every walk: 10-35 ms instead of 0.05 ms.
    """
    marks = ", ".join("?" for _ in rel_types)
    arms = []
    for near, far in (("src", "dst"), ("dst", "src")):
        if (direction == "out" and near == "dst") or (direction == "in" and near == "src"):
            continue
        arms.append(
            f"""SELECT r.{far}, w.depth + 1,
                   w.node_ids || ',' || r.{far},
                   w.rel_keys || r.src || ':' || r.type || ':' || r.dst || ';',
                   json_insert(w.rels, '$[#]', json_array(r.src, r.type, r.dst, json(r.props)))
            FROM walk w JOIN rels r ON r.{near} = w.nid AND r.type IN ({marks})
            WHERE likelihood(w.depth < {int(max_depth)}, 0.000001)
              AND instr(w.rel_keys, ';' || r.src || ':' || r.type || ':' || r.dst || ';') = 0"""
        )
    union = "\n UNION ALL \n".join(arms)
    return f"""WITH RECURSIVE walk(nid, depth, node_ids, rel_keys, rels) AS (
        SELECT nid, 0, CAST(nid AS TEXT), ';', json_array() FROM nodes WHERE label = ? AND key = ?
        UNION ALL
        {union}
    )
    SELECT w.depth, w.node_ids, w.rels, n.label FROM walk w JOIN nodes n ON n.nid = w.nid
    WHERE w.depth >= ?"""
