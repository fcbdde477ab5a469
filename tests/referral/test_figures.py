"""Referral figures on a tiny hand-built county with known answers, and their agreement with the trace.

The tiny county (`build_tiny`): two townships; three referrals created in the period and one before
it, plus needs left unmet or waiting. Hours per completed hop are 10, 50 and 30 (the 50-hour hop
missed its 48-hour deadline); one open hop is overdue at NOW; one hop was rejected (no_capacity);
one claimed task went back to the pool (not_started).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph.model import (
    AllianceBody,
    AssignedTo,
    FirstHop,
    ForNeed,
    HasNeed,
    Need,
    NextHop,
    NodeRef,
    Organisation,
    Records,
    Referral,
    ReferralHop,
    SentBy,
    StatusChange,
    new_id,
)
from graph.model.enums import (
    AllianceLevel,
    HopReason,
    HopStatus,
    NeedChannel,
    NeedStatus,
    NeedType,
    OrganisationKind,
    ReferralStatus,
    Role,
    Urgency,
)
from graph.sqlite.store import SqliteStore
from graph.store import GraphStore, UnitOfWork
from referral.access.policy import Policy, Principal
from referral.tracking import figures, trace
from referral.tracking.models import FiguresBy
from seeds.county import generate_county
from tests.builders import (
    COUNTY,
    OTHER_TOWNSHIP,
    OTHER_VILLAGE,
    T0,
    TOWNSHIP,
    VILLAGE,
    make_areas,
    make_household,
)

NOW = T0 + timedelta(days=30)
PERIOD = (T0 - timedelta(days=1), T0 + timedelta(days=20))
H = timedelta(hours=1)
S = HopStatus
STAMP = {
    S.REQUESTED: "requested_at",
    S.RECEIVED: "received_at",
    S.ACCEPTED: "accepted_at",
    S.READY: "ready_at",
    S.IN_PROGRESS: "started_at",
    S.COMPLETED: "completed_at",
    S.REJECTED: "rejected_at",
}


@dataclass
class Tiny:
    store: GraphStore
    households: dict[str, str] = field(default_factory=dict)  # "h1" (VILLAGE), "h2" (OTHER_VILLAGE)
    hops: dict[str, str] = field(default_factory=dict)  # "r1h1" ... -> hop id
    needs: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)
    org: str = ""


def policy_for(role: Role, area: str, now: datetime = NOW, org: str | None = None) -> Policy:
    return Policy(Principal(new_id(), "tester", frozenset({role}), (area,), org), now)


def _need(uow: UnitOfWork, household_id: str, village: str, **values: Any) -> Need:
    base: dict[str, Any] = {
        "id": new_id(),
        "household_id": household_id,
        "village_code": village,
        "type": NeedType.MEDICAL,
        "urgency": Urgency.GENERAL,
        "channel": NeedChannel.HOME_VISIT,
        "reported_by": "user:village",
        "created_at": T0,
        "updated_at": T0,
    }
    need = Need(**(base | values))
    uow.upsert(need)
    uow.relate(HasNeed(start=NodeRef("Household", household_id), end=need.ref))
    return need


def _referral(uow: UnitOfWork, need: Need, created: datetime, status: ReferralStatus) -> Referral:
    referral = Referral(
        id=new_id(),
        need_id=need.id,
        household_id=need.household_id,
        status=status,
        created_by="user:coordinator",
        created_at=created,
        completed_at=created + 70 * H if status is ReferralStatus.COMPLETED else None,
    )
    uow.upsert(referral)
    uow.relate(ForNeed(start=referral.ref, end=need.ref))
    return referral


def _hop(
    uow: UnitOfWork,
    referral: Referral,
    seq: int,
    sender: AllianceBody,
    assignee: AllianceBody | Organisation,
    steps: list[tuple[HopStatus, datetime, str | None, HopReason | None]],
    due: timedelta,
    previous: ReferralHop | None = None,
    **extra: Any,
) -> ReferralHop:
    """A hop that went through `steps` (status, at, from, reason code), with its status changes."""
    hop_id = new_id()
    stamps = {STAMP[status]: at for status, at, _f, _r in steps if status in STAMP}
    created = steps[0][1]
    hop = ReferralHop(
        id=hop_id,
        referral_id=referral.id,
        seq=seq,
        status=steps[-1][0],
        assignee_id=assignee.id,
        assignee_label=assignee.LABEL,  # type: ignore[arg-type]
        created_at=created,
        updated_at=steps[-1][1],
        due_at=created + due,
        **(stamps | extra),
    )
    uow.upsert(hop)
    for status, at, before, reason in steps:
        change = StatusChange(
            id=new_id(),
            subject_label="ReferralHop",
            subject_id=hop_id,
            from_status=before,
            to_status=status.value,
            by=f"user:{sender.level.value}",
            at=at,
            reason_code=reason,
            reason="太忙" if reason else None,
        )
        uow.upsert(change)
        uow.relate(Records(start=change.ref, end=hop.ref))
    uow.relate(SentBy(start=hop.ref, end=sender.ref))
    uow.relate(AssignedTo(start=hop.ref, end=assignee.ref))
    if previous is None:
        uow.relate(FirstHop(start=referral.ref, end=hop.ref))
    else:
        uow.relate(NextHop(start=previous.ref, end=hop.ref))
    return hop


def _build(uow: UnitOfWork, tiny: Tiny) -> None:
    make_areas(uow)
    county = AllianceBody(
        id=new_id(), level=AllianceLevel.COUNTY, area_code=COUNTY, name="县助联体", created_at=T0
    )
    town = AllianceBody(
        id=new_id(), level=AllianceLevel.TOWNSHIP, area_code=TOWNSHIP, name="镇助联体", created_at=T0
    )
    other = AllianceBody(
        id=new_id(), level=AllianceLevel.TOWNSHIP, area_code=OTHER_TOWNSHIP, name="他镇助联体", created_at=T0
    )
    org = Organisation(
        id=new_id(),
        kind=OrganisationKind.CHARITY,
        name="爱心会",
        home_area_code=COUNTY,
        service_area_codes=[COUNTY],
        created_at=T0,
    )
    for node in (county, town, other, org):
        uow.upsert(node)
    tiny.bodies = {"county": county.id, "town": town.id, "other": other.id}
    tiny.org = org.id
    h1, members1 = make_household(uow, village=VILLAGE)
    h2, members2 = make_household(uow, village=OTHER_VILLAGE)
    for household, members in ((h1, members1), (h2, members2)):
        uow.upsert(household.model_copy(update={"head_person_id": members[0].id}))
    tiny.households = {"h1": h1.id, "h2": h2.id}
    # R1: completed; hop 1 took 10 h (on time), hop 2 took 50 h against a 48 h deadline (late).
    n1 = _need(uow, h1.id, VILLAGE, status=NeedStatus.MET)
    r1 = _referral(uow, n1, T0, ReferralStatus.COMPLETED)
    r1h1 = _hop(
        uow,
        r1,
        1,
        county,
        town,
        [(S.REQUESTED, T0, None, None), (S.COMPLETED, T0 + 10 * H, "requested", None)],
        timedelta(days=3),
    )
    start = T0 + 12 * H
    r1h2 = _hop(
        uow,
        r1,
        2,
        town,
        org,
        [
            (S.REQUESTED, start, None, None),
            (S.ACCEPTED, start + 5 * H, "requested", None),
            (S.IN_PROGRESS, start + 6 * H, "accepted", None),
            (S.COMPLETED, start + 50 * H, "in-progress", None),
        ],
        timedelta(days=2),
        r1h1,
    )
    # R2: active; hop 1 took 30 h; hop 2 went back to the pool once and is overdue and escalated.
    n2 = _need(uow, h1.id, VILLAGE, type=NeedType.HOUSING, status=NeedStatus.REFERRED, created_at=T0 + 20 * H)
    day1 = T0 + 24 * H
    r2 = _referral(uow, n2, day1, ReferralStatus.ACTIVE)
    r2h1 = _hop(
        uow,
        r2,
        1,
        county,
        town,
        [(S.REQUESTED, day1, None, None), (S.COMPLETED, day1 + 30 * H, "requested", None)],
        timedelta(days=3),
    )
    day2 = T0 + 48 * H
    r2h2 = _hop(
        uow,
        r2,
        2,
        town,
        org,
        [
            (S.REQUESTED, day2, None, None),
            (S.ACCEPTED, day2 + 2 * H, "requested", None),
            (S.READY, day2 + 30 * H, "accepted", HopReason.NOT_STARTED),
            (S.ACCEPTED, day2 + 40 * H, "ready", None),
            (S.IN_PROGRESS, day2 + 44 * H, "accepted", None),
        ],
        timedelta(days=5),
        r2h1,
        escalation_level=AllianceLevel.TOWNSHIP,
        escalated_at=day2 + 5 * 24 * H + H,
    )
    # R3 (other township): hop 1 rejected for lack of capacity; the referral was cancelled.
    n3 = _need(uow, h2.id, OTHER_VILLAGE, status=NeedStatus.OPEN)
    r3 = _referral(uow, n3, day2, ReferralStatus.CANCELLED)
    r3h1 = _hop(
        uow,
        r3,
        1,
        county,
        other,
        [(S.REQUESTED, day2, None, None), (S.REJECTED, day2 + 24 * H, "requested", HopReason.NO_CAPACITY)],
        timedelta(days=7),
    )
    # Before the period: counted nowhere.
    n0 = _need(uow, h2.id, OTHER_VILLAGE, status=NeedStatus.MET, created_at=T0 - 9 * 24 * H)
    r0 = _referral(uow, n0, T0 - 5 * 24 * H, ReferralStatus.COMPLETED)
    _hop(
        uow,
        r0,
        1,
        county,
        other,
        [(S.REQUESTED, T0 - 5 * 24 * H, None, None), (S.COMPLETED, T0 - 4 * 24 * H, "requested", None)],
        timedelta(days=3),
    )
    # Needs waiting in the period: unmet with a reason, and open with no referral.
    n4 = _need(
        uow, h2.id, OTHER_VILLAGE, status=NeedStatus.UNMET, unmet_reason="no_resource", created_at=day1
    )
    n5 = _need(uow, h1.id, VILLAGE, type=NeedType.EDUCATION, created_at=day1)
    _need(uow, h1.id, VILLAGE, type=NeedType.CARE, created_at=T0 + 25 * 24 * H)  # after the period
    tiny.hops = {"r1h1": r1h1.id, "r1h2": r1h2.id, "r2h1": r2h1.id, "r2h2": r2h2.id, "r3h1": r3h1.id}
    tiny.needs = {"n1": n1.id, "n2": n2.id, "n3": n3.id, "n4": n4.id, "n5": n5.id}


def build_tiny(path: Path) -> Tiny:
    store = SqliteStore(path, create=True)
    store.ensure_schema()
    tiny = Tiny(store)
    store.run(lambda uow: _build(uow, tiny))
    return tiny


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tiny]:
    built = build_tiny(tmp_path_factory.mktemp("tiny") / "tiny.db")
    try:
        yield built
    finally:
        built.store.close()


def _figures(tiny: Tiny, by: FiguresBy, policy: Policy | None = None) -> Any:
    policy = policy or policy_for(Role.COUNTY_COORDINATOR, COUNTY)
    return tiny.store.run(lambda uow: figures.referral_figures(uow, policy, *PERIOD, by), write=False)


def test_totals_have_the_known_answers(tiny: Tiny) -> None:
    total = _figures(tiny, FiguresBy.AREA).total
    assert (total.referrals, total.cancelled, total.completed) == (3, 1, 1)
    assert total.completion_rate == 0.5  # 1 completed of the 2 not cancelled
    assert (total.hops, total.hops_completed, total.hops_on_time) == (5, 3, 2)
    assert total.on_time_rate == round(2 / 3, 4)
    assert total.median_hours == 30.0  # of 10, 30, 50
    assert total.p90_hours == 46.0  # 30 + 0.8 * (50 - 30)
    assert total.overdue == 1
    assert total.rejected == {"no_capacity": 1}
    assert total.returned == {"not_started": 1}
    assert total.failed == {}
    assert total.unmet == {"no_resource": 1, "not_dispatched": 1, "returned": 1}


def test_grouped_by_area_level_and_need_type(tiny: Tiny) -> None:
    rows = {r.key: r for r in _figures(tiny, FiguresBy.AREA).rows}
    assert set(rows) == {TOWNSHIP, OTHER_TOWNSHIP}  # a county's staff see townships
    town, other = rows[TOWNSHIP], rows[OTHER_TOWNSHIP]
    assert (town.referrals, town.completed, town.completion_rate, town.overdue) == (2, 1, 0.5, 1)
    assert town.unmet == {"not_dispatched": 1}
    assert (other.referrals, other.cancelled, other.completion_rate) == (1, 1, None)
    assert other.rejected == {"no_capacity": 1}
    assert other.unmet == {"no_resource": 1, "returned": 1}
    assert town.label == "龙南镇"

    levels = {r.key: r for r in _figures(tiny, FiguresBy.LEVEL).rows}
    assert (levels["township"].hops, levels["township"].hops_completed) == (3, 2)
    assert levels["township"].median_hours == 20.0  # of 10 and 30
    assert (levels["provider"].hops, levels["provider"].hops_on_time, levels["provider"].overdue) == (2, 0, 1)

    types = {r.key: r for r in _figures(tiny, FiguresBy.NEED_TYPE).rows}
    assert types["medical"].referrals == 2 and types["housing"].referrals == 1
    assert types["education"].unmet == {"not_dispatched": 1}

    providers = {r.key: r for r in _figures(tiny, FiguresBy.PROVIDER).rows}
    assert providers[tiny.org].label == "爱心会" and providers[tiny.org].referrals == 2


def test_a_township_sees_its_villages_only(tiny: Tiny) -> None:
    result = _figures(tiny, FiguresBy.AREA, policy_for(Role.TOWNSHIP_OFFICER, TOWNSHIP))
    assert [r.key for r in result.rows] == [VILLAGE]
    assert (result.total.referrals, result.total.overdue) == (2, 1)
    assert result.total.rejected == {}


def test_hop_times_come_from_the_status_changes() -> None:
    """Opening is the change from none, completion the last change to completed, in any order given."""

    def change(to: HopStatus, before: str | None, at: datetime) -> StatusChange:
        return StatusChange(
            id=new_id(),
            subject_label="ReferralHop",
            subject_id="h",
            from_status=before,
            to_status=to.value,
            by="user:x",
            at=at,
        )

    changes = [
        change(S.COMPLETED, "in-progress", T0 + 30 * H),
        change(S.READY, None, T0),
        change(S.ACCEPTED, "ready", T0 + 2 * H),
        change(S.IN_PROGRESS, "accepted", T0 + 3 * H),
    ]
    times = figures.hop_times(changes)
    assert (times.opened_at, times.completed_at, times.hours) == (T0, T0 + 30 * H, 30.0)
    assert figures.hop_times(changes[1:]).hours is None


def test_overdue_depends_on_now(tiny: Tiny) -> None:
    early = policy_for(Role.COUNTY_COORDINATOR, COUNTY, now=T0 + 72 * H)
    assert _figures(tiny, FiguresBy.AREA, early).total.overdue == 0


def test_completed_hops_agree_with_the_trace(tiny: Tiny) -> None:
    policy = policy_for(Role.COUNTY_COORDINATOR, COUNTY)

    def check(uow: UnitOfWork) -> None:
        _assert_figures_match_trace(uow, policy, *PERIOD)

    tiny.store.run(check)


def _assert_figures_match_trace(uow: UnitOfWork, policy: Policy, start: datetime, end: datetime) -> int:
    """Every completed hop the figures count is in its household's trace with the same times."""
    inputs = figures.figure_inputs(uow, policy, start, end)
    households = {r.id: r.household_id for r in inputs.referrals}
    traces: dict[str, Any] = {}
    checked = 0
    for hop in inputs.hops:
        if hop.status is not HopStatus.COMPLETED:
            continue
        household_id = households[hop.referral_id]
        if household_id not in traces:
            traces[household_id] = trace.household_trace(uow, policy, household_id)
        nodes = {n.id: n for n in traces[household_id].graph.nodes}
        node = nodes[f"ReferralHop:{hop.id}"]
        assert (node.started_at, node.completed_at, node.due_at) == (
            hop.requested_at or hop.created_at,
            hop.completed_at,
            hop.due_at,
        )
        events = [
            e for e in traces[household_id].timeline if e.subject_id == hop.id and e.to_status == "completed"
        ]
        assert [e.at for e in events] == [hop.completed_at]
        checked += 1
    return checked


def test_figures_match_trace_on_the_seeded_world(tmp_path: Path) -> None:
    """On a seeded county: every completed hop of a year's figures is in its household's trace."""
    seeded = SqliteStore(tmp_path / "seeded.db", create=True)
    seeded.ensure_schema()
    now = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    seeded.bulk_load(generate_county("360783", 150, seed=5, now=now))
    policy = policy_for(Role.COUNTY_COORDINATOR, "360783000000", now=now)
    try:
        checked = seeded.run(
            lambda uow: _assert_figures_match_trace(uow, policy, now - timedelta(days=400), now)
        )
        assert checked > 20
        result = seeded.run(
            lambda uow: figures.referral_figures(uow, policy, now - timedelta(days=400), now, FiguresBy.AREA),
            write=False,
        )
        assert result.total.hops_completed == checked
        assert sum(r.referrals for r in result.rows) == result.total.referrals
    finally:
        seeded.close()
