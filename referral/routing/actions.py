"""What a caller may do with one task now: the answer pages use to show only the actions that will work.

Each entry mirrors the checks of the service that carries the action out (`service.move_task`,
`return_task`, `complete_task`, `claim`, `release`, `route_onward`; `closing.verify` and `reopen`):
the permission the route requires, the caller's side (`parties.sides_of`) and the transition table.
`tests/referral/test_task_actions.py` runs every action against every listed and unlisted case, so
the list and the services cannot drift apart unnoticed. The services still decide: a stale page can
offer an action that meanwhile became impossible (409).
"""

from __future__ import annotations

from graph.model.enums import HopStatus, ReferralStatus
from graph.store import UnitOfWork
from referral.access.policy import Action, Policy
from referral.access.tasks import LoadedTask, TaskAccess
from referral.routing.models import TaskAction
from referral.routing.parties import acts_for, hops_of, household_body, sender_of, sides_of
from referral.routing.workflow import OPEN, Side, allowed_sides

S = HopStatus
A = TaskAction
# Actions that move the hop to one status through `move_task` (never the claimant's), and from where.
_MOVES: dict[TaskAction, tuple[HopStatus, frozenset[HopStatus] | None]] = {
    A.RECEIVE: (S.RECEIVED, None),
    A.ACCEPT: (S.ACCEPTED, frozenset({S.REQUESTED, S.RECEIVED})),
    A.START: (S.IN_PROGRESS, frozenset({S.ACCEPTED})),
    A.HOLD: (S.ON_HOLD, None),
    A.RESUME: (S.IN_PROGRESS, frozenset({S.ON_HOLD})),
    A.COMPLETE: (S.COMPLETED, None),
}


def available_actions(uow: UnitOfWork, policy: Policy, task: LoadedTask) -> list[TaskAction]:
    """The task's actions the caller may take now, in the order of `TaskAction`."""
    hop = task.hop
    sides = sides_of(uow, policy, task)
    routes = policy.allows(Action.ROUTE_TASK)
    works = policy.allows(Action.WORK_TASK)
    found: set[TaskAction] = set()

    def table(to: HopStatus) -> bool:
        return bool(allowed_sides(hop.status, to) & sides)

    for action, (to, only_from) in _MOVES.items():
        needs = (routes or works) if to in (S.RECEIVED, S.ACCEPTED) else works
        fits = only_from is None or hop.status in only_from
        if needs and fits and Side.CLAIMANT not in sides and table(to):
            found.add(action)
    if (routes or works) and table(S.REJECTED):
        found.add(A.REJECT)
    if works and table(S.FAILED):
        found.add(A.FAIL)
    claims = policy.allows(Action.CLAIM_TASK) and policy.principal.organisation_id is not None
    if claims and TaskAccess.POOL in task.access and hop.status is S.READY and hop.assignee_id is None:
        found.add(A.CLAIM)
    if claims and hop.status is S.ACCEPTED and hop.pool_area_code is not None and Side.ASSIGNEE in sides:
        found.add(A.RELEASE)
    if routes and _may_route_onward(uow, policy, task, sides):
        found |= {A.ASSIGN, A.OFFER}
    found |= _closing_actions(uow, policy, task)
    return [action for action in TaskAction if action in found]


def _may_route_onward(uow: UnitOfWork, policy: Policy, task: LoadedTask, sides: set[Side]) -> bool:
    """`route_onward`: the body holding an accepted task, or the sender of a returned last hop."""
    hop = task.hop
    if (
        Side.ASSIGNEE in sides
        and hop.assignee_label == "AllianceBody"
        and hop.status in (S.ACCEPTED, S.IN_PROGRESS)
    ):
        return True
    last = hops_of(uow, task.referral.id)[-1]
    return (
        hop.id == last.id
        and hop.status in (S.REJECTED, S.FAILED)
        and task.referral.status is ReferralStatus.ACTIVE
        and acts_for(policy, sender_of(uow, hop))
    )


def _closing_actions(uow: UnitOfWork, policy: Policy, task: LoadedTask) -> set[TaskAction]:
    """`closing.verify` / `reopen` of the task's referral: a verifying body, every hop closed."""
    if not policy.allows(Action.VERIFY) or TaskAccess.AREA not in task.access:
        return set()
    if task.referral.status is not ReferralStatus.ACTIVE:
        return set()
    bodies = (household_body(uow, task.household), household_body(uow, task.household, county=True))
    if not any(body is not None and acts_for(policy, body) for body in bodies):
        return set()
    hops = hops_of(uow, task.referral.id)
    if not hops or any(h.status in OPEN for h in hops):
        return set()
    last = hops[-1].status
    found: set[TaskAction] = set()
    if last is S.COMPLETED:
        found.add(A.VERIFY)
    if last in (S.COMPLETED, S.FAILED):
        found.add(A.REOPEN)
    return found
