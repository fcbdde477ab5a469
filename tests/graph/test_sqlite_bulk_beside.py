"""A bulk load into an empty embedded store is built in a file beside it and swapped in (decision 0009).

All or nothing: the store is either the whole load or exactly what it was; it is the same data as a
load written in place; a store that somebody else has open is loaded in place instead.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from graph.errors import ConstraintViolation, StoreBusy
from graph.model import Area, Household, LivesIn, Node, NodeRef, PartOf, Rel, Resource
from graph.model.enums import AreaLevel, NeedType, ResourceKind
from graph.sqlite import sql
from graph.sqlite.store import SqliteStore
from graph.store import PreparedBatch, where
from tests.builders import COUNTY, T0, TOWNSHIP, VILLAGE


def county_items(n: int) -> Iterator[Node | Rel]:
    areas = [
        Area(code=COUNTY, level=AreaLevel.COUNTY, name="龙南市"),
        Area(code=TOWNSHIP, level=AreaLevel.TOWNSHIP, name="龙南镇", parent_code=COUNTY),
        Area(code=VILLAGE, level=AreaLevel.VILLAGE, name="金塘村委会", parent_code=TOWNSHIP),
    ]
    yield from areas
    yield PartOf(start=areas[1].ref, end=areas[0].ref)
    yield PartOf(start=areas[2].ref, end=areas[1].ref)
    for i in range(n):
        h = Household(
            id=f"h-{i:05d}", village_code=VILLAGE, created_at=T0, updated_at=T0, risk_level=1 + i % 3
        )
        yield h
        yield LivesIn(start=h.ref, end=NodeRef("Area", VILLAGE))


def resource(i: int, code: str) -> Resource:
    return Resource(
        id=f"r-{i}",
        code=code,
        kind=ResourceKind.SERVICE,
        name="助餐",
        need_types=[NeedType.CARE],
        created_at=T0,
    )


def new_store(path: Path) -> SqliteStore:
    store = SqliteStore(path, create=True)
    store.ensure_schema()
    return store


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.glob(f"{path.name}.loading-*"))


def every_index(store: SqliteStore) -> set[str]:
    return set(store.schema().indexes) | set(store.schema().constraints)


def contents(path: Path) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str, str, str]]]:
    with closing(sqlite3.connect(path)) as conn:  # closed: an open connection keeps the load in place
        nodes = conn.execute("SELECT label, key, props FROM nodes ORDER BY label, key").fetchall()
        rels = conn.execute(
            "SELECT a.label, a.key, r.type, b.label, b.key FROM rels r JOIN nodes a ON a.nid = r.src "
            "JOIN nodes b ON b.nid = r.dst ORDER BY 1, 2, 3, 4, 5"
        ).fetchall()
    return nodes, rels


def test_a_load_into_an_empty_store_is_built_beside_and_swapped_in(tmp_path: Path) -> None:
    store = new_store(tmp_path / "z.db")
    indexes = every_index(store)
    in_place: list[PreparedBatch] = []
    store.load_batch = in_place.append  # type: ignore[method-assign]
    seen: list[tuple[int, list[str]]] = []
    done = store.bulk_load(
        county_items(250), batch_size=100, progress=lambda d: seen.append((d.nodes, leftovers(store.path)))
    )
    assert in_place == []  # not one batch written in place
    assert done.nodes == 253 and done.rels == 252 and done.batches == 6
    assert seen[0][1] == [f"z.db.loading-{__import__('os').getpid()}"]  # built beside while loading
    assert leftovers(store.path) == []
    assert every_index(store) == indexes
    with closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
            sql.SCHEMA_VERSION
        )
        assert conn.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0  # planner statistics
    with store.unit_of_work() as uow:  # the swapped-in store reads and writes as any other
        assert uow.count(Household, where(risk_level=3)) == 83
        assert len(uow.neighbours(NodeRef("Household", "h-00007"), ["LIVES_IN"])) == 1
        uow.upsert(Household(id="h-new", village_code=VILLAGE, created_at=T0, updated_at=T0))
        uow.commit()
    other = SqliteStore(store.path)
    assert other.counts().nodes["Household"] == 251
    other.close()
    store.close()


def test_it_holds_the_same_data_as_a_load_written_in_place(tmp_path: Path) -> None:
    beside = new_store(tmp_path / "beside.db")
    beside.bulk_load(county_items(300), batch_size=70)
    in_place = new_store(tmp_path / "in-place.db")
    in_place.load_beside_when_empty = False
    in_place.bulk_load(county_items(300), batch_size=70)
    assert contents(beside.path) == contents(in_place.path)
    assert every_index(beside) == every_index(in_place)
    beside.close()
    in_place.close()


def _failing(after: int) -> Iterator[Node | Rel]:
    for i, item in enumerate(county_items(1_000)):
        if i == after:
            raise RuntimeError("generator failed")
        yield item


def test_a_failed_load_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = new_store(tmp_path / "z.db")
    before = contents(store.path)
    with pytest.raises(RuntimeError, match="generator failed"):
        store.bulk_load(_failing(after=450), batch_size=100)
    assert contents(store.path) == before
    assert leftovers(store.path) == []
    store.bulk_load(county_items(20))  # and a later load goes through
    assert store.counts().nodes["Household"] == 20
    store.close()


def test_a_rejected_row_names_its_batch_and_nothing_is_loaded(tmp_path: Path) -> None:
    store = new_store(tmp_path / "z.db")
    items: list[Node | Rel] = [resource(1, "MEAL-1"), resource(2, "MEAL-2"), resource(3, "MEAL-1")]
    with pytest.raises(ConstraintViolation, match="bulk load batch 2") as caught:
        store.bulk_load(items, batch_size=2)
    assert "code" in str(caught.value.message)
    assert sum(store.counts().nodes.values()) == 0
    assert leftovers(store.path) == []
    store.close()


def test_a_store_somebody_else_has_open_is_loaded_in_place(tmp_path: Path) -> None:
    store = new_store(tmp_path / "z.db")
    reader = SqliteStore(store.path)  # another process would be the same: its connection stays open
    assert reader.counts().nodes["Household"] == 0
    written: list[int] = []
    load_batch = store.load_batch

    def counted(batch: PreparedBatch) -> None:
        written.append(batch.nodes)
        load_batch(batch)

    store.load_batch = counted  # type: ignore[method-assign]
    store.bulk_load(county_items(150), batch_size=100)
    assert len(written) == 4  # in place, one transaction per batch
    assert reader.counts().nodes["Household"] == 150  # and the open connection sees the data
    reader.close()
    store.close()


def test_a_store_with_data_is_loaded_in_place(tmp_path: Path) -> None:
    store = new_store(tmp_path / "z.db")
    store.bulk_load(county_items(10))
    in_place: list[int] = []
    load_batch = store.load_batch

    def counted(batch: PreparedBatch) -> None:
        in_place.append(batch.nodes)
        load_batch(batch)

    store.load_batch = counted  # type: ignore[method-assign]
    store.bulk_load(county_items(30), batch_size=20)
    assert in_place and store.counts().nodes["Household"] == 30
    store.close()


def test_somebody_opening_the_store_during_the_load_stops_the_swap(tmp_path: Path) -> None:
    store = new_store(tmp_path / "z.db")
    opened: list[sqlite3.Connection] = []

    def open_it(_: object) -> None:
        if not opened:
            conn = sqlite3.connect(store.path)
            conn.execute("SELECT count(*) FROM nodes").fetchone()  # a connection in WAL mode
            opened.append(conn)

    with pytest.raises(StoreBusy, match="during the bulk load"):
        store.bulk_load(county_items(200), batch_size=100, progress=open_it)
    assert opened[0].execute("SELECT count(*) FROM nodes").fetchone()[0] == 0  # it saw an empty store
    opened[0].close()
    assert sum(store.counts().nodes.values()) == 0
    assert leftovers(store.path) == []
    store.close()


def test_files_left_by_a_load_whose_process_died_are_removed(tmp_path: Path) -> None:
    store = new_store(tmp_path / "z.db")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = store.path.with_name(f"z.db.loading-{int(gone.stdout)}")
    stale.write_bytes(b"half a store")
    store.bulk_load(county_items(5))
    assert not stale.exists()
    assert store.counts().nodes["Household"] == 5
    store.close()


def rel_statistics(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        row = conn.execute(
            "SELECT stat FROM sqlite_stat1 WHERE tbl = 'rels' AND idx = 'rels_by_end'"
        ).fetchone()
    return int(row[0].split()[0])


@pytest.mark.parametrize("beside", [True, False])
def test_a_load_into_an_empty_store_leaves_exact_statistics_that_schema_set_up_keeps(
    tmp_path: Path, beside: bool
) -> None:
    """Sampled statistics once made a 3-hop walk scan every relationship (a Bloom filter per walk)."""
    store = new_store(tmp_path / "z.db")
    store.load_beside_when_empty = beside
    store.bulk_load(county_items(1_500), batch_size=500)
    assert rel_statistics(store.path) == 1_502  # counted, not estimated
    store.ensure_schema()  # as `zhulian init` or a later seed does: exact figures are not resampled
    assert rel_statistics(store.path) == 1_502
    store.close()


def test_a_walk_in_a_small_store_does_not_filter_every_relationship(tmp_path: Path) -> None:
    """SQLite guesses a recursive step reads a million rows: in a store with fewer relationships it
    built a Bloom filter over all of them for every walk (10-35 ms a walk in a county-sized store)."""
    store = new_store(tmp_path / "z.db")
    store.bulk_load(county_items(1_500), batch_size=500)
    statement = sql.paths_sql(["MEMBER_OF", "LIVES_IN", "PART_OF"], "out", 3)
    params = ["Person", "any", "MEMBER_OF", "LIVES_IN", "PART_OF", 3]
    with closing(sqlite3.connect(store.path)) as conn:
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}", params)]
    assert any("SEARCH r USING PRIMARY KEY" in step for step in plan), plan
    assert not any("BLOOM" in step for step in plan), plan
    store.close()
