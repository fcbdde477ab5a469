"""Closing a referral: verify it (with the effect evaluation), reopen it with a reason, or cancel it."""

from __future__ import annotations

from graph.errors import InvalidInput, NodeNotFound
from graph.model import HasOutcome, Household, Need, Outcome, Referral, new_id
from graph.model.enums import HopStatus, NeedStatus, OutcomeResult, ReferralStatus
from graph.store import UnitOfWork, where
from referral.access.errors import StaleVersion
from referral.access.policy import Action, HouseholdAccess, Policy
from referral.audit import service as audit
from referral.routing.deadlines import DEFAULT_DEADLINES, Deadlines
from referral.routing.hops import open_hop, resolve_target
from referral.routing.models import CancelRequest, ReferralView, ReopenRequest, Target, VerifyRequest
from referral.routing.parties import Party, acts_for, assignee_of, dispatcher_of, hops_of, household_body
from referral.routing.service import reopen_need_if_idle
from referral.routing.views import referral_view
from referral.routing.workflow import (
    OPEN,
    InvalidTransition,
    Side,
    move_hop,
    move_need,
    move_referral,
    record_change,
)

REFERRAL_NOT_FOUND = "转介不存在或不在您的范围内 / referral not found or outside your scope"


def load_referral(
    uow: UnitOfWork, policy: Policy, referral_id: str, action: Action
) -> tuple[Referral, Household, HouseholdAccess]:
    """A referral whose household the caller may see (writes: in the caller's areas); 404 otherwise."""
    policy.require(action)
    referral = uow.get(Referral, referral_id)
    household = uow.get(Household, referral.household_id) if referral else None
    access = policy.household_access(uow, household) if household else None
    if referral is None or household is None or access is None:
        raise NodeNotFound(REFERRAL_NOT_FOUND)
    if action is not Action.READ_TASKS and access.via != "area":
        raise NodeNotFound(REFERRAL_NOT_FOUND)
    return referral, household, access


def referral_detail(uow: UnitOfWork, policy: Policy, referral_id: str) -> ReferralView:
    """A referral with every hop, status change, delivery and outcome."""
    referral, household, access = load_referral(uow, policy, referral_id, Action.READ_TASKS)
    policy.log_pii_read(uow, household.id, access.pii)
    return referral_view(uow, referral, access.pii)


def _verifier(uow: UnitOfWork, policy: Policy, household: Household) -> Party:
    """The body the caller verifies for: the household's township body, or its county body."""
    for body in (household_body(uow, household), household_body(uow, household, county=True)):
        if body is not None and acts_for(policy, body):
            return body
    raise InvalidTransition(
        "只有镇街（或区县）助联体可以核验 / only the township (or county) body may verify"
    )


def _awaiting_verification(uow: UnitOfWork, referral: Referral, allowed_last: frozenset[HopStatus]) -> None:
    hops = hops_of(uow, referral.id)
    if referral.status is not ReferralStatus.ACTIVE:
        raise InvalidTransition(
            f"转介当前为「{referral.status.zh}」/ the referral is {referral.status.value}",
            from_status=referral.status.value,
        )
    if any(h.status in OPEN for h in hops):
        raise InvalidTransition("还有未办结的环节 / a hop of this referral is still open")
    if not hops or hops[-1].status not in allowed_last:
        raise InvalidTransition("最后一环未办结 / the last hop is not completed")


# Effect evaluations after which a need counts as met; the others send it back to the open needs.
_MET = frozenset({OutcomeResult.RESOLVED, OutcomeResult.PARTIAL})


def verify(uow: UnitOfWork, policy: Policy, referral_id: str, body: VerifyRequest) -> ReferralView:
    """Verify and close a referral with its outcome; the need is met once every hop is closed."""
    referral, household, access = load_referral(uow, policy, referral_id, Action.VERIFY)
    _verifier(uow, policy, household)
    _awaiting_verification(uow, referral, frozenset({HopStatus.COMPLETED}))
    by, at = policy.principal.actor, policy.now
    closed = move_referral(
        uow, referral, ReferralStatus.COMPLETED, by=by, at=at, changes={"completed_at": at, "verified_by": by}
    )
    outcome = Outcome(
        id=new_id(),
        referral_id=referral.id,
        result=body.result,
        delivered=body.delivered,
        amount_fen=body.amount_fen,
        risk_level_before=household.risk_level,
        risk_level_after=body.risk_level_after,
        evaluated_by=by,
        evaluated_at=at,
    )
    uow.create(outcome)
    uow.relate(HasOutcome(start=closed.ref, end=outcome.ref))
    audit.append(
        uow,
        actor=by,
        action="outcome_recorded",
        object_label=Referral.LABEL,
        object_id=referral.id,
        at=at,
        changes={"result": body.result.value},
    )
    need = uow.require(Need, referral.need_id)
    referrals = uow.find(Referral, where(need_id=need.id))
    all_closed = all(h.status not in OPEN for r in referrals for h in hops_of(uow, r.id))
    if need.status is NeedStatus.REFERRED and all_closed:
        if body.result in _MET:
            move_need(uow, need, NeedStatus.MET, by=by, at=at, changes={"closed_at": at})
        else:
            # The effect evaluation says the need remains: it goes back to the county's open needs
            # for a new plan or a new referral (DOMAIN.md 7: a mismatch triggers an adjustment).
            move_need(
                uow,
                need,
                NeedStatus.OPEN,
                by=by,
                at=at,
                reason=f"效果评估: {body.result.zh} / effect evaluation: {body.result.en}",
            )
    return referral_view(uow, closed, access.pii)


def reopen(
    uow: UnitOfWork,
    policy: Policy,
    referral_id: str,
    body: ReopenRequest,
    deadlines: Deadlines = DEFAULT_DEADLINES,
) -> ReferralView:
    """Instead of closing it, send the case out again with a reason: a new hop, `reopened_count` + 1.

    Recorded on the referral itself too (a StatusChange active -> active with the reason and code,
    which the trace shows as the reopen), beside the new hop's own StatusChange.
    """
    referral, household, access = load_referral(uow, policy, referral_id, Action.VERIFY)
    sender = _verifier(uow, policy, household)
    _awaiting_verification(uow, referral, frozenset({HopStatus.COMPLETED, HopStatus.FAILED}))
    by, at = policy.principal.actor, policy.now
    if body.organisation_id is not None or body.alliance_body_id is not None:
        target = resolve_target(
            uow,
            household,
            Target(organisation_id=body.organisation_id, alliance_body_id=body.alliance_body_id),
        )
    else:
        last = assignee_of(uow, hops_of(uow, referral.id)[-1])
        if last is None:
            raise InvalidInput("请指定接收方 / name the organisation or village body to reopen it with")
        target = last
    bumped = referral.model_copy(
        update={"reopened_count": referral.reopened_count + 1, "version": referral.version + 1}
    )
    if not uow.update_if(bumped, {"status": referral.status, "version": referral.version}):
        raise StaleVersion("转介已被他人更改 / the referral changed meanwhile; reload and retry")
    # The referral stays active (it was never closed: reopening replaces the verification), so its
    # own record of the reopen is a StatusChange from active to active with the reason.
    record_change(
        uow,
        bumped,
        referral.status.value,
        bumped.status.value,
        by=by,
        at=at,
        reason=body.reason,
        reason_code=body.reason_code,
    )
    audit.append(
        uow,
        actor=by,
        action="referral_reopened",
        object_label=Referral.LABEL,
        object_id=referral.id,
        at=at,
        changes={"reopened_count": bumped.reopened_count, "reason_code": body.reason_code.value},
    )
    need = uow.require(Need, referral.need_id)
    open_hop(
        uow,
        referral=bumped,
        need=need,
        sender=sender,
        target=target,
        by=by,
        at=at,
        deadlines=deadlines,
        reason=body.reason,
        reason_code=body.reason_code,
    )
    return referral_view(uow, bumped, access.pii)


def cancel(uow: UnitOfWork, policy: Policy, referral_id: str, body: CancelRequest) -> ReferralView:
    """The dispatcher cancels a referral (or marks it entered in error); the need returns to the queue."""
    referral, _household, access = load_referral(uow, policy, referral_id, Action.DISPATCH)
    if not acts_for(policy, dispatcher_of(uow, referral)):
        raise InvalidTransition("只有派单方可以取消 / only the body that dispatched it may cancel it")
    if referral.status is not ReferralStatus.ACTIVE:
        raise InvalidTransition(
            f"转介当前为「{referral.status.zh}」/ the referral is {referral.status.value}",
            from_status=referral.status.value,
        )
    by, at = policy.principal.actor, policy.now
    to = HopStatus.ENTERED_IN_ERROR if body.entered_in_error else HopStatus.CANCELLED
    for hop in hops_of(uow, referral.id):
        if hop.status in OPEN:
            move_hop(uow, hop, to, sides={Side.SENDER}, by=by, at=at, reason=body.reason)
    closed = move_referral(uow, referral, ReferralStatus.CANCELLED, by=by, at=at, reason=body.reason)
    reopen_need_if_idle(uow, referral.need_id, by=by, policy=policy, reason=body.reason)
    return referral_view(uow, closed, access.pii)
