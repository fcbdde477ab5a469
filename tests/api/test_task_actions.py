"""The actions `GET /tasks/{id}` lists are exactly the ones the services carry out.

For every user and a sample of tasks in every status, each action is tried through its service in a
unit of work that is rolled back: the listed ones must pass the workflow's checks (an invalid form
value, 422, still counts as allowed: the page's form says so), the others must be refused (403, 404
or 409). So a page that shows only the listed actions never offers a refused call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from graph.errors import InvalidInput, NodeNotFound
from graph.model import Household, Organisation, Referral, ReferralHop, User
from graph.model.enums import DeliveryKind, HopReason, HopStatus, OrganisationKind, OutcomeResult, Role
from graph.store import UnitOfWork, where
from referral.access.errors import Forbidden, StaleVersion
from referral.access.policy import Action, Policy, Principal
from referral.access.tasks import load_task, organisation_serves
from referral.routing import closing
from referral.routing import service as routing
from referral.routing.actions import available_actions
from referral.routing.models import (
    CompleteRequest,
    OfferRequest,
    ReasonRequest,
    ReleaseRequest,
    ReopenRequest,
    Target,
    TaskAction,
    VerifyRequest,
)
from referral.routing.workflow import InvalidTransition
from tests.api.conftest import USERS, World

S = HopStatus
A = TaskAction
REFUSED = (InvalidTransition, StaleVersion, Forbidden, NodeNotFound)
PER_STATUS = 4
WHY = "测试 / test"


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    return copied_world


def _policy(world: World, username: str) -> Policy:
    def load(uow: UnitOfWork) -> User:
        return uow.find(User, where(username=username), limit=1)[0]

    user = world.store.run(load, write=False)
    principal = Principal(
        user_id=user.id,
        username=user.username,
        roles=frozenset(user.roles),
        area_codes=tuple(user.area_codes),
        organisation_id=user.organisation_id,
    )
    return Policy(principal, world.clock.now)


def _member_of(world: World, org: Organisation) -> Policy:
    """A staff member of any organisation (the seed's tasks are with many; the users name two)."""
    role = Role.DEPARTMENT_LIAISON if org.kind is OrganisationKind.DEPARTMENT else Role.PROVIDER
    principal = Principal(
        user_id=f"test-{org.id}",
        username=f"org.{org.id.lower()}",
        roles=frozenset({role}),
        area_codes=(world.scenario.county,),
        organisation_id=org.id,
    )
    return Policy(principal, world.clock.now)


def _awaiting_verification(world: World) -> ReferralHop:
    """Complete an in-progress last hop of an organisation: its referral then waits for verification."""

    def complete(uow: UnitOfWork) -> ReferralHop:
        for hop in uow.find(ReferralHop, where(status=S.IN_PROGRESS, assignee_label="Organisation")):
            others = uow.find(ReferralHop, where(referral_id=hop.referral_id))
            if any(h.seq > hop.seq for h in others):
                continue
            org = uow.require(Organisation, hop.assignee_id or "")
            body = CompleteRequest(kind=DeliveryKind.SERVICE, delivered_on=date(2026, 11, 2))
            routing.complete_task(uow, _member_of(world, org), hop.id, body)
            return uow.require(ReferralHop, hop.id)
        raise AssertionError("no in-progress last hop in the seed")

    return world.store.run(complete)


def _serving_org(uow: UnitOfWork, hop: ReferralHop) -> str:
    referral = uow.require(Referral, hop.referral_id)
    household = uow.require(Household, referral.household_id)
    orgs = uow.find(Organisation, where(active=True))
    return next((o.id for o in orgs if organisation_serves(o, household.village_code)), "01NOSUCHORG")


Attempt = Callable[[UnitOfWork, Policy, ReferralHop], Any]


def _attempts() -> dict[TaskAction, Attempt]:
    """Each action as its route calls its service (bodies valid where the form would make them so)."""
    reason = ReasonRequest(reason_code=HopReason.OTHER, reason=WHY)

    def move(to: HopStatus, only: frozenset[HopStatus] | None = None) -> Attempt:
        return lambda uow, policy, hop: routing.move_task(uow, policy, hop.id, to, None, only_from=only)

    return {
        A.RECEIVE: move(S.RECEIVED),
        A.ACCEPT: move(S.ACCEPTED),
        A.REJECT: lambda uow, policy, hop: routing.return_task(uow, policy, hop.id, S.REJECTED, reason),
        A.START: move(S.IN_PROGRESS, frozenset({S.ACCEPTED})),
        A.HOLD: move(S.ON_HOLD),
        A.RESUME: move(S.IN_PROGRESS, frozenset({S.ON_HOLD})),
        A.FAIL: lambda uow, policy, hop: routing.return_task(uow, policy, hop.id, S.FAILED, reason),
        A.COMPLETE: lambda uow, policy, hop: routing.complete_task(
            uow, policy, hop.id, CompleteRequest(kind=DeliveryKind.SERVICE, delivered_on=date(2026, 11, 2))
        ),
        A.CLAIM: lambda uow, policy, hop: routing.claim(uow, policy, hop.id),
        A.RELEASE: lambda uow, policy, hop: routing.release(
            uow, policy, hop.id, ReleaseRequest(reason_code=HopReason.OTHER, reason=WHY)
        ),
        A.ASSIGN: lambda uow, policy, hop: routing.route_onward(
            uow, policy, hop.id, Target(organisation_id=_serving_org(uow, hop))
        ),
        A.OFFER: lambda uow, policy, hop: routing.offer(uow, policy, hop.id, OfferRequest()),
        A.VERIFY: lambda uow, policy, hop: closing.verify(
            uow, policy, hop.referral_id, VerifyRequest(result=OutcomeResult.RESOLVED)
        ),
        A.REOPEN: lambda uow, policy, hop: closing.reopen(
            uow, policy, hop.referral_id, ReopenRequest(reason_code=HopReason.OTHER, reason=WHY)
        ),
    }


def _sample(world: World) -> list[ReferralHop]:
    """Up to PER_STATUS hops of each status, each referral's last hop first (verify, reopen)."""

    def load(uow: UnitOfWork) -> list[ReferralHop]:
        hops = uow.find(ReferralHop)
        last: dict[str, ReferralHop] = {}
        for hop in hops:
            if hop.referral_id not in last or hop.seq > last[hop.referral_id].seq:
                last[hop.referral_id] = hop
        ordered = sorted(hops, key=lambda h: (last[h.referral_id].id != h.id, h.id))
        picked: list[ReferralHop] = []
        for status in HopStatus:
            picked += [h for h in ordered if h.status is status][:PER_STATUS]
        return picked

    return world.store.run(load, write=False)


def _outcome(world: World, policy: Policy, hop: ReferralHop, attempt: Attempt) -> bool:
    """Whether the action passes the workflow's checks (rolled back either way)."""
    with world.store.unit_of_work() as uow:
        try:
            attempt(uow, policy, hop)
        except REFUSED:
            return False
        except InvalidInput:
            return True
        return True


def _claimed(world: World) -> ReferralHop:
    """A pool task claimed by a provider serving it (only such a task can be given back)."""

    def claim(uow: UnitOfWork) -> ReferralHop:
        providers = uow.find(
            Organisation, where(kind__in=[OrganisationKind.CHARITY, OrganisationKind.SOCIAL_WORK])
        )
        for hop in uow.find(ReferralHop, where(status=S.READY, assignee_id__is_null=True)):
            household = uow.require(Household, uow.require(Referral, hop.referral_id).household_id)
            for org in providers:
                if organisation_serves(org, household.village_code):
                    routing.claim(uow, _member_of(world, org), hop.id)
                    return uow.require(ReferralHop, hop.id)
        raise AssertionError("no pool task a provider serves in the seed")

    return world.store.run(claim)


def _callers(world: World, hops: list[ReferralHop]) -> list[Policy]:
    """Every test user, and a member of each organisation a sampled task is with."""
    org_ids = {h.assignee_id for h in hops if h.assignee_label == "Organisation" and h.assignee_id}
    orgs = world.store.run(lambda uow: uow.get_many(Organisation, org_ids), write=False)
    return [_policy(world, username) for username, *_ in USERS] + [
        _member_of(world, org) for org in orgs.values()
    ]


def test_listed_actions_are_exactly_the_ones_that_work(world: World) -> None:
    attempts = _attempts()
    hops = [_awaiting_verification(world), _claimed(world), *_sample(world)]
    listed_somewhere: set[TaskAction] = set()
    checked = 0
    for policy in _callers(world, hops):
        username = policy.principal.username
        if not policy.allows(Action.READ_TASKS):
            continue
        for hop in hops:
            with world.store.unit_of_work() as uow:
                try:
                    task = load_task(uow, policy, hop.id, Action.READ_TASKS)
                except NodeNotFound:
                    continue  # a task the user cannot open has no page to act from
                listed = set(available_actions(uow, policy, task))
            works = {action for action, attempt in attempts.items() if _outcome(world, policy, hop, attempt)}
            assert listed == works, (username, hop.status.value, hop.seq, sorted(listed), sorted(works))
            listed_somewhere |= listed
            checked += 1
    assert checked > 50
    # The sample reaches every action at least once, so none of them is checked only as "refused".
    assert listed_somewhere == set(TaskAction), sorted(set(TaskAction) - listed_somewhere)
