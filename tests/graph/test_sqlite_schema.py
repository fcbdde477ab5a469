"""The embedded store's schema set-up: idempotent, and upgrades a version-1 store in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from graph.model import Need
from graph.sqlite import sql
from graph.sqlite.store import SqliteStore
from graph.store import PreparedBatch, where
from tests.contract.test_nodes import need


def test_version_1_store_is_upgraded_and_its_nodes_found_by_indexed_properties(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    n = need("h-1")
    with sqlite3.connect(db) as conn:  # what version 1 made: JSON expression indexes on nodes
        for statement in sql.TABLES:
            conn.execute(statement)
        conn.execute(
            "CREATE INDEX ix_Need_status ON nodes (json_extract(props, '$.status')) WHERE label = 'Need'"
        )
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        conn.execute("INSERT INTO nodes (label, key, props) VALUES ('Need', ?, ?)", (n.id, sql.node_json(n)))
    store = SqliteStore(db)
    store.ensure_schema()
    with store.unit_of_work(write=False) as uow:
        assert [x.id for x in uow.find(Need, where(status="open", household_id="h-1"))] == [n.id]
    with sqlite3.connect(db) as conn:
        on_nodes = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='nodes'"
        ).fetchall()
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert ("ix_Need_status",) not in on_nodes
    assert version == str(sql.SCHEMA_VERSION)
    assert "ix_Need_status" in store.schema().indexes
    store.close()


def test_schema_set_up_twice_changes_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "z.db", create=True)
    store.ensure_schema()
    first = store.schema()
    store.ensure_schema()
    assert store.schema() == first
    assert "uq_User_username" in first.constraints
    store.close()


def indexes_of(store: SqliteStore) -> set[str]:
    return set(store.schema().indexes) | set(store.schema().constraints)


def test_a_bulk_load_into_an_empty_store_builds_its_secondary_indexes_after(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "z.db", create=True)
    store.load_beside_when_empty = False  # written in place, as when somebody else has it open
    store.ensure_schema()
    every = indexes_of(store)
    seen: list[set[str]] = []
    store.bulk_load(
        [need(f"h-{i}") for i in range(30)], batch_size=10, progress=lambda _: seen.append(indexes_of(store))
    )
    assert all("ix_Need_status" not in names and "uq_Resource_code" in names for names in seen)
    assert indexes_of(store) == every
    with store.unit_of_work(write=False) as uow:
        assert uow.count(Need, where(status="open")) == 30
    store.close()


def test_a_bulk_load_into_a_larger_store_keeps_its_indexes(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "z.db", create=True)
    store.ensure_schema()
    store.defer_indexes_below = 10
    store.bulk_load([need(f"h-{i}") for i in range(10)], batch_size=10)
    seen: list[set[str]] = []
    store.bulk_load([need("h-x")], progress=lambda _: seen.append(indexes_of(store)))
    assert seen == [indexes_of(store)] and "ix_Need_status" in seen[0]
    store.close()


def test_indexes_left_out_by_an_unfinished_load_are_built_by_ensure_schema(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "z.db", create=True)
    store.load_beside_when_empty = False
    store.ensure_schema()
    every = indexes_of(store)
    with pytest.raises(RuntimeError):  # the load stops before it could build them
        store.load_prepared(map(_stop, [store.prepare_batch([need("h-1")])]))
    assert indexes_of(store) == every  # a load that fails still builds them
    assert store._defer_indexes()  # as a load killed half-way leaves the store
    assert "ix_Need_status" not in indexes_of(store)
    store.ensure_schema()
    assert indexes_of(store) == every
    store.close()


def _stop(batch: PreparedBatch) -> PreparedBatch:
    raise RuntimeError("generator failed")


def test_a_bulk_load_leaves_planner_statistics(tmp_path: Path) -> None:
    """After a bulk load the planner has statistics (ANALYZE), so finds use the side-table indexes."""
    from graph.model import Area
    from graph.model.enums import AreaLevel

    store = SqliteStore(tmp_path / "stats.db", create=True)
    store.ensure_schema()
    areas = [
        Area(code=f"3607831{i:02d}000", level=AreaLevel.TOWNSHIP, name=f"镇{i}", parent_code="360783000000")
        for i in range(1, 30)
    ]
    store.bulk_load(areas)
    conn = sqlite3.connect(tmp_path / "stats.db")
    try:
        tables = {row[0] for row in conn.execute("SELECT tbl FROM sqlite_stat1")}
    finally:
        conn.close()
    store.close()
    assert "nodes" in tables and "ix_Area" in tables


def test_an_indexed_find_searches_its_index_with_statistics_older_than_the_rows(tmp_path: Path) -> None:
    """Statistics read while a label had no rows must not turn a find by an indexed property into a
    scan of every node of the label (the trace reads a household's need reports this way)."""
    from graph.model import NeedReport
    from graph.model.enums import NeedChannel, Urgency
    from graph.store import Filter, Op
    from tests.builders import T0

    store = SqliteStore(tmp_path / "stale.db", create=True)
    store.ensure_schema()
    store.bulk_load([need(f"h-{i}") for i in range(300)])  # statistics now, with no need report yet
    reports = [
        NeedReport(
            id=f"r-{i}",
            need_id=f"n-{i % 50}",
            channel=NeedChannel.HOME_VISIT,
            urgency=Urgency.GENERAL,
            reported_by="worker-1",
            reported_at=T0,
        )
        for i in range(500)
    ]
    store.run(lambda uow: [uow.upsert(r) for r in reports])
    statement, params = sql.select_nodes(NeedReport, [Filter("need_id", Op.IN, ["n-1", "n-2"])])
    conn = sqlite3.connect(tmp_path / "stale.db")
    try:
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}", params)]
    finally:
        conn.close()
    found = store.run(lambda uow: uow.find(NeedReport, where(need_id__in=["n-1", "n-2"])), write=False)
    store.close()
    assert any("ix_NeedReport_need_id" in step for step in plan), plan
    assert sorted(r.id for r in found) == sorted(f"r-{i}" for i in range(500) if i % 50 in (1, 2))
