"""Needs: report (a repeat of an open need is attached to it), read, withdraw."""

from __future__ import annotations

from graph.errors import NodeNotFound
from graph.model import HasNeed, Household, Need, NeedReport, Referral, ReportOf, new_id
from graph.model.enums import NeedStatus, ReferralStatus, Urgency
from graph.store import UnitOfWork, where
from referral.access.errors import StaleVersion
from referral.access.policy import Action, Policy
from referral.audit import service as audit
from referral.routing.models import NeedCreate, NeedView, WithdrawRequest
from referral.routing.views import need_view
from referral.routing.workflow import InvalidTransition, move_need, record_change

NEED_NOT_FOUND = "需求不存在或不在您的范围内 / need not found or outside your scope"
OPEN_NEED = (NeedStatus.OPEN, NeedStatus.REFERRED)
_RANK = {Urgency.GENERAL: 0, Urgency.URGENT: 1}


def load_need(uow: UnitOfWork, policy: Policy, need_id: str, action: Action) -> tuple[Need, Household]:
    """A need whose household the caller may act on for `action` (404 otherwise)."""
    policy.require(action)
    need = uow.get(Need, need_id)
    if need is None:
        raise NodeNotFound(NEED_NOT_FOUND)
    try:
        household, _access = policy.load_household(uow, need.household_id, action)
    except NodeNotFound:
        raise NodeNotFound(NEED_NOT_FOUND) from None
    return need, household


def report_need(uow: UnitOfWork, policy: Policy, body: NeedCreate) -> NeedView:
    """Record a report: a new need with its first report, or one more report of the open need of that type."""
    household, access = policy.load_household(uow, body.household_id, Action.REPORT_NEED)
    by, at = policy.principal.actor, policy.now
    existing = uow.find(Need, where(household_id=household.id, type=body.type, status__in=list(OPEN_NEED)))
    if existing:
        need = min(existing, key=lambda n: n.created_at)
        urgency = max(need.urgency, body.urgency, key=lambda u: _RANK[u])
        updated = need.model_copy(
            update={
                "report_count": need.report_count + 1,
                "urgency": urgency,
                "updated_at": at,
                "version": need.version + 1,
            }
        )
        if not uow.update_if(updated, {"version": need.version}):
            raise StaleVersion("需求已被他人更改 / the need changed meanwhile; retry")
        action = "need_reported_again"
        changes = {
            "report_count": [need.report_count, updated.report_count],
            "urgency": [need.urgency, urgency],
        }
        need = updated
    else:
        need = Need(
            id=new_id(),
            household_id=household.id,
            village_code=household.village_code,
            type=body.type,
            urgency=body.urgency,
            channel=body.channel,
            description=body.description,
            reported_by=by,
            created_at=at,
            updated_at=at,
        )
        uow.create(need)
        uow.relate(HasNeed(start=household.ref, end=need.ref))
        record_change(uow, need, None, NeedStatus.OPEN.value, by=by, at=at)
        action = "need_reported"
        changes = {"type": body.type.value, "urgency": body.urgency.value, "channel": body.channel.value}
    report = NeedReport(
        id=new_id(),
        need_id=need.id,
        channel=body.channel,
        urgency=body.urgency,
        description=body.description,
        reported_by=by,
        reported_at=at,
    )
    uow.create(report)
    uow.relate(ReportOf(start=report.ref, end=need.ref))
    audit.append(
        uow, actor=by, action=action, object_label=Need.LABEL, object_id=need.id, at=at, changes=changes
    )
    return need_view(uow, need, access.pii)


def need_detail(uow: UnitOfWork, policy: Policy, need_id: str) -> NeedView:
    """One need with its referral ids, the description masked unless the caller sees health data."""
    policy.require(Action.READ_TASKS)
    need = uow.get(Need, need_id)
    household = uow.get(Household, need.household_id) if need else None
    access = policy.household_access(uow, household) if household else None
    if need is None or access is None:
        raise NodeNotFound(NEED_NOT_FOUND)
    view = need_view(uow, need, access.pii)
    if view.description:
        policy.log_pii_read(uow, need.household_id, access.pii)
    return view


def withdraw_need(uow: UnitOfWork, policy: Policy, need_id: str, body: WithdrawRequest) -> NeedView:
    """Withdraw an open need (a referred one: cancel its referral first)."""
    need, household = load_need(uow, policy, need_id, Action.REPORT_NEED)
    if uow.count(Referral, where(need_id=need.id, status=ReferralStatus.ACTIVE)):
        raise InvalidTransition(
            "需求已在转介中，请先取消转介 / the need is being referred; cancel its referral first",
            from_status=need.status.value,
            to_status=NeedStatus.WITHDRAWN.value,
        )
    at = policy.now
    moved = move_need(
        uow,
        need,
        NeedStatus.WITHDRAWN,
        by=policy.principal.actor,
        at=at,
        reason=body.reason,
        changes={"closed_at": at},
    )
    _h, access = policy.load_household(uow, household.id, Action.REPORT_NEED)
    return need_view(uow, moved, access.pii)
