"""Random actions by random actors on one referral never leave the transition table.

A hypothesis state machine drives the routing services (receive ... verify, claim, release, assign,
offer, reopen, cancel) as the county, the township, the village worker, two charities and an officer of
another township. After every step: each hop's StatusChanges replay from creation to its current
status through pairs of the table only, and a refused action changed nothing in the store.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from graph.errors import ZhulianError
from graph.model import Need, Referral, ReferralHop, StatusChange
from graph.model.enums import DeliveryKind, HopReason, HopStatus, NeedStatus, OutcomeResult
from graph.store import Order, UnitOfWork, where
from referral.access.policy import Policy, Principal
from referral.routing import closing, service
from referral.routing.models import (
    CancelRequest,
    CompleteRequest,
    DispatchRequest,
    OfferRequest,
    ReasonRequest,
    ReleaseRequest,
    ReopenRequest,
    Target,
    VerifyRequest,
)
from referral.routing.workflow import TRANSITIONS
from tests.api.conftest import World
from tests.referral.test_workflow import Actors, actors, new_need, routing_template, world  # noqa: F401

Action = Callable[[UnitOfWork, Policy, str, str], Any]
REASON = ReasonRequest(reason_code=HopReason.OTHER, reason="理由")
RELEASE = ReleaseRequest(reason_code=HopReason.NO_CAPACITY, reason="交回")


def _delivery() -> CompleteRequest:
    return CompleteRequest(kind=DeliveryKind.GOODS, units=1, unit_name="箱", delivered_on=date(2026, 11, 2))


def actions(org: str) -> dict[str, Action]:
    """Every action, as a call on (uow, policy, hop id, referral id)."""

    def move(to: HopStatus, only: frozenset[HopStatus] | None = None) -> Action:
        return lambda uow, p, h, r: service.move_task(uow, p, h, to, only_from=only)

    return {
        "receive": move(HopStatus.RECEIVED),
        "accept": move(HopStatus.ACCEPTED),
        "start": move(HopStatus.IN_PROGRESS, frozenset({HopStatus.ACCEPTED})),
        "hold": move(HopStatus.ON_HOLD),
        "resume": move(HopStatus.IN_PROGRESS, frozenset({HopStatus.ON_HOLD})),
        "reject": lambda uow, p, h, r: service.return_task(uow, p, h, HopStatus.REJECTED, REASON),
        "fail": lambda uow, p, h, r: service.return_task(uow, p, h, HopStatus.FAILED, REASON),
        "complete": lambda uow, p, h, r: service.complete_task(uow, p, h, _delivery()),
        "claim": lambda uow, p, h, r: service.claim(uow, p, h),
        "release": lambda uow, p, h, r: service.release(uow, p, h, RELEASE),
        "offer": lambda uow, p, h, r: service.offer(uow, p, h, OfferRequest()),
        "assign": lambda uow, p, h, r: service.route_onward(uow, p, h, Target(organisation_id=org)),
        "verify": lambda uow, p, h, r: closing.verify(
            uow, p, r, VerifyRequest(result=OutcomeResult.RESOLVED)
        ),
        "reopen": lambda uow, p, h, r: closing.reopen(
            uow, p, r, ReopenRequest(reason_code=HopReason.INCOMPLETE, reason="再办")
        ),
        "cancel": lambda uow, p, h, r: closing.cancel(uow, p, r, CancelRequest(reason="取消")),
        "error": lambda uow, p, h, r: closing.cancel(
            uow, p, r, CancelRequest(reason="错", entered_in_error=True)
        ),
    }


def snapshot(uow: UnitOfWork, referral_id: str) -> Any:
    hops = uow.find(ReferralHop, where(referral_id=referral_id))
    referral = uow.require(Referral, referral_id)
    need = uow.require(Need, referral.need_id)
    return (
        sorted((h.id, h.status, h.version, h.assignee_id) for h in hops),
        (referral.status, referral.version),
        (need.status, need.version),
    )


def check_replay(uow: UnitOfWork, referral_id: str) -> None:
    for hop in uow.find(ReferralHop, where(referral_id=referral_id)):
        changes = uow.find(StatusChange, where(subject_id=hop.id), order_by=[Order("at")])
        assert changes and changes[0].from_status is None, hop.id
        assert changes[0].to_status in (HopStatus.REQUESTED, HopStatus.READY)
        for before, after in itertools.pairwise(changes):
            assert after.from_status == before.to_status, (hop.id, before, after)
            assert (HopStatus(after.from_status), HopStatus(after.to_status)) in TRANSITIONS
        assert HopStatus(changes[-1].to_status) is hop.status
        assert hop.version == len(changes) + (1 if hop.escalation_level else 0)


# Weighted towards the actors and actions that move a case forward (or round the pool: claim, release),
# so runs get deep into the table:
# principals 0 county, 1 township, 2 village worker, 3 and 4 charities, 5 another township, and
# 6: whoever holds the chosen hop (its assignee; the township once it is closed; a charity in the pool).
WHO = [0, 1, 2, 3, 4, 5, 6, 6, 6, 6]
FORWARD = ["accept", "start", "complete", "claim", "release", "offer", "assign", "verify"]
WHAT = sorted(FORWARD * 3 + [a for a in actions("x") if a not in FORWARD])


class Workflow(RuleBasedStateMachine):
    w: World
    a: Actors
    reached: ClassVar[set[str]] = set()  # statuses seen across all examples (the run must get somewhere)

    @initialize()
    def dispatch(self) -> None:
        self.now = self.w.clock.now + timedelta(days=10)
        self.w.clock.now = self.now
        need_id = new_need(self.w, self.a, self.now)
        county = Policy(self.a.county, self.now)
        self.referral_id = self.w.store.run(
            lambda uow: service.dispatch(uow, county, need_id, DispatchRequest())
        ).id
        self.principals: list[Principal] = [
            self.a.county,
            self.a.township,
            self.a.village_worker,
            *self.a.charities,
            self.a.far_township,
        ]
        org = self.a.charities[0].organisation_id
        assert org is not None
        self.actions = actions(org)

    @rule(who=st.sampled_from(WHO), what=st.sampled_from(WHAT), which=st.integers(0, 3))
    def act(self, who: int, what: str, which: int) -> None:
        self.now += timedelta(minutes=1)
        policy = Policy(self.principals[min(who, 5)], self.now)
        store, rid = self.w.store, self.referral_id
        hops = store.run(
            lambda uow: sorted(uow.find(ReferralHop, where(referral_id=rid)), key=lambda h: h.seq),
            write=False,
        )
        chosen = hops[-1 - min(which, len(hops) - 1)]
        hop_id = chosen.id
        if who == 6:
            policy = Policy(self.holder(chosen), self.now)
        before = store.run(lambda uow: snapshot(uow, rid), write=False)
        counts = store.counts()
        try:
            store.run(lambda uow: self.actions[what](uow, policy, hop_id, rid))
        except ZhulianError as exc:
            refused = exc.status_code
        else:
            refused = 0
        if refused:
            assert refused in (403, 404, 409, 422)
            assert store.run(lambda uow: snapshot(uow, rid), write=False) == before
            assert store.counts() == counts
            return
        after = store.run(lambda uow: snapshot(uow, rid), write=False)
        self.reached.update(f"{what}:{s[1]}" for s in after[0])

    def holder(self, hop: ReferralHop) -> Principal:
        """The principal who would act next on this hop."""
        for charity in self.a.charities:
            if hop.assignee_id == charity.organisation_id:
                return charity
        if hop.status is HopStatus.READY:
            return self.a.charities[hop.version % 2]
        return self.a.township

    def teardown(self) -> None:
        """Close this example's need (behind the services' back) so the next one can report a new one."""

        def close(uow: UnitOfWork) -> None:
            referral = uow.require(Referral, self.referral_id)
            need = uow.require(Need, referral.need_id)
            uow.upsert(need.model_copy(update={"status": NeedStatus.WITHDRAWN}))

        if hasattr(self, "referral_id"):
            self.w.store.run(close)

    @invariant()
    def replays(self) -> None:
        self.w.store.run(lambda uow: check_replay(uow, self.referral_id), write=False)


@pytest.fixture
def machine(world: World) -> type[Workflow]:  # noqa: F811
    Workflow.w, Workflow.a = world, actors(world)
    return Workflow


def test_random_actions_stay_in_the_table(machine: type[Workflow]) -> None:
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=12,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    statuses = {r.split(":")[1] for r in machine.reached}
    assert {"accepted", "in-progress", "completed", "ready"} <= statuses, machine.reached
