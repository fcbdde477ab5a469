"""The whole county stream: load order, referral chains in every status, determinism, loading."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path

import pytest
from ulid import ULID

from graph.model import (
    Household,
    Need,
    Node,
    Person,
    Referral,
    ReferralHop,
    Rel,
    StatusChange,
)
from graph.model.enums import HopStatus, NeedStatus, ReferralStatus
from graph.sqlite.store import SqliteStore
from graph.store import Direction
from seeds.context import SeedContext
from seeds.county import CountyPlan, SeedReport, generate_county
from seeds.pipeline import SeedError, load_in_parallel, read_staged, stage_in_parallel

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CLOSED = {
    HopStatus.COMPLETED,
    HopStatus.REJECTED,
    HopStatus.FAILED,
    HopStatus.CANCELLED,
    HopStatus.ENTERED_IN_ERROR,
}


@pytest.fixture(scope="module")
def stream() -> list[Node | Rel]:
    return list(generate_county("360783", 1_500, seed=7, now=NOW))


def test_every_relationship_comes_after_both_its_nodes(stream: list[Node | Rel]) -> None:
    seen: set[tuple[str, str]] = set()
    for item in stream:
        if isinstance(item, Node):
            seen.add((item.LABEL, item.key))
        else:
            assert (item.start.label, item.start.key) in seen, item
            assert (item.end.label, item.end.key) in seen, item


def test_referrals_reach_every_hop_status_and_some_are_overdue(stream: list[Node | Rel]) -> None:
    hops = [i for i in stream if isinstance(i, ReferralHop)]
    assert {h.status for h in hops} == set(HopStatus)
    overdue = [h for h in hops if h.status not in CLOSED and h.due_at is not None and h.due_at < NOW]
    assert 0 < len(overdue) < len(hops) / 2
    assert {r.status for r in stream if isinstance(r, Referral)} == set(ReferralStatus)


def test_hop_timestamps_follow_their_transitions(stream: list[Node | Rel]) -> None:
    changes: dict[str, list[StatusChange]] = {}
    for item in stream:
        if isinstance(item, StatusChange):
            changes.setdefault(item.subject_id, []).append(item)
    for hop in (i for i in stream if isinstance(i, ReferralHop)):
        steps = changes[hop.id]
        assert steps[-1].to_status == hop.status.value
        assert [s.from_status for s in steps[1:]] == [s.to_status for s in steps[:-1]]
        assert all(s.at <= NOW for s in steps)
        assert hop.created_at <= hop.updated_at <= NOW


def test_needs_status_matches_their_referral(stream: list[Node | Rel]) -> None:
    referrals = {r.need_id: r for r in stream if isinstance(r, Referral)}
    needs = [n for n in stream if isinstance(n, Need)]
    assert {n.status for n in needs} >= {NeedStatus.OPEN, NeedStatus.REFERRED, NeedStatus.MET}
    for need in needs:
        referral = referrals.get(need.id)
        if referral is not None and referral.status is ReferralStatus.COMPLETED:
            assert need.status is NeedStatus.MET and need.closed_at == referral.completed_at


def test_the_same_seed_gives_the_same_data() -> None:
    first = list(generate_county("360783", 60, seed=3, now=NOW))
    again = list(generate_county("360783", 60, seed=3, now=NOW))
    other = list(generate_county("360783", 60, seed=4, now=NOW))
    assert first == again
    assert first != other


def test_chunks_have_their_own_streams_and_key_ranges() -> None:
    plan = CountyPlan("360783", 90, seed=3, now=NOW, chunk_households=30)
    parts = [list(plan.items(p)) for p in range(plan.parts)]
    assert plan.parts == 4 and [sum(isinstance(i, Household) for i in p) for p in parts] == [0, 30, 30, 30]
    assert parts[1] != parts[2]  # not the same households again
    assert list(plan.items(2)) == parts[2]  # a part alone is the same as in a whole run
    ids = [[i.id for i in p if isinstance(i, Person)] for p in parts[1:]]
    assert all(a == sorted(a) for a in ids)  # keys of one stream ascend, chunk after chunk
    assert ids[0][-1] < ids[1][0] < ids[1][-1] < ids[2][0]
    assert len({k for chunk in ids for k in chunk}) == sum(map(len, ids))
    villages = [Counter(h.village_code for h in p if isinstance(h, Household)) for p in parts[1:]]
    assert set(villages[0]) & set(villages[1])  # the same county-wide village weights


def test_report_counts_what_streamed() -> None:
    report = SeedReport()
    items = list(generate_county("360783", 40, seed=1, now=NOW, report=report))
    assert report.households == 40
    assert sum(report.nodes.values()) + sum(report.rels.values()) == len(items)
    assert report.nodes["Household"] == 40
    assert report.nodes["Area"] == 125


def test_parallel_load_equals_a_plain_load(tmp_path: Path) -> None:
    plain = SqliteStore(tmp_path / "plain.db", create=True)
    plain.ensure_schema()
    # Small chunks, so the parts are shared between two generating processes.
    plan = CountyPlan("360783", 120, seed=2, now=NOW, chunk_households=25)
    plain.bulk_load(chain.from_iterable(plan.items(p) for p in range(plan.parts)), batch_size=500)
    parallel = SqliteStore(tmp_path / "parallel.db", create=True)
    parallel.ensure_schema()
    done = load_in_parallel(parallel, plan, producers=2, batch_size=500)
    assert parallel.counts() == plain.counts()
    with plain.unit_of_work(write=False) as a, parallel.unit_of_work(write=False) as b:
        assert a.find(Person, limit=10_000) == b.find(Person, limit=10_000)
    assert done.nodes == sum(plain.counts().nodes.values())
    with parallel.unit_of_work(write=False) as uow:
        household = uow.find(Household, limit=1)[0]
        area_path = uow.paths(household.ref, ["LIVES_IN", "PART_OF"], min_depth=3, max_depth=3)
        assert [n.key for n in area_path[0].nodes][-1] == "360783000000"
        members = uow.neighbours(household.ref, ["MEMBER_OF"], Direction.IN)
        assert len(members) == household.member_count
    plain.close()
    parallel.close()


def test_a_failing_generator_is_reported_and_what_loaded_stays(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "z.db", create=True)
    store.ensure_schema()
    with pytest.raises(SeedError, match="no area extract for county 999999"):
        load_in_parallel(store, CountyPlan("999999", 10, seed=1, now=NOW))
    assert Counter(store.counts().nodes).total() == 0
    store.close()


def test_seeded_keys_are_the_ulids_of_their_time_and_counter() -> None:
    ctx = SeedContext(seed=5, now=NOW, areas=[])
    millis = int(NOW.timestamp() * 1000).to_bytes(6, "big")
    for _ in range(2_000):
        key = ctx.new_id("people")
        counter = ctx._counters["people"]
        assert key == str(ULID.from_bytes(millis + counter.to_bytes(10, "big")))
    ctx._counters["people"] = 2**80 - 2  # the largest counters encode the same way
    assert ctx.new_id("people") == str(ULID.from_bytes(millis + (2**80 - 1).to_bytes(10, "big")))


def test_staged_rows_load_the_same_store_as_a_pipelined_load(tmp_path: Path) -> None:
    plan = CountyPlan("360783", 60, seed=2, now=NOW, chunk_households=25)
    staged = tmp_path / "staged"
    stage_in_parallel(SqliteStore, plan, staged, producers=2, batch_size=400)
    assert sorted(p.name for p in staged.iterdir()) == [f"part-{i:06d}.batches" for i in range(plan.parts)]
    from_files = SqliteStore(tmp_path / "files.db", create=True)
    from_files.ensure_schema()
    from_files.load_prepared(read_staged(staged, plan.parts))
    pipelined = SqliteStore(tmp_path / "pipelined.db", create=True)
    pipelined.ensure_schema()
    load_in_parallel(pipelined, plan, producers=2, batch_size=400)
    assert from_files.counts() == pipelined.counts()
    with from_files.unit_of_work(write=False) as a, pipelined.unit_of_work(write=False) as b:
        assert a.find(Household, limit=100) == b.find(Household, limit=100)
    from_files.close()
    pipelined.close()
