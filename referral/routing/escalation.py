"""The deadline check: claimed tasks not started go back to the pool, overdue tasks escalate one level.

An open hop past `due_at` (or, still unaccepted, past `accept_due_at`) escalates one level up from its
assignee: a provider, a village body or the open pool -> the township body; a township body -> the
county body; a county body stays with the county but is marked. Each level is reached once: a hop
escalated to the township and still overdue `county_grace` later goes to the county, once. Running
again at the same moment changes nothing. Runs in the server every few minutes and as `zhulian escalate`.
"""

from __future__ import annotations

from datetime import datetime

from graph.model import AllianceBody, Household, Need, Referral, ReferralHop
from graph.model.enums import AllianceLevel, HopReason, HopStatus, NotificationKind
from graph.store import UnitOfWork, where
from referral.access.errors import StaleVersion
from referral.access.policy import Action, Policy
from referral.audit import service as audit
from referral.routing import notifications
from referral.routing.deadlines import DEFAULT_DEADLINES, Deadlines
from referral.routing.hops import back_to_pool
from referral.routing.models import EscalationAction, EscalationReport
from referral.routing.parties import assignee_of, body_at, county_of, township_of
from referral.routing.workflow import OPEN, Side

SYSTEM_ACTOR = "system:escalation"
S = HopStatus
_UNACCEPTED = [S.REQUESTED.value, S.RECEIVED.value]


def _household_of(uow: UnitOfWork, hop: ReferralHop) -> tuple[Household, Need] | None:
    referral = uow.get(Referral, hop.referral_id)
    if referral is None:
        return None
    household, need = uow.get(Household, referral.household_id), uow.get(Need, referral.need_id)
    return (household, need) if household and need else None


def _return_to_pool(uow: UnitOfWork, hop: ReferralHop, now: datetime, actor: str) -> EscalationAction:
    moved, org = back_to_pool(
        uow,
        hop,
        sides={Side.SYSTEM},
        by=actor,
        at=now,
        reason="认领后逾期未开始，退回任务池 / claimed but not started in time: back to the pool",
        reason_code=HopReason.NOT_STARTED,
        kind=NotificationKind.RETURNED_TO_POOL,
        message=f"第{hop.seq}环认领后未按期开始，已退回任务池 / hop {hop.seq} was not started in time",
    )
    return EscalationAction(
        hop_id=moved.id,
        referral_id=moved.referral_id,
        action="returned_to_pool",
        level=None,
        recipient_id=org.id if org else None,
        overdue_since=hop.accept_due_at,
    )


def _base_level(uow: UnitOfWork, hop: ReferralHop) -> AllianceLevel:
    """One level up from the hop's assignee."""
    holder = assignee_of(uow, hop)
    if isinstance(holder, AllianceBody) and holder.level is not AllianceLevel.VILLAGE:
        return AllianceLevel.COUNTY
    return AllianceLevel.TOWNSHIP


def _next_level(
    uow: UnitOfWork, hop: ReferralHop, now: datetime, deadlines: Deadlines
) -> AllianceLevel | None:
    if hop.escalation_level is None:
        return _base_level(uow, hop)
    if (
        hop.escalation_level is AllianceLevel.TOWNSHIP
        and hop.escalated_at is not None
        and now >= hop.escalated_at + deadlines.county_grace
    ):
        return AllianceLevel.COUNTY
    return None


def _overdue_since(hop: ReferralHop, now: datetime) -> datetime | None:
    if hop.due_at is not None and hop.due_at < now:
        return hop.due_at
    if hop.status.value in _UNACCEPTED and hop.accept_due_at is not None and hop.accept_due_at < now:
        return hop.accept_due_at
    return None


def _escalate_hop(
    uow: UnitOfWork, hop: ReferralHop, now: datetime, deadlines: Deadlines, actor: str
) -> EscalationAction | None:
    since = _overdue_since(hop, now)
    level = _next_level(uow, hop, now, deadlines) if since else None
    found = _household_of(uow, hop)
    if since is None or level is None or found is None:
        return None
    household, need = found
    code = (
        county_of(household.village_code)
        if level is AllianceLevel.COUNTY
        else township_of(household.village_code)
    )
    body = body_at(uow, code)
    marked = hop.model_copy(
        update={"escalation_level": level, "escalated_at": now, "version": hop.version + 1, "updated_at": now}
    )
    if not uow.update_if(marked, {"status": hop.status, "version": hop.version}):
        raise StaleVersion("任务在检查期间被更改 / a task changed during the deadline check; retrying")
    if body is not None:
        notifications.send(
            uow,
            body,
            NotificationKind.ESCALATED,
            subject_label=ReferralHop.LABEL,
            subject_id=hop.id,
            message=f"{need.type.zh}需求第{hop.seq}环（{hop.status.zh}）超时，升级至{level.zh} / "
            f"hop {hop.seq} ({hop.status.value}) overdue, escalated to the {level.value} alliance",
            at=now,
        )
    audit.append(
        uow,
        actor=actor,
        action="hop_escalated",
        object_label=ReferralHop.LABEL,
        object_id=hop.id,
        at=now,
        changes={
            "escalation_level": [hop.escalation_level.value if hop.escalation_level else None, level.value],
            "overdue_since": since.isoformat(),
        },
    )
    return EscalationAction(
        hop_id=hop.id,
        referral_id=hop.referral_id,
        action="escalated",
        level=level,
        recipient_id=body.id if body else None,
        overdue_since=since,
    )


def escalate(
    uow: UnitOfWork, now: datetime, deadlines: Deadlines = DEFAULT_DEADLINES, actor: str = SYSTEM_ACTOR
) -> EscalationReport:
    """Run the deadline check at `now` over every open hop; returns what it did."""
    actions: list[EscalationAction] = []
    for hop in uow.find(ReferralHop, where(status=S.ACCEPTED, accept_due_at__lt=now)):
        if hop.pool_area_code is not None and hop.assignee_label == "Organisation" and hop.started_at is None:
            actions.append(_return_to_pool(uow, hop, now, actor))
    open_statuses = sorted(s.value for s in OPEN if s is not S.DRAFT)
    overdue = {h.id: h for h in uow.find(ReferralHop, where(status__in=open_statuses, due_at__lt=now))}
    overdue |= {h.id: h for h in uow.find(ReferralHop, where(status__in=_UNACCEPTED, accept_due_at__lt=now))}
    for hop_id in sorted(overdue):
        current = uow.get(ReferralHop, hop_id)
        if current is None:
            continue
        done = _escalate_hop(uow, current, now, deadlines, actor)
        if done is not None:
            actions.append(done)
    return EscalationReport(now=now, actions=actions)


def run_escalation(
    uow: UnitOfWork, policy: Policy, deadlines: Deadlines = DEFAULT_DEADLINES
) -> EscalationReport:
    """The deadline check started by hand (RUN_ESCALATION), recorded under the caller's name."""
    policy.require(Action.RUN_ESCALATION)
    return escalate(uow, policy.now, deadlines, actor=policy.principal.actor)
