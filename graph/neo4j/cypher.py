"""Every Cypher statement the Neo4j store can emit is built here, and only here.

Labels, relationship types, property names and path bounds are inlined from the model's whitelist
(Cypher cannot take them as parameters); every value is a `$parameter`. `all_statements()`
enumerates each statement form for every label, type and property so that the test suite can check
them all with Neo4j's own parser (tools/cypher-lint).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.model.registry import NODE_TYPES, REL_TYPES, node_type, rel_type
from graph.store import Filter, Op, Order, stored_value

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Cypher:
    """A statement and the parameters it is run with."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)


def _ident(name: str) -> str:
    # Defence in depth: the model already restricts names to identifiers.
    if not _IDENT.match(name):
        raise ValueError(f"not an identifier: {name!r}")
    return name


def _label(label: str) -> str:
    return _ident(node_type(label).LABEL)


def _key(label: str) -> str:
    return _ident(node_type(label).KEY)


def _types(rel_types: Sequence[str]) -> str:
    return "|".join(_ident(rel_type(t).TYPE) for t in rel_types)


# -- schema -----------------------------------------------------------------------------------
def schema_statements() -> list[Cypher]:
    """Constraints (node keys, unique properties) and property indexes, all IF NOT EXISTS."""
    out = []
    for label, cls in sorted(NODE_TYPES.items()):
        for name in (cls.KEY, *cls.UNIQUE):
            out.append(
                Cypher(
                    f"CREATE CONSTRAINT {label.lower()}_{_ident(name)}_unique IF NOT EXISTS "
                    f"FOR (n:{_label(label)}) REQUIRE n.{_ident(name)} IS UNIQUE"
                )
            )
        for name in cls.INDEXED:
            out.append(
                Cypher(
                    f"CREATE INDEX {label.lower()}_{_ident(name)} IF NOT EXISTS "
                    f"FOR (n:{_label(label)}) ON (n.{_ident(name)})"
                )
            )
    return out


SHOW_CONSTRAINTS = Cypher("SHOW CONSTRAINTS YIELD name RETURN name ORDER BY name")
SHOW_INDEXES = Cypher("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name ORDER BY name")


def count_label(label: str) -> Cypher:
    return Cypher(f"MATCH (n:{_label(label)}) RETURN count(n) AS c")


def count_type(type_name: str) -> Cypher:
    return Cypher(f"MATCH ()-[r:{_types([type_name])}]->() RETURN count(r) AS c")


# -- nodes ------------------------------------------------------------------------------------
def upsert_node(label: str, key: str, props: dict[str, Any]) -> Cypher:
    return Cypher(
        f"MERGE (n:{_label(label)} {{{_key(label)}: $key}}) SET n = $props",
        {"key": key, "props": props},
    )


def create_node(label: str, props: dict[str, Any]) -> Cypher:
    return Cypher(f"CREATE (n:{_label(label)}) SET n = $props", {"props": props})


def bulk_upsert_nodes(label: str, rows: list[dict[str, Any]]) -> Cypher:
    """`rows` are `{"key": ..., "props": {...}}`."""
    return Cypher(
        f"UNWIND $rows AS row MERGE (n:{_label(label)} {{{_key(label)}: row.key}}) SET n = row.props",
        {"rows": rows},
    )


# Set and removed in the same statement, so never stored; the leading underscore keeps it apart from
# every model property (model names start with a letter).
CAS_LOCK = "_cas_lock"


def compare_and_set(label: str, key: str, props: dict[str, Any], expected: dict[str, Any]) -> Cypher:
    """Replace the node's properties only if it still holds `expected`; returns `c` = 1 or 0.

    Neo4j reads at read-committed without locks, so a plain `MATCH ... WHERE n.status = $e0 SET ...`
    lets two transactions both read the old value, both pass the WHERE and both write, one after
    the other (a lost update: two winners of one claim). Writing a throwaway property first takes
    the node's write lock, so the condition is read after any concurrent writer has committed or
    rolled back (the locking recipe of Neo4j's "Concurrent data access: lost updates").
    """
    params: dict[str, Any] = {"key": key, "props": props}
    conditions = []
    for i, (name, value) in enumerate(expected.items()):
        if value is None:
            conditions.append(f"n.{_ident(name)} IS NULL")
        else:
            conditions.append(f"n.{_ident(name)} = $e{i}")
            params[f"e{i}"] = stored_value(value)
    match = f"MATCH (n:{_label(label)} {{{_key(label)}: $key}})"
    if not conditions:
        return Cypher(f"{match} SET n = $props RETURN count(n) AS c", params)
    return Cypher(
        f"{match} SET n.{CAS_LOCK} = true "
        f"WITH n, ({' AND '.join(conditions)}) AS hit REMOVE n.{CAS_LOCK} "
        "WITH n, hit WHERE hit SET n = $props RETURN count(n) AS c",
        params,
    )


def get_node(label: str, key: str) -> Cypher:
    return Cypher(
        f"MATCH (n:{_label(label)} {{{_key(label)}: $key}}) RETURN properties(n) AS p", {"key": key}
    )


def get_nodes(label: str, keys: list[str]) -> Cypher:
    return Cypher(
        f"MATCH (n:{_label(label)}) WHERE n.{_key(label)} IN $keys RETURN properties(n) AS p",
        {"keys": keys},
    )


def _condition(f: Filter, i: int, params: dict[str, Any]) -> str:
    prop = f"n.{_ident(f.field)}"
    name = f"p{i}"
    simple = {Op.EQ: "=", Op.NE: "<>", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}
    if f.op is Op.IS_NULL:
        return f"{prop} IS NULL" if f.value else f"{prop} IS NOT NULL"
    params[name] = stored_value(f.value)
    if f.op in simple:
        return f"{prop} {simple[f.op]} ${name}"
    if f.op is Op.IN:
        return f"{prop} IN ${name}"
    if f.op is Op.CONTAINS:
        return f"${name} IN {prop}"
    if f.op is Op.PREFIX:
        return f"{prop} STARTS WITH ${name}"
    raise AssertionError(f.op)


def _match_where(label: str, filters: Sequence[Filter], params: dict[str, Any]) -> str:
    conditions = [_condition(f, i, params) for i, f in enumerate(filters)]
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"MATCH (n:{_label(label)}){where}"


def find_nodes(
    label: str,
    filters: Sequence[Filter],
    order_by: Sequence[Order] = (),
    limit: int | None = None,
    offset: int = 0,
) -> Cypher:
    params: dict[str, Any] = {}
    match = _match_where(label, filters, params)
    orders = []
    for o in order_by:
        prop = f"n.{_ident(o.field)}"
        orders += [f"{prop} IS NULL", f"{prop} DESC" if o.descending else prop]
    orders.append(f"n.{_key(label)}")
    text = f"{match} RETURN properties(n) AS p ORDER BY {', '.join(orders)}"
    if offset:
        text += " SKIP $skip"
        params["skip"] = offset
    if limit is not None:
        text += " LIMIT $limit"
        params["limit"] = limit
    return Cypher(text, params)


def count_nodes(label: str, filters: Sequence[Filter]) -> Cypher:
    params: dict[str, Any] = {}
    return Cypher(f"{_match_where(label, filters, params)} RETURN count(n) AS c", params)


def delete_node(label: str, key: str) -> Cypher:
    return Cypher(
        f"MATCH (n:{_label(label)} {{{_key(label)}: $key}}) DETACH DELETE n RETURN count(*) AS c",
        {"key": key},
    )


def all_nodes(label: str) -> Cypher:
    return Cypher(f"MATCH (n:{_label(label)}) RETURN properties(n) AS p ORDER BY n.{_key(label)}")


# -- relationships ------------------------------------------------------------------------------
def _endpoints(start_label: str, end_label: str) -> str:
    return (
        f"MATCH (a:{_label(start_label)} {{{_key(start_label)}: $start}}) "
        f"MATCH (b:{_label(end_label)} {{{_key(end_label)}: $end}}) "
    )


def upsert_rel(
    type_name: str, start_label: str, start: str, end_label: str, end: str, props: dict[str, Any]
) -> Cypher:
    return Cypher(
        _endpoints(start_label, end_label)
        + f"MERGE (a)-[r:{_types([type_name])}]->(b) SET r = $props RETURN count(r) AS c",
        {"start": start, "end": end, "props": props},
    )


def bulk_upsert_rels(type_name: str, start_label: str, end_label: str, rows: list[dict[str, Any]]) -> Cypher:
    """`rows` are `{"start": key, "end": key, "props": {...}}`; returns how many were written."""
    return Cypher(
        f"UNWIND $rows AS row "
        f"MATCH (a:{_label(start_label)} {{{_key(start_label)}: row.start}}) "
        f"MATCH (b:{_label(end_label)} {{{_key(end_label)}: row.end}}) "
        f"MERGE (a)-[r:{_types([type_name])}]->(b) SET r = row.props RETURN count(r) AS c",
        {"rows": rows},
    )


def delete_rel(type_name: str, start_label: str, start: str, end_label: str, end: str) -> Cypher:
    return Cypher(
        f"MATCH (a:{_label(start_label)} {{{_key(start_label)}: $start}})"
        f"-[r:{_types([type_name])}]->"
        f"(b:{_label(end_label)} {{{_key(end_label)}: $end}}) DELETE r RETURN count(*) AS c",
        {"start": start, "end": end},
    )


def node_exists(label: str, key: str) -> Cypher:
    return Cypher(f"MATCH (n:{_label(label)} {{{_key(label)}: $key}}) RETURN count(n) AS c", {"key": key})


def neighbours(
    label: str, key: str, rel_types: Sequence[str], outgoing: bool, far_label: str | None
) -> Cypher:
    arrow = f"-[r:{_types(rel_types)}]->" if outgoing else f"<-[r:{_types(rel_types)}]-"
    far = f"(b:{_label(far_label)})" if far_label else "(b)"
    return Cypher(
        f"MATCH (a:{_label(label)} {{{_key(label)}: $key}}){arrow}{far} "
        f"RETURN type(r) AS t, properties(r) AS rp, labels(b) AS bl, properties(b) AS bp",
        {"key": key},
    )


def neighbours_many(
    label: str, keys: list[str], rel_types: Sequence[str], outgoing: bool, far_label: str | None
) -> Cypher:
    """`neighbours` of every node of `label` with one of `keys`, each row naming its node's key."""
    arrow = f"-[r:{_types(rel_types)}]->" if outgoing else f"<-[r:{_types(rel_types)}]-"
    far = f"(b:{_label(far_label)})" if far_label else "(b)"
    return Cypher(
        f"UNWIND $keys AS key MATCH (a:{_label(label)} {{{_key(label)}: key}}){arrow}{far} "
        f"RETURN key AS k, type(r) AS t, properties(r) AS rp, labels(b) AS bl, properties(b) AS bp",
        {"keys": keys},
    )


def paths(
    label: str,
    key: str,
    rel_types: Sequence[str],
    direction: str,
    min_depth: int,
    max_depth: int,
    end_label: str | None,
) -> Cypher:
    """Variable-length paths; depth bounds are inlined (Cypher takes no parameters there)."""
    if not (isinstance(min_depth, int) and isinstance(max_depth, int)):
        raise ValueError("path depths must be integers")
    rels = f"[:{_types(rel_types)}*{min_depth}..{max_depth}]"
    pattern = {"out": f"-{rels}->", "in": f"<-{rels}-", "both": f"-{rels}-"}[direction]
    end = f"(t:{_label(end_label)})" if end_label else "(t)"
    return Cypher(
        f"MATCH p = (s:{_label(label)} {{{_key(label)}: $key}}){pattern}{end} "
        "RETURN [x IN nodes(p) | [elementId(x), labels(x), properties(x)]] AS ns, "
        "[r IN relationships(p) | [type(r), elementId(startNode(r)), elementId(endNode(r)), "
        "properties(r)]] AS rs",
        {"key": key},
    )


def all_rels(type_name: str, start_label: str, end_label: str) -> Cypher:
    return Cypher(
        f"MATCH (a:{_label(start_label)})-[r:{_types([type_name])}]->(b:{_label(end_label)}) "
        f"RETURN a.{_key(start_label)} AS s, properties(r) AS p, b.{_key(end_label)} AS e"
    )


# -- enumeration for the linter ---------------------------------------------------------------------
def _sample_filter(name: str, op: Op) -> Filter:
    value: Any = True if op is Op.IS_NULL else (["x"] if op is Op.IN else "x")
    return Filter(name, op, value)


def all_statements() -> Iterator[tuple[str, Cypher]]:
    """Every statement template, with every label, relationship type, property and operator.

    Templates differ only in inlined, whitelisted names, so each template is linted once per label
    or relationship type; every property of a label appears in its ordering and compare-and-set
    statements, and every filter operator in a find and a count.
    """
    from graph.store import MAX_PATH_DEPTH

    yield "schema.show_constraints", SHOW_CONSTRAINTS
    yield "schema.show_indexes", SHOW_INDEXES
    for i, stmt in enumerate(schema_statements()):
        yield f"schema.{i}", stmt
    types = sorted(REL_TYPES)
    for label, cls in sorted(NODE_TYPES.items()):
        names = sorted(cls.property_names())
        yield f"{label}.count", count_label(label)
        yield f"{label}.upsert", upsert_node(label, "k", {})
        yield f"{label}.create", create_node(label, {})
        yield f"{label}.bulk", bulk_upsert_nodes(label, [{"key": "k", "props": {}}])
        yield f"{label}.get", get_node(label, "k")
        yield f"{label}.get_many", get_nodes(label, ["k"])
        yield f"{label}.delete", delete_node(label, "k")
        yield f"{label}.all", all_nodes(label)
        yield f"{label}.exists", node_exists(label, "k")
        # Expect a value of half the properties and no value of the others: both CAS forms.
        expected = {name: None if i % 2 else "x" for i, name in enumerate(names)}
        yield f"{label}.cas", compare_and_set(label, "k", {}, expected)
        yield f"{label}.cas_unconditional", compare_and_set(label, "k", {}, {})
        yield f"{label}.find_all", find_nodes(label, [])
        yield f"{label}.count_all", count_nodes(label, [])
        # One filter per operator, on different properties: every operator's clause form.
        filters = [_sample_filter(names[i % len(names)], op) for i, op in enumerate(Op)]
        yield f"{label}.find", find_nodes(label, filters, limit=10, offset=10)
        yield f"{label}.count_filtered", count_nodes(label, filters)
        orders = [Order(name, i % 2 == 1) for i, name in enumerate(names)]
        yield f"{label}.order", find_nodes(label, [], orders, limit=10)
        yield f"{label}.neighbours_out", neighbours(label, "k", types, True, None)
        yield f"{label}.neighbours_in", neighbours(label, "k", types, False, None)
        yield f"{label}.neighbours_many_out", neighbours_many(label, ["k"], types, True, None)
        yield f"{label}.neighbours_many_in", neighbours_many(label, ["k"], types, False, None)
        for direction in ("out", "in", "both"):
            yield f"{label}.paths.{direction}", paths(label, "k", types, direction, 0, MAX_PATH_DEPTH, None)
        yield f"{label}.paths_to", paths(label, "k", types[:2], "out", 1, 3, label)
    for type_name, rcls in sorted(REL_TYPES.items()):
        yield f"{type_name}.count", count_type(type_name)
        for start_label, end_label in sorted(rcls.ENDPOINTS):
            pair = f"{type_name}.{start_label}.{end_label}"
            yield f"{pair}.upsert", upsert_rel(type_name, start_label, "a", end_label, "b", {})
            yield (
                f"{pair}.bulk",
                bulk_upsert_rels(
                    type_name, start_label, end_label, [{"start": "a", "end": "b", "props": {}}]
                ),
            )
            yield f"{pair}.delete", delete_rel(type_name, start_label, "a", end_label, "b")
            yield f"{pair}.all", all_rels(type_name, start_label, end_label)
            yield f"{pair}.out", neighbours(start_label, "k", [type_name], True, end_label)
            yield f"{pair}.in", neighbours(end_label, "k", [type_name], False, start_label)
            yield f"{pair}.many_out", neighbours_many(start_label, ["k"], [type_name], True, end_label)
            yield f"{pair}.many_in", neighbours_many(end_label, ["k"], [type_name], False, start_label)
