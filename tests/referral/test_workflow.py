"""The routing services on a seeded county, without HTTP: rules of needs, routing, claims and escalation.

Also the builders the state-machine, concurrency and escalation tests share: principals per role and
a need taken to a given point of its referral through the services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest

from graph.errors import InvalidInput, NodeNotFound
from graph.model import AuditEntry, Need, Notification, Organisation, ReferralHop, StatusChange
from graph.model.enums import HopReason, HopStatus, NeedType, NotificationKind, OrganisationKind, Role
from graph.store import GraphStore, UnitOfWork, where
from referral.access.errors import Forbidden
from referral.access.policy import Policy, Principal
from referral.access.tasks import organisation_serves
from referral.routing import escalation, needs, notifications, service
from referral.routing.models import DispatchRequest, NeedCreate, OfferRequest, ReleaseRequest, Target
from referral.routing.workflow import InvalidTransition
from tests.api.conftest import World, build_world, copy_world

T = TypeVar("T")


@pytest.fixture(scope="session")
def routing_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    built = build_world(tmp_path_factory.mktemp("routing") / "zhulian.db")
    built.store.close()
    return built


@pytest.fixture(scope="module")
def world(routing_template: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    copied = copy_world(routing_template, tmp_path_factory.mktemp("routing") / "zhulian.db")
    try:
        yield copied
    finally:
        copied.store.close()


@dataclass
class Actors:
    """Principals acting in one household's areas, and the two charities serving its village."""

    household_id: str
    village: str
    county: Principal
    township: Principal
    village_worker: Principal
    charities: list[Principal]
    far_township: Principal

    def policy(self, principal: Principal, now: datetime) -> Policy:
        return Policy(principal, now)


def actors(world: World) -> Actors:
    s = world.scenario

    def orgs(uow: UnitOfWork) -> list[str]:
        found = uow.find(
            Organisation, where(kind__in=[OrganisationKind.CHARITY, OrganisationKind.SOCIAL_WORK])
        )
        return [o.id for o in found if organisation_serves(o, s.village)][:2]

    charities = world.store.run(orgs, write=False)
    return Actors(
        household_id=s.hh_provider,
        village=s.village,
        county=Principal("u-county", "county", frozenset({Role.COUNTY_COORDINATOR}), (s.county,)),
        township=Principal("u-township", "township", frozenset({Role.TOWNSHIP_OFFICER}), (s.township,)),
        village_worker=Principal("u-village", "village", frozenset({Role.VILLAGE_WORKER}), (s.village,)),
        charities=[
            Principal(f"u-charity{i}", f"charity{i}", frozenset({Role.PROVIDER}), (s.county,), org)
            for i, org in enumerate(charities)
        ],
        far_township=Principal("u-far", "far", frozenset({Role.TOWNSHIP_OFFICER}), (s.far_township,)),
    )


def run(store: GraphStore, principal: Principal, now: datetime, fn: Callable[..., T], *args: Any) -> T:
    """Run one service call for a principal at `now` in a managed transaction."""
    return store.run(lambda uow: fn(uow, Policy(principal, now), *args))


def new_need(world: World, a: Actors, now: datetime, urgency: str = "urgent") -> str:
    """A new need of the household (of a type it has no open need of); its id."""

    def free(uow: UnitOfWork) -> NeedType:
        taken = {
            n.type
            for n in uow.find(Need, where(household_id=a.household_id, status__in=["open", "referred"]))
        }
        return next(t for t in NeedType if t not in taken)

    kind = world.store.run(free, write=False)
    body = NeedCreate(household_id=a.household_id, type=kind, urgency=urgency, description="需要帮助")  # type: ignore[arg-type]
    return run(world.store, a.village_worker, now, needs.report_need, body).id


def pool_task(world: World, a: Actors, now: datetime, urgency: str = "urgent") -> tuple[str, str]:
    """A need dispatched by the county, accepted by the township and offered to the pool: (need, hop 2)."""
    need_id = new_need(world, a, now, urgency)
    referral = run(world.store, a.county, now, service.dispatch, need_id, DispatchRequest())
    hop1 = referral.hops[0].id
    run(world.store, a.township, now, service.move_task, hop1, HopStatus.ACCEPTED)
    offered = run(world.store, a.township, now, service.offer, hop1, OfferRequest())
    return need_id, offered.hops[1].id


def hop(world: World, hop_id: str) -> ReferralHop:
    return world.store.run(lambda uow: uow.require(ReferralHop, hop_id), write=False)


# -- tests --------------------------------------------------------------------------------------
def test_a_repeated_report_is_attached_and_raises_urgency(world: World) -> None:
    a, now = actors(world), world.clock.now
    need_id = new_need(world, a, now, urgency="general")
    kind = world.store.run(lambda uow: uow.require(Need, need_id).type, write=False)
    body = NeedCreate(household_id=a.household_id, type=kind, urgency="urgent")  # type: ignore[arg-type]
    again = run(world.store, a.village_worker, now, needs.report_need, body)
    assert again.id == need_id and again.report_count == 2 and again.urgency == "urgent"


def test_a_refused_move_changes_nothing(world: World) -> None:
    a, now = actors(world), world.clock.now
    _need, hop_id = pool_task(world, a, now)
    before = world.store.counts()
    with pytest.raises(InvalidTransition):
        run(world.store, a.charities[0], now, service.move_task, hop_id, HopStatus.IN_PROGRESS)
    assert world.store.counts() == before and hop(world, hop_id).status is HopStatus.READY


def test_claims_get_a_start_deadline_and_go_back_to_the_pool_when_not_started(world: World) -> None:
    a, now = actors(world), world.clock.now
    _need, hop_id = pool_task(world, a, now, urgency="urgent")
    claimed = run(world.store, a.charities[0], now, service.claim, hop_id)
    assert claimed.hop.accept_due_at == now + timedelta(days=1)
    later = now + timedelta(days=1, minutes=1)
    report = world.store.run(lambda uow: escalation.escalate(uow, later))
    back = [x for x in report.actions if x.hop_id == hop_id]
    assert [x.action for x in back] == ["returned_to_pool"]
    moved = hop(world, hop_id)
    assert (
        moved.status is HopStatus.READY and moved.assignee_id is None and moved.reason_code == "not_started"
    )
    org = a.charities[0].organisation_id
    assert org is not None
    count = world.store.run(lambda uow: service.notifications.returned_to_pool_count(uow, org), write=False)
    assert count >= 1
    again = world.store.run(lambda uow: escalation.escalate(uow, later))
    assert not [x for x in again.actions if x.hop_id == hop_id]
    # Someone else may claim it now.
    run(world.store, a.charities[1], later, service.claim, hop_id)


def test_the_holder_gives_a_claimed_task_back_to_the_pool(world: World) -> None:
    """Only the organisation holding it, with a reason, before it starts; recorded like the timeout."""
    a, now = actors(world), world.clock.now
    _need, hop_id = pool_task(world, a, now)
    holder, other = a.charities
    run(world.store, holder, now, service.claim, hop_id)
    why = ReleaseRequest(reason_code=HopReason.NO_CAPACITY, reason="本周人手不足")
    before = world.store.counts()
    with pytest.raises(NodeNotFound):  # another provider: the claimed task is no longer in its pool
        run(world.store, other, now, service.release, hop_id, why)
    with pytest.raises(Forbidden):  # the township: area staff do not claim, nor give back
        run(world.store, a.township, now, service.release, hop_id, why)
    timeout_code = ReleaseRequest(reason_code=HopReason.NOT_STARTED, reason="x")
    with pytest.raises(InvalidInput):
        run(world.store, holder, now, service.release, hop_id, timeout_code)
    assert world.store.counts() == before and hop(world, hop_id).status is HopStatus.ACCEPTED

    org = holder.organisation_id
    assert org is not None

    def record(uow: UnitOfWork) -> tuple[int, int]:
        """The holder's record: tasks it gave back, tasks taken back for not starting."""
        return notifications.given_back_count(uow, org), notifications.returned_to_pool_count(uow, org)

    given, returned = world.store.run(record, write=False)
    later = now + timedelta(hours=1)
    view = run(world.store, holder, later, service.release, hop_id, why)
    assert view.hop.status is HopStatus.READY and view.access == ["pool"]
    moved = hop(world, hop_id)
    assert (moved.assignee_id, moved.assignee_label, moved.accept_due_at) == (None, None, None)
    assert moved.reason_code is HopReason.NO_CAPACITY and moved.ready_at == later

    def recorded(uow: UnitOfWork) -> tuple[Any, ...]:
        change = uow.find(StatusChange, where(subject_id=hop_id, from_status="accepted", to_status="ready"))
        audit = uow.find(AuditEntry, where(object_id=hop_id, action="hop_ready"))
        assigned = uow.neighbours(moved.ref, ["ASSIGNED_TO"])
        return change, audit, assigned

    (change,), (entry,), assigned = world.store.run(recorded, write=False)
    assert (change.by, change.at, change.reason, change.reason_code) == (
        holder.actor,
        later,
        "本周人手不足",
        HopReason.NO_CAPACITY,
    )
    assert entry.actor == holder.actor and not assigned
    assert world.store.run(record, write=False) == (given + 1, returned)  # a give-back, not a timeout
    # Back in the pool for every provider serving the household, the one who gave it back included.
    assert hop_id in {t.hop.id for t in run(world.store, other, later, service.pool).tasks}
    run(world.store, other, later, service.claim, hop_id)
    run(world.store, other, later, service.move_task, hop_id, HopStatus.IN_PROGRESS)
    with pytest.raises(InvalidTransition):  # started: it can only be completed, put on hold or failed
        run(world.store, other, later, service.release, hop_id, why)


def test_only_a_task_from_the_pool_can_be_given_back(world: World) -> None:
    a, now = actors(world), world.clock.now
    need_id = new_need(world, a, now)
    referral = run(world.store, a.county, now, service.dispatch, need_id, DispatchRequest())
    hop1 = referral.hops[0].id
    run(world.store, a.township, now, service.move_task, hop1, HopStatus.ACCEPTED)
    org = a.charities[0].organisation_id
    assigned = run(world.store, a.township, now, service.route_onward, hop1, Target(organisation_id=org))
    hop2 = assigned.hops[1].id
    run(world.store, a.charities[0], now, service.move_task, hop2, HopStatus.ACCEPTED)
    why = ReleaseRequest(reason_code=HopReason.NO_CAPACITY, reason="满员")
    with pytest.raises(InvalidTransition, match="任务池"):  # assigned by name: reject it instead
        run(world.store, a.charities[0], now, service.release, hop2, why)


def test_overdue_hops_escalate_once_per_level(world: World) -> None:
    a, now = actors(world), world.clock.now
    need_id = new_need(world, a, now, urgency="urgent")
    referral = run(world.store, a.county, now, service.dispatch, need_id, DispatchRequest())
    hop_id = referral.hops[0].id  # with the township body: escalates to the county
    late = now + timedelta(days=1, hours=1)  # past the acceptance deadline (urgent: 1 day)
    first = world.store.run(lambda uow: escalation.escalate(uow, late))
    mine = [x for x in first.actions if x.hop_id == hop_id]
    assert [(x.action, x.level) for x in mine] == [("escalated", "county")]
    assert not [
        x for x in world.store.run(lambda uow: escalation.escalate(uow, late)).actions if x.hop_id == hop_id
    ]
    marked = hop(world, hop_id)
    assert marked.escalation_level == "county" and marked.escalated_at == late
    notes = world.store.run(
        lambda uow: uow.find(Notification, where(subject_id=hop_id, kind=NotificationKind.ESCALATED)),
        write=False,
    )
    assert len(notes) == 1
    assert world.store.run(lambda uow: uow.count(StatusChange, where(subject_id=hop_id)), write=False) == 1


def test_a_provider_task_goes_to_the_township_then_once_to_the_county(world: World) -> None:
    a, now = actors(world), world.clock.now
    _need, hop_id = pool_task(world, a, now, urgency="urgent")
    run(world.store, a.charities[0], now, service.claim, hop_id)
    run(world.store, a.charities[0], now, service.move_task, hop_id, HopStatus.IN_PROGRESS)
    due = hop(world, hop_id).due_at
    assert due == now + timedelta(days=3)
    t1 = due + timedelta(minutes=1)
    levels = [
        x.level
        for x in world.store.run(lambda uow: escalation.escalate(uow, t1)).actions
        if x.hop_id == hop_id
    ]
    assert levels == ["township"]
    t2 = t1 + timedelta(hours=2)  # within the grace: nothing new
    assert not [
        x for x in world.store.run(lambda uow: escalation.escalate(uow, t2)).actions if x.hop_id == hop_id
    ]
    t3 = t1 + timedelta(days=1)
    levels = [
        x.level
        for x in world.store.run(lambda uow: escalation.escalate(uow, t3)).actions
        if x.hop_id == hop_id
    ]
    assert levels == ["county"]
    t4 = t3 + timedelta(days=5)
    assert not [
        x for x in world.store.run(lambda uow: escalation.escalate(uow, t4)).actions if x.hop_id == hop_id
    ]


def test_every_service_refuses_outside_scope(world: World) -> None:
    a, now = actors(world), world.clock.now
    _need, hop_id = pool_task(world, a, now)
    with pytest.raises(NodeNotFound):
        run(world.store, a.far_township, now, service.task_detail, hop_id)
