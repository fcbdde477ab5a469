"""Who acts in the workflow state machine and how: the actors, every action as a service call, and
closing an example's cases through the services when it ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from graph.model import Need, Referral
from graph.model.enums import (
    DeliveryKind,
    HopReason,
    HopStatus,
    NeedType,
    OutcomeResult,
    ReferralStatus,
    Urgency,
)
from graph.store import UnitOfWork, where
from referral.access.policy import Policy, Principal
from referral.routing import closing, needs, service
from referral.routing.models import (
    CancelRequest,
    CompleteRequest,
    DispatchRequest,
    NeedCreate,
    OfferRequest,
    ReasonRequest,
    ReleaseRequest,
    ReopenRequest,
    Target,
    VerifyRequest,
    WithdrawRequest,
)
from referral.routing.parties import body_at, county_of, hops_of, sender_of, township_of
from tests.api.conftest import World
from tests.referral.test_workflow import Actors
from tests.referral.workflow_oracle import Parties

S = HopStatus
ACTORS = ("county", "township", "village", "charity0", "charity1", "far")
# The actions anyone may try (reporting the next need is left to the legal moves: area staff may
# report a need of any type the household has none open of).
TRIED = (
    *("receive", "accept", "start", "hold", "resume", "reject", "fail", "complete", "claim", "release"),
    *("assign", "assign_village", "offer", "verify", "verify_unresolved", "reopen", "cancel", "error"),
    *("dispatch", "dispatch_pool"),
)
REASON = ReasonRequest(reason_code=HopReason.OTHER, reason="理由")
RELEASE = ReleaseRequest(reason_code=HopReason.NO_CAPACITY, reason="交回")
REOPEN = ReopenRequest(reason_code=HopReason.INCOMPLETE, reason="再办")
DELIVERY = CompleteRequest(kind=DeliveryKind.GOODS, units=1, unit_name="箱", delivered_on=date(2026, 11, 2))


class Act(NamedTuple):
    """An action: what it acts on ("hop", "referral" or "need") and the service call."""

    on: str
    call: Callable[[UnitOfWork, Policy, str], Any]


def _move(to: HopStatus, only: HopStatus | None = None) -> Act:
    only_from = frozenset({only}) if only else None
    return Act("hop", lambda uow, p, hop: service.move_task(uow, p, hop, to, only_from=only_from))


def _return(to: HopStatus) -> Act:
    return Act("hop", lambda uow, p, hop: service.return_task(uow, p, hop, to, REASON))


def _route(target: Target | None) -> Act:
    if target is None:
        return Act("hop", lambda uow, p, hop: service.offer(uow, p, hop, OfferRequest()))
    return Act("hop", lambda uow, p, hop: service.route_onward(uow, p, hop, target))


def _verify(result: OutcomeResult) -> Act:
    return Act("referral", lambda uow, p, r: closing.verify(uow, p, r, VerifyRequest(result=result)))


def _cancel(in_error: bool) -> Act:
    body = CancelRequest(reason="取消", entered_in_error=in_error)
    return Act("referral", lambda uow, p, r: closing.cancel(uow, p, r, body))


def _dispatch(body: DispatchRequest) -> Act:
    return Act("need", lambda uow, p, need: service.dispatch(uow, p, need, body))


def _report(household_id: str) -> Act:
    def report(uow: UnitOfWork, policy: Policy, _need_id: str) -> Any:
        live = where(household_id=household_id, status__in=["open", "referred"])
        taken = {n.type for n in uow.find(Need, live)}
        kind = next(t for t in NeedType if t not in taken)
        body = NeedCreate(
            household_id=household_id, type=kind, urgency=Urgency.URGENT, description="需要帮助"
        )
        return needs.report_need(uow, policy, body)

    return Act("need", report)


def build_actions(household_id: str, charity: str, village_body: str) -> dict[str, Act]:
    """Every action of the workflow, by the name the oracle uses."""
    return {
        "receive": _move(S.RECEIVED),
        "accept": _move(S.ACCEPTED),
        "start": _move(S.IN_PROGRESS, S.ACCEPTED),
        "hold": _move(S.ON_HOLD),
        "resume": _move(S.IN_PROGRESS, S.ON_HOLD),
        "reject": _return(S.REJECTED),
        "fail": _return(S.FAILED),
        "complete": Act("hop", lambda uow, p, h: service.complete_task(uow, p, h, DELIVERY)),
        "claim": Act("hop", lambda uow, p, h: service.claim(uow, p, h)),
        "release": Act("hop", lambda uow, p, h: service.release(uow, p, h, RELEASE)),
        "assign": _route(Target(organisation_id=charity)),
        "assign_village": _route(Target(alliance_body_id=village_body)),
        "offer": _route(None),
        "verify": _verify(OutcomeResult.RESOLVED),
        "verify_unresolved": _verify(OutcomeResult.UNRESOLVED),
        "reopen": Act("referral", lambda uow, p, r: closing.reopen(uow, p, r, REOPEN)),
        "cancel": _cancel(in_error=False),
        "error": _cancel(in_error=True),
        "dispatch": _dispatch(DispatchRequest()),
        "dispatch_pool": _dispatch(DispatchRequest(pool=True)),
        "report": _report(household_id),
    }


@dataclass(frozen=True)
class Cast:
    """The actors of the machine, the parties they act for and the actions they may try."""

    world: World
    household_id: str
    principals: dict[str, Principal]
    parties: Parties
    actions: dict[str, Act]

    def run(self, actor: str, action: str, target: str, now: datetime) -> Any:
        """One action by one actor at `now`, in its own transaction."""
        policy = Policy(self.principals[actor], now)
        act = self.actions[action]
        return self.world.store.run(lambda uow: act.call(uow, policy, target))


def cast(world: World, a: Actors) -> Cast:
    """The county, township and village staff of the household, two charities serving it, and an officer
    of another township."""

    def bodies(uow: UnitOfWork) -> dict[str, str]:
        codes = {"county": county_of(a.village), "township": township_of(a.village), "village": a.village}
        found = {name: body_at(uow, code) for name, code in codes.items()}
        return {body.id: name for name, body in found.items() if body is not None}

    by_id = world.store.run(bodies, write=False)
    orgs = [c.organisation_id for c in a.charities]
    assert len(by_id) == 3 and len(orgs) == 2 and orgs[0] and orgs[1], (by_id, orgs)
    village_body = next(i for i, name in by_id.items() if name == "village")
    by_id |= {orgs[0]: "charity0", orgs[1]: "charity1"}
    actions = build_actions(a.household_id, orgs[0], village_body)
    assert set(actions) == {*TRIED, "report"}
    principals = [a.county, a.township, a.village_worker, *a.charities, a.far_township]
    return Cast(world, a.household_id, dict(zip(ACTORS, principals, strict=True)), Parties(by_id), actions)


def close_cases(c: Cast, *, since: datetime, now: datetime) -> None:
    """Through the services: every need of the household reported since `since` and still open or
    referred is withdrawn, its active referral first marked entered in error by its dispatcher."""

    def still_open(uow: UnitOfWork) -> list[tuple[str, list[tuple[str, str | None]]]]:
        found = []
        live = where(household_id=c.household_id, status__in=["open", "referred"], created_at__ge=since)
        for need in uow.find(Need, live):
            active = uow.find(Referral, where(need_id=need.id, status=ReferralStatus.ACTIVE))
            senders = [(r.id, sender_of(uow, hops_of(uow, r.id)[0])) for r in active]
            found.append((need.id, [(r, c.parties.actor(s.id if s else None)) for r, s in senders]))
        return found

    for need_id, active in c.world.store.run(still_open, write=False):
        for referral_id, dispatcher in active:
            assert dispatcher is not None, referral_id
            c.run(dispatcher, "error", referral_id, now)
        withdraw(c, need_id, now)


def withdraw(c: Cast, need_id: str, now: datetime) -> None:
    policy = Policy(c.principals["village"], now)
    c.world.store.run(lambda uow: needs.withdraw_need(uow, policy, need_id, WithdrawRequest(reason="结束")))
