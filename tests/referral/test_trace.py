"""The assistance chain: order and content of the timeline, a well-formed graph, scope and masking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph.errors import NodeNotFound
from graph.model import AuditEntry, Referral, ReferralHop, StatusChange
from graph.model.enums import Role
from graph.sqlite.store import SqliteStore
from graph.store import Filter, Op, UnitOfWork, where
from referral.access.errors import Forbidden
from referral.tracking import trace
from referral.tracking.models import Trace
from seeds.county import generate_county
from tests.builders import COUNTY, OTHER_TOWNSHIP, TOWNSHIP, VILLAGE
from tests.referral.test_figures import Tiny, build_tiny, policy_for

SEED_NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tiny]:
    built = build_tiny(tmp_path_factory.mktemp("tiny") / "tiny.db")
    try:
        yield built
    finally:
        built.store.close()


def assert_well_formed(uow: UnitOfWork, result: Trace) -> None:
    """Time order; every status change of the shown hops is there once; edges join existing nodes."""
    times = [e.at for e in result.timeline]
    assert times == sorted(times)
    hop_ids = [n.id.split(":", 1)[1] for n in result.graph.nodes if n.label == "ReferralHop"]
    changes = uow.find(StatusChange, [Filter("subject_id", Op.IN, hop_ids)])
    shown = [
        (e.subject_id, e.from_status, e.to_status, e.at) for e in result.timeline if e.kind == "hop_status"
    ]
    assert sorted(shown, key=str) == sorted(
        ((c.subject_id, c.from_status, c.to_status, c.at) for c in changes), key=str
    )
    node_ids = {n.id for n in result.graph.nodes}
    assert len(node_ids) == len(result.graph.nodes)
    for edge in result.graph.edges:
        assert edge.source in node_ids and edge.target in node_ids, edge
    hops = uow.get_many(ReferralHop, hop_ids)
    for node in result.graph.nodes:
        if node.label == "ReferralHop":
            hop = hops[node.id.split(":", 1)[1]]
            assert node.status == hop.status.value
            hop_edges = [e for e in result.graph.edges if e.type == "HOP" and e.hop_id == hop.id]
            assert all(e.overdue is node.overdue for e in hop_edges)


def test_household_chain_in_time_order_with_every_step(tiny: Tiny) -> None:
    policy = policy_for(Role.COUNTY_COORDINATOR, COUNTY)

    def read(uow: UnitOfWork) -> Trace:
        result = trace.household_trace(uow, policy, tiny.households["h1"])
        assert_well_formed(uow, result)
        return result

    result = tiny.store.run(read)
    kinds = [e.kind for e in result.timeline]
    assert kinds[0] == "need_reported"
    assert kinds.count("referral_created") == 2 and kinds.count("need_reported") == 4
    assert "hop_escalated" in kinds and "verification" in kinds
    nodes = {n.id: n for n in result.graph.nodes}
    overdue = nodes[f"ReferralHop:{tiny.hops['r2h2']}"]
    assert overdue.overdue and overdue.late_hours and overdue.escalation_level == "township"
    assert not nodes[f"ReferralHop:{tiny.hops['r1h2']}"].overdue
    hop_edge = next(e for e in result.graph.edges if e.type == "HOP" and e.hop_id == tiny.hops["r2h2"])
    assert hop_edge.overdue and hop_edge.status == "in-progress"
    assert (
        hop_edge.source == f"AllianceBody:{tiny.bodies['town']}"
        and hop_edge.target == f"Organisation:{tiny.org}"
    )
    # The late completion of hop 2 of R1 (50 h against 48 h) is flagged, the on-time one is not.
    done = {
        e.subject_id: e.late for e in result.timeline if e.kind == "hop_status" and e.to_status == "completed"
    }
    assert done[tiny.hops["r1h2"]] is True and done[tiny.hops["r1h1"]] is False
    assert {n.label for n in result.graph.nodes} >= {
        "Household",
        "Need",
        "Referral",
        "ReferralHop",
        "AllianceBody",
    }
    assert result.access == "area" and result.head_name == "成员0" and result.masked == ["amounts"]


def test_unmasked_read_is_audited(tiny: Tiny) -> None:
    def entries(uow: UnitOfWork) -> int:
        return uow.count(AuditEntry, [Filter("action", Op.EQ, "read_pii")])

    before = tiny.store.run(entries, write=False)
    tiny.store.run(
        lambda uow: trace.household_trace(
            uow, policy_for(Role.TOWNSHIP_OFFICER, TOWNSHIP), tiny.households["h1"]
        )
    )
    assert tiny.store.run(entries, write=False) == before + 1
    provider = policy_for(Role.PROVIDER, COUNTY, org=tiny.org)
    tiny.store.run(lambda uow: trace.household_trace(uow, provider, tiny.households["h1"]))
    assert tiny.store.run(entries, write=False) == before + 1  # nothing unmasked for the provider


def test_provider_sees_only_its_own_tasks_masked(tiny: Tiny) -> None:
    provider = policy_for(Role.PROVIDER, COUNTY, org=tiny.org)
    result = tiny.store.run(lambda uow: trace.household_trace(uow, provider, tiny.households["h1"]))
    assert result.access == "assignment" and result.head_name is None
    assert result.masked == ["amounts", "head_name"]
    needs = {n.id for n in result.graph.nodes if n.label == "Need"}
    assert needs == {f"Need:{tiny.needs['n1']}", f"Need:{tiny.needs['n2']}"}  # not the undispatched n5
    with pytest.raises(NodeNotFound):
        tiny.store.run(lambda uow: trace.household_trace(uow, provider, tiny.households["h2"]))
    with pytest.raises(NodeNotFound):
        tiny.store.run(lambda uow: trace.need_trace(uow, provider, tiny.needs["n5"]))


@pytest.mark.parametrize(
    ("role", "area", "household", "visible"),
    [
        (Role.TOWNSHIP_OFFICER, TOWNSHIP, "h1", True),
        (Role.TOWNSHIP_OFFICER, OTHER_TOWNSHIP, "h1", False),
        (Role.VILLAGE_WORKER, VILLAGE, "h2", False),
        (Role.SOCIAL_WORKER, TOWNSHIP, "h1", True),
    ],
)
def test_area_scope(tiny: Tiny, role: Role, area: str, household: str, visible: bool) -> None:
    def read(uow: UnitOfWork) -> Any:
        return trace.household_trace(uow, policy_for(role, area), tiny.households[household])

    if visible:
        assert tiny.store.run(read).household_id == tiny.households[household]
    else:
        with pytest.raises(NodeNotFound) as outside:
            tiny.store.run(read)
        with pytest.raises(NodeNotFound) as missing:
            tiny.store.run(lambda uow: trace.household_trace(uow, policy_for(role, area), "01NOSUCH"))
        assert str(outside.value) == str(missing.value)


def test_roles_without_trace_are_refused(tiny: Tiny) -> None:
    for role in (Role.AUDITOR, Role.ADMIN):
        with pytest.raises(Forbidden):
            tiny.store.run(
                lambda uow, r=role: trace.household_trace(uow, policy_for(r, COUNTY), tiny.households["h1"])
            )


def test_need_trace_is_that_need_only(tiny: Tiny) -> None:
    policy = policy_for(Role.TOWNSHIP_OFFICER, TOWNSHIP)
    result = tiny.store.run(lambda uow: trace.need_trace(uow, policy, tiny.needs["n2"]))
    assert result.need_id == tiny.needs["n2"]
    assert {e.subject_id for e in result.timeline if e.subject_label == "Need"} == {tiny.needs["n2"]}
    assert len([n for n in result.graph.nodes if n.label == "Referral"]) == 1
    lone = tiny.store.run(lambda uow: trace.need_trace(uow, policy, tiny.needs["n5"]))
    assert [e.kind for e in lone.timeline] == ["need_reported"]


def test_seeded_chains_are_complete_and_ordered(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "seeded.db", create=True)
    store.ensure_schema()
    store.bulk_load(generate_county("360783", 120, seed=7, now=SEED_NOW))
    policy = policy_for(Role.COUNTY_COORDINATOR, "360783000000", now=SEED_NOW + timedelta(days=1))

    def check(uow: UnitOfWork) -> int:
        households = sorted({r.household_id for r in uow.find(Referral, limit=60)})
        for household_id in households:
            result = trace.household_trace(uow, policy, household_id)
            assert_well_formed(uow, result)
            referrals = uow.find(Referral, where(household_id=household_id))
            assert len([n for n in result.graph.nodes if n.label == "Referral"]) == len(referrals)
            for node in result.graph.nodes:
                if node.label == "ReferralHop" and node.overdue:
                    # Overdue: past the completion deadline, or past the acceptance one before starting.
                    deadlines = [d for d in (node.due_at, node.accept_due_at) if d is not None]
                    assert any(d < policy.now for d in deadlines)
        return len(households)

    try:
        assert store.run(check) > 10
    finally:
        store.close()
