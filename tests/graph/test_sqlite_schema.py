"""The embedded store's schema set-up: idempotent, and upgrades a version-1 store in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from graph.model import Need
from graph.sqlite import sql
from graph.sqlite.store import SqliteStore
from graph.store import where
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
