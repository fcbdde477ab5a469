"""SQL of the embedded store: schema and query building.

Nodes live in one table with their properties as JSON; relationships in another keyed by
(start, type, end). Property indexes are partial expression indexes per label, so the query text
must repeat the index expression exactly: labels and property names are inlined (they come from the
model's whitelist, never from request text) and values are always bound parameters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from graph.model.base import Node
from graph.model.registry import NODE_TYPES
from graph.store import Filter, Op, Order, stored_value

SCHEMA_VERSION = 1

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


def prop(name: str, alias: str = "") -> str:
    """The SQL expression of a property (must equal the index expression to use the index)."""
    column = f"{alias}.props" if alias else "props"
    return f"json_extract({column}, '$.{name}')"


def index_statements() -> list[tuple[str, str]]:
    """(name, CREATE statement) of every property index and unique constraint of the model."""
    statements = []
    for label, cls in sorted(NODE_TYPES.items()):
        for name in cls.UNIQUE:
            idx = f"uq_{label}_{name}"
            statements.append(
                (
                    idx,
                    f"CREATE UNIQUE INDEX IF NOT EXISTS {idx} ON nodes ({prop(name)}) "
                    f"WHERE label = '{label}'",
                )
            )
        for name in cls.INDEXED:
            idx = f"ix_{label}_{name}"
            statements.append(
                (idx, f"CREATE INDEX IF NOT EXISTS {idx} ON nodes ({prop(name)}) WHERE label = '{label}'")
            )
    return statements


def node_json(node: Node) -> str:
    """A node's properties as stored."""
    return node.model_dump_json()


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _condition(f: Filter, params: list[Any], alias: str) -> str:
    expr = prop(f.field, alias)
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
        column = f"{alias}.props" if alias else "props"
        return f"EXISTS (SELECT 1 FROM json_each({column}, '$.{f.field}') WHERE value = ?)"
    if f.op is Op.PREFIX:
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
    conditions = [f"label = '{cls.LABEL}'"] + [_condition(f, params, "") for f in filters]
    sql_where = " AND ".join(conditions)
    if count:
        return f"SELECT count(*) FROM nodes WHERE {sql_where}", params
    orders = []
    for o in order_by:
        direction = "DESC" if o.descending else "ASC"
        orders += [f"{prop(o.field)} IS NULL", f"{prop(o.field)} {direction}"]
    orders.append("key")
    sql = f"SELECT props FROM nodes WHERE {sql_where} ORDER BY {', '.join(orders)}"
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
NID = "SELECT nid FROM nodes WHERE label = ? AND key = ?"
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


def neighbours_sql(rel_types: Sequence[str], outgoing: bool, label: str | None) -> tuple[str, list[Any]]:
    """Relationships at one node (`?` = its nid) in one direction, with the far nodes."""
    near, far = ("src", "dst") if outgoing else ("dst", "src")
    marks = ", ".join("?" for _ in rel_types)
    sql = (
        f"SELECT r.type, r.props, n.label, n.props FROM rels r JOIN nodes n ON n.nid = r.{far} "
        f"WHERE r.{near} = ? AND r.type IN ({marks})"
    )
    params: list[Any] = list(rel_types)
    if label is not None:
        sql += " AND n.label = ?"
        params.append(label)
    return sql, params


def paths_sql(rel_types: Sequence[str], direction: str, max_depth: int) -> str:
    """A recursive walk from one node (parameters: start label, key, then the types once per arm).

    Each row is one path: the node ids along it and the relationships as [src, type, dst, props]
    in walking order. A relationship is never used twice in a path (as in Cypher).
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
            WHERE w.depth < {int(max_depth)}
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
