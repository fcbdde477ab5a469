"""Routing: dispatch a need, act on a task (receive ... complete), route it onward, claim from the pool
and give a claimed task back.

Every function takes the caller's `Policy` and a unit of work and never commits. Every status change
goes through `workflow.move_hop` (the transition table); the caller's side (sender, assignee,
claimant) comes from `parties.sides_of`.
"""

from __future__ import annotations

from graph.errors import InvalidInput, NodeNotFound
from graph.model import (
    AssignedTo,
    Delivered,
    Delivery,
    ForNeed,
    Need,
    NodeRef,
    Organisation,
    Referral,
    ReferralHop,
    Resource,
    Uses,
    new_id,
)
from graph.model.enums import (
    AllianceLevel,
    HopReason,
    HopStatus,
    NeedStatus,
    NotificationKind,
    ReferralStatus,
)
from graph.store import Order, UnitOfWork, where
from referral.access.errors import StaleVersion
from referral.access.policy import Action, Policy
from referral.access.tasks import (
    LoadedTask,
    TaskAccess,
    load_task,
    organisation_serves,
    task_access,
    task_pii,
)
from referral.audit import service as audit
from referral.routing import notifications
from referral.routing.actions import available_actions
from referral.routing.deadlines import DEFAULT_DEADLINES, Deadlines
from referral.routing.hops import back_to_pool, open_hop, resolve_target
from referral.routing.models import (
    CompleteRequest,
    DispatchRequest,
    OfferRequest,
    PoolPage,
    ReasonRequest,
    ReferralView,
    ReleaseRequest,
    Target,
    TaskNote,
    TaskView,
)
from referral.routing.needs import load_need
from referral.routing.parties import (
    Party,
    acts_for,
    assignee_of,
    hops_of,
    household_body,
    sender_of,
    sides_of,
)
from referral.routing.views import referral_view, task_view
from referral.routing.workflow import (
    InvalidTransition,
    Side,
    move_hop,
    move_need,
    move_referral,
    record_change,
)

S = HopStatus
ALREADY_CLAIMED = "任务已被其他机构认领 / this task has already been claimed"


# -- dispatch -------------------------------------------------------------------------------------
def dispatch(
    uow: UnitOfWork,
    policy: Policy,
    need_id: str,
    body: DispatchRequest,
    deadlines: Deadlines = DEFAULT_DEADLINES,
) -> ReferralView:
    """派单: the county sends the need to the household's township body; a township sends it on directly."""
    need, household = load_need(uow, policy, need_id, Action.DISPATCH)
    by, at = policy.principal.actor, policy.now
    county, township = household_body(uow, household, county=True), household_body(uow, household)
    named = (body.organisation_id is not None) + (body.alliance_body_id is not None) + body.pool
    if named > 1:
        raise InvalidInput("最多指定一个接收方 / give at most one of organisation_id, alliance_body_id, pool")
    target: Party | None
    if county is not None and acts_for(policy, county):
        if body.target() is not None or body.pool:
            raise InvalidInput(
                "区县派单只能发往镇街助联体 / the county dispatches to the township body, which routes it on"
            )
        if township is None:
            raise InvalidTransition("该镇街未设助联体 / the household's township has no alliance body")
        sender, target = county, township
    elif township is not None and acts_for(policy, township):
        chosen = body.target()
        if chosen is None and not body.pool:
            raise InvalidInput("请指定接收方或任务池 / name a target or offer it to the pool (pool: true)")
        sender, target = township, (resolve_target(uow, household, chosen) if chosen else None)
    else:
        raise InvalidTransition(
            "只有区县或镇街助联体可以派单 / only the county or township body may dispatch"
        )
    if need.status is not NeedStatus.OPEN:
        raise InvalidTransition(
            f"需求当前为「{need.status.zh}」，不能派单 / only an open need can be dispatched",
            from_status=need.status.value,
        )
    if body.resource_id is not None and uow.get(Resource, body.resource_id) is None:
        message = "资源不存在 / no such resource"
        raise InvalidInput(
            message, [{"field": "body:resource_id", "value": body.resource_id, "message": message}]
        )
    referral = Referral(
        id=new_id(),
        need_id=need.id,
        household_id=household.id,
        track=body.track,
        resource_id=body.resource_id,
        created_by=by,
        created_at=at,
    )
    uow.create(referral)
    uow.relate(ForNeed(start=referral.ref, end=need.ref))
    if body.resource_id is not None:
        uow.relate(Uses(start=referral.ref, end=NodeRef(Resource.LABEL, body.resource_id)))
    record_change(uow, referral, None, ReferralStatus.ACTIVE.value, by=by, at=at)
    audit.append(
        uow,
        actor=by,
        action="referral_dispatched",
        object_label=Referral.LABEL,
        object_id=referral.id,
        at=at,
        changes={"need_id": need.id, "sender": sender.id, "target": target.id if target else "pool"},
    )
    open_hop(
        uow,
        referral=referral,
        need=need,
        sender=sender,
        target=target,
        by=by,
        at=at,
        deadlines=deadlines,
        note=body.note,
    )
    move_need(uow, need, NeedStatus.REFERRED, by=by, at=at)
    return referral_view(uow, referral, policy.area_pii())


# -- acting on a task -----------------------------------------------------------------------------
def _routing_action(policy: Policy) -> Action:
    """Receive, accept and reject are ROUTE_TASK for alliance staff and WORK_TASK for organisations."""
    return Action.ROUTE_TASK if policy.allows(Action.ROUTE_TASK) else Action.WORK_TASK


def _load(uow: UnitOfWork, policy: Policy, hop_id: str, action: Action) -> tuple[LoadedTask, set[Side]]:
    task = load_task(uow, policy, hop_id, action)
    return task, sides_of(uow, policy, task)


def _view(uow: UnitOfWork, policy: Policy, task: LoadedTask, hop: ReferralHop) -> TaskView:
    reloaded = LoadedTask(hop, task.referral, task.household, task.access, task.pii)
    policy.log_pii_read(uow, task.household.id, task.pii)
    return task_view(uow, reloaded)


def move_task(
    uow: UnitOfWork,
    policy: Policy,
    hop_id: str,
    to: HopStatus,
    note: TaskNote | None = None,
    *,
    only_from: frozenset[HopStatus] | None = None,
) -> TaskView:
    """Receive, accept, start, hold or resume a task (whichever `to` names), through the table.

    `only_from` narrows the table for actions that share a target status (start: from accepted;
    resume: from on-hold).
    """
    action = _routing_action(policy) if to in (S.RECEIVED, S.ACCEPTED) else Action.WORK_TASK
    task, sides = _load(uow, policy, hop_id, action)
    if only_from is not None and task.hop.status not in only_from:
        raise InvalidTransition(
            f"任务当前为「{task.hop.status.zh}」，不能执行此操作 / not possible for a task in status "
            f"{task.hop.status.value}",
            from_status=task.hop.status.value,
            to_status=to.value,
        )
    if Side.CLAIMANT in sides:
        # The claimant's move (ready -> accepted) is `claim`'s alone: it records the holder and the start
        # deadline. Made here, it would take the task out of the pool with nobody holding it.
        raise InvalidTransition(
            "任务池中的任务请认领 / a task in the open pool is taken by claiming it",
            from_status=task.hop.status.value,
            to_status=to.value,
        )
    reason = note.note if note else None
    moved = move_hop(uow, task.hop, to, sides=sides, by=policy.principal.actor, at=policy.now, reason=reason)
    return _view(uow, policy, task, moved)


def return_task(uow: UnitOfWork, policy: Policy, hop_id: str, to: HopStatus, body: ReasonRequest) -> TaskView:
    """Reject or fail a task: the case returns to its sender with the reason.

    A first hop from the county returns the need to the county's queue (`open`) and ends that
    referral; any later hop leaves the need `referred` for the township to route again.
    """
    action = _routing_action(policy) if to is S.REJECTED else Action.WORK_TASK
    task, sides = _load(uow, policy, hop_id, action)
    by, at = policy.principal.actor, policy.now
    moved = move_hop(
        uow, task.hop, to, sides=sides, by=by, at=at, reason=body.reason, reason_code=body.reason_code
    )
    sender = sender_of(uow, task.hop)
    need = uow.require(Need, task.referral.need_id)
    if sender is not None:
        notifications.send(
            uow,
            sender,
            NotificationKind.TASK_RETURNED,
            subject_label=ReferralHop.LABEL,
            subject_id=task.hop.id,
            message=f"{need.type.zh}需求第{task.hop.seq}环被{to.zh}：{body.reason_code.zh} / "
            f"hop {task.hop.seq} {to.value}: {body.reason_code.en}",
            at=at,
        )
    from_county = getattr(sender, "level", None) is AllianceLevel.COUNTY
    if task.hop.seq == 1 and from_county:
        move_referral(uow, task.referral, ReferralStatus.CANCELLED, by=by, at=at, reason=body.reason)
        reopen_need_if_idle(uow, need.id, by=by, policy=policy, reason=body.reason)
    return _view(uow, policy, task, moved)


def reopen_need_if_idle(uow: UnitOfWork, need_id: str, *, by: str, policy: Policy, reason: str) -> None:
    """A referred need with no active referral left goes back to `open` in the county's queue."""
    need = uow.require(Need, need_id)
    if need.status is NeedStatus.REFERRED and not uow.count(
        Referral, where(need_id=need_id, status=ReferralStatus.ACTIVE)
    ):
        move_need(uow, need, NeedStatus.OPEN, by=by, at=policy.now, reason=reason)


def complete_task(uow: UnitOfWork, policy: Policy, hop_id: str, body: CompleteRequest) -> TaskView:
    """Complete a task with what was delivered; the township body is asked to verify."""
    task, sides = _load(uow, policy, hop_id, Action.WORK_TASK)
    if (body.units is None) != (body.unit_name is None):
        raise InvalidInput("units 与 unit_name 须同时给出 / units and unit_name go together")
    by, at = policy.principal.actor, policy.now
    moved = move_hop(uow, task.hop, S.COMPLETED, sides=sides, by=by, at=at, reason=body.note or None)
    delivery = Delivery(
        id=new_id(),
        hop_id=moved.id,
        referral_id=moved.referral_id,
        kind=body.kind,
        amount_fen=body.amount_fen,
        units=body.units,
        unit_name=body.unit_name,
        delivered_on=body.delivered_on,
        note=body.note,
        recorded_by=by,
        recorded_at=at,
    )
    uow.create(delivery)
    uow.relate(Delivered(start=moved.ref, end=delivery.ref))
    township = household_body(uow, task.household)
    if township is not None:
        notifications.send(
            uow,
            township,
            NotificationKind.VERIFY_REQUESTED,
            subject_label=Referral.LABEL,
            subject_id=task.referral.id,
            message=f"第{moved.seq}环已办结，请核验 / hop {moved.seq} completed, please verify",
            at=at,
        )
    return _view(uow, policy, task, moved)


# -- routing onward -------------------------------------------------------------------------------
def route_onward(
    uow: UnitOfWork,
    policy: Policy,
    hop_id: str,
    target: Target | None,
    deadlines: Deadlines = DEFAULT_DEADLINES,
    note: str | None = None,
) -> ReferralView:
    """Assign the case to an organisation or the village body (`target`), or offer it to the pool (None).

    Either the body that accepted this task routes it on (its own hop is then completed), or the
    sender of a rejected or failed last hop routes it again.
    """
    task, sides = _load(uow, policy, hop_id, Action.ROUTE_TASK)
    hop, referral = task.hop, task.referral
    by, at = policy.principal.actor, policy.now
    holder = assignee_of(uow, hop)
    last = hops_of(uow, referral.id)[-1]
    sender: Party | None = None
    if (
        Side.ASSIGNEE in sides
        and hop.assignee_label == "AllianceBody"
        and hop.status in (S.ACCEPTED, S.IN_PROGRESS)
    ):
        sender = holder
        done = "转派 / routed onward"
        current = hop
        if current.status is S.ACCEPTED:
            current = move_hop(uow, current, S.IN_PROGRESS, sides=sides, by=by, at=at, reason=done)
        move_hop(uow, current, S.COMPLETED, sides=sides, by=by, at=at, reason=done)
    elif (
        hop.id == last.id
        and hop.status in (S.REJECTED, S.FAILED)
        and referral.status is ReferralStatus.ACTIVE
        and acts_for(policy, sender_of(uow, hop))
    ):
        sender = sender_of(uow, hop)
    if sender is None:
        raise InvalidTransition(
            "只有已受理该任务的助联体可转派，或由退回任务的派出方重新派出 / only the body that accepted "
            "this task can route it on, or the sender of a returned task can route it again",
            from_status=hop.status.value,
        )
    need = uow.require(Need, referral.need_id)
    chosen = resolve_target(uow, task.household, target) if target is not None else None
    open_hop(
        uow,
        referral=referral,
        need=need,
        sender=sender,
        target=chosen,
        by=by,
        at=at,
        deadlines=deadlines,
        note=note,
    )
    return referral_view(uow, referral, task.pii)


def offer(
    uow: UnitOfWork, policy: Policy, hop_id: str, body: OfferRequest, deadlines: Deadlines = DEFAULT_DEADLINES
) -> ReferralView:
    """Offer the case to the open pool of the household's township."""
    return route_onward(uow, policy, hop_id, None, deadlines, body.note)


# -- the open pool --------------------------------------------------------------------------------
def _was_pool_task_of_mine(uow: UnitOfWork, policy: Policy, hop_id: str) -> bool:
    """Whether a hop was offered in a pool the caller's organisation could claim from."""
    hop = uow.get(ReferralHop, hop_id)
    org_id = policy.principal.organisation_id
    if hop is None or hop.pool_area_code is None or org_id is None:
        return False
    org = uow.get(Organisation, org_id)
    referral = uow.get(Referral, hop.referral_id)
    need = uow.get(Need, referral.need_id) if referral else None
    return org is not None and need is not None and organisation_serves(org, need.village_code)


def claim(uow: UnitOfWork, policy: Policy, hop_id: str, deadlines: Deadlines = DEFAULT_DEADLINES) -> TaskView:
    """Claim a pool task for the caller's organisation: compare-and-set, so exactly one claim wins."""
    policy.require(Action.CLAIM_TASK)
    try:
        task, sides = _load(uow, policy, hop_id, Action.CLAIM_TASK)
    except NodeNotFound:
        if _was_pool_task_of_mine(uow, policy, hop_id):
            raise InvalidTransition(ALREADY_CLAIMED) from None
        raise
    org = uow.get(Organisation, policy.principal.organisation_id or "")
    if task.hop.status is not S.READY or task.hop.assignee_id is not None:
        raise InvalidTransition(ALREADY_CLAIMED, from_status=task.hop.status.value)
    if org is None:
        raise InvalidTransition("您不属于任何服务机构 / you act for no organisation that could claim")
    need = uow.require(Need, task.referral.need_id)
    by, at = policy.principal.actor, policy.now
    changes = {
        "assignee_id": org.id,
        "assignee_label": "Organisation",
        "accept_due_at": deadlines.accept_due_at(need.urgency, at),
    }
    try:
        moved = move_hop(uow, task.hop, S.ACCEPTED, sides=sides, by=by, at=at, changes=changes)
    except StaleVersion:
        raise InvalidTransition(ALREADY_CLAIMED) from None
    uow.relate(AssignedTo(start=moved.ref, end=org.ref))
    access = frozenset({TaskAccess.ASSIGNEE})
    claimed = LoadedTask(
        moved, task.referral, task.household, access, task_pii(uow, policy, task.household, access)
    )
    return _view(uow, policy, claimed, moved)


def release(uow: UnitOfWork, policy: Policy, hop_id: str, body: ReleaseRequest) -> TaskView:
    """交回任务池: the organisation holding a task it claimed, not yet started, gives it back with a reason.

    Only the holder may (the assignee side of `accepted` -> `ready`; anyone else sees no such task,
    or is not the assignee: 409), and only a task that came from the pool. It is recorded like the
    deadline check's return: the move with the reason on its StatusChange, the audit entry, the
    assignee cleared, and a `given_back` notification to the organisation, counted on its pool page.
    """
    task, sides = _load(uow, policy, hop_id, Action.CLAIM_TASK)
    if body.reason_code is HopReason.NOT_STARTED:
        message = (
            "「逾期未开始」仅由超时检查使用，请选择其他原因 / not_started is the deadline check's code; "
            "give another reason"
        )
        raise InvalidInput(
            message, [{"field": "body:reason_code", "value": body.reason_code.value, "message": message}]
        )
    if task.hop.pool_area_code is None:
        raise InvalidTransition(
            "只有从任务池认领的任务可以交回 / only a task claimed from the pool can be given back",
            from_status=task.hop.status.value,
            to_status=S.READY.value,
        )
    by, at = policy.principal.actor, policy.now
    moved, _org = back_to_pool(
        uow,
        task.hop,
        sides=sides,
        by=by,
        at=at,
        reason=body.reason,
        reason_code=body.reason_code,
        kind=NotificationKind.GIVEN_BACK,
        message=f"第{task.hop.seq}环已交回任务池：{body.reason_code.zh} / hop {task.hop.seq} given back: "
        f"{body.reason_code.en}",
    )
    # The caller no longer holds the task: it sees it as any provider serving the household does.
    access = task_access(uow, policy, moved, task.household)
    released = LoadedTask(
        moved, task.referral, task.household, access, task_pii(uow, policy, task.household, access)
    )
    return _view(uow, policy, released, moved)


def pool(uow: UnitOfWork, policy: Policy, limit: int = 100, offset: int = 0) -> PoolPage:
    """Open pool tasks whose household lies in the caller's organisation's service area, masked.

    Soonest deadline first (overdue ones at the top), then by id, a page at a time; `total` counts
    every task the caller may claim. Showing private data appends one read_pii_list audit entry per
    page, naming its households.
    """
    policy.require(Action.CLAIM_TASK)
    org_id = policy.principal.organisation_id
    ready = uow.find(
        ReferralHop, where(status=S.READY, assignee_id__is_null=True), order_by=[Order("due_at")]
    )
    claimable = []
    for hop in ready:
        try:
            claimable.append(load_task(uow, policy, hop.id, Action.CLAIM_TASK))
        except NodeNotFound:
            continue
    page = claimable[offset : offset + limit]
    shown = [task for task in page if task.pii]
    policy.log_pii_list_read(
        uow, "pool", {s for task in shown for s in task.pii}, [task.household.id for task in shown]
    )
    returned = notifications.returned_to_pool_count(uow, org_id) if org_id else 0
    given_back = notifications.given_back_count(uow, org_id) if org_id else 0
    return PoolPage(
        tasks=[task_view(uow, task) for task in page],
        total=len(claimable),
        offset=offset,
        returned_to_pool=returned,
        given_back=given_back,
    )


def task_detail(uow: UnitOfWork, policy: Policy, hop_id: str) -> TaskView:
    """One task with its history and what the caller may do now, private data masked for the caller."""
    task = load_task(uow, policy, hop_id, Action.READ_TASKS)
    policy.log_pii_read(uow, task.household.id, task.pii)
    view = task_view(uow, task)
    view.actions = available_actions(uow, policy, task)
    return view
