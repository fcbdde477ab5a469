"""Views of needs, referrals, hops and tasks, with the household's private data masked for the caller."""

from __future__ import annotations

from graph.model import (
    Delivery,
    Household,
    Need,
    Outcome,
    Person,
    Referral,
    ReferralHop,
    StatusChange,
)
from graph.model.enums import PiiScope
from graph.store import Order, UnitOfWork, where
from referral.access.masking import NEED_FIELDS, mask_name, mask_phone
from referral.access.tasks import LoadedTask
from referral.routing.models import (
    DeliveryView,
    HopView,
    HouseholdBrief,
    NeedView,
    OutcomeView,
    ReferralView,
    StatusChangeView,
    TaskView,
)
from referral.routing.parties import hops_of, sender_of


def changes_of(uow: UnitOfWork, subject_id: str) -> list[StatusChangeView]:
    """The status changes of one object, oldest first."""
    found = uow.find(StatusChange, where(subject_id=subject_id), order_by=[Order("at")])
    return [
        StatusChangeView(
            from_status=c.from_status,
            to_status=c.to_status,
            by=c.by,
            at=c.at,
            reason=c.reason,
            reason_code=c.reason_code,
        )
        for c in found
    ]


def hop_view(uow: UnitOfWork, hop: ReferralHop, pii: frozenset[PiiScope]) -> HopView:
    sender = sender_of(uow, hop)
    deliveries = uow.find(Delivery, where(hop_id=hop.id), order_by=[Order("recorded_at")])
    return HopView(
        id=hop.id,
        referral_id=hop.referral_id,
        seq=hop.seq,
        status=hop.status,
        status_zh=hop.status.zh,
        sender_id=sender.id if sender else None,
        sender_label=sender.LABEL if sender else None,
        assignee_id=hop.assignee_id,
        assignee_label=hop.assignee_label,
        pool_area_code=hop.pool_area_code,
        due_at=hop.due_at,
        accept_due_at=hop.accept_due_at,
        escalation_level=hop.escalation_level,
        escalated_at=hop.escalated_at,
        reason_code=hop.reason_code,
        created_at=hop.created_at,
        updated_at=hop.updated_at,
        version=hop.version,
        changes=changes_of(uow, hop.id),
        deliveries=[
            DeliveryView(
                id=d.id,
                kind=d.kind,
                amount_fen=d.amount_fen if PiiScope.INCOME in pii else None,
                units=d.units,
                unit_name=d.unit_name,
                delivered_on=d.delivered_on,
                note=d.note if PiiScope.HEALTH in pii else None,
                recorded_by=d.recorded_by,
                recorded_at=d.recorded_at,
            )
            for d in deliveries
        ],
    )


def need_masked(pii: frozenset[PiiScope]) -> list[str]:
    return sorted(name for name, scope in NEED_FIELDS.items() if scope not in pii)


def need_view(uow: UnitOfWork, need: Need, pii: frozenset[PiiScope]) -> NeedView:
    masked = need_masked(pii)
    referrals = uow.find(Referral, where(need_id=need.id), order_by=[Order("created_at")])
    return NeedView(
        id=need.id,
        household_id=need.household_id,
        village_code=need.village_code,
        type=need.type,
        urgency=need.urgency,
        status=need.status,
        channel=need.channel,
        description=None if "description" in masked else need.description,
        report_count=need.report_count,
        created_at=need.created_at,
        updated_at=need.updated_at,
        closed_at=need.closed_at,
        version=need.version,
        referral_ids=[r.id for r in referrals],
        masked=masked,
    )


def referral_view(uow: UnitOfWork, referral: Referral, pii: frozenset[PiiScope]) -> ReferralView:
    outcomes = uow.find(Outcome, where(referral_id=referral.id), order_by=[Order("evaluated_at")])
    return ReferralView(
        id=referral.id,
        need_id=referral.need_id,
        household_id=referral.household_id,
        status=referral.status,
        track=referral.track,
        resource_id=referral.resource_id,
        created_by=referral.created_by,
        created_at=referral.created_at,
        completed_at=referral.completed_at,
        verified_by=referral.verified_by,
        reopened_count=referral.reopened_count,
        version=referral.version,
        changes=changes_of(uow, referral.id),
        hops=[hop_view(uow, h, pii) for h in hops_of(uow, referral.id)],
        outcomes=[
            OutcomeView(
                id=o.id,
                result=o.result,
                delivered=o.delivered if PiiScope.INCOME in pii else None,
                amount_fen=o.amount_fen if PiiScope.INCOME in pii else None,
                evaluated_by=o.evaluated_by,
                evaluated_at=o.evaluated_at,
            )
            for o in outcomes
        ],
    )


def household_brief(uow: UnitOfWork, household: Household, pii: frozenset[PiiScope]) -> HouseholdBrief:
    head = uow.get(Person, household.head_person_id) if household.head_person_id else None
    masked = sorted(
        {"address"} - ({"address"} if PiiScope.ADDRESS in pii else set())
        | ({"head_name"} if PiiScope.NAME not in pii else set())
        | ({"head_phone"} if PiiScope.PHONE not in pii else set())
    )
    name = head.name if head else None
    phone = head.phone if head else None
    return HouseholdBrief(
        id=household.id,
        village_code=household.village_code,
        address=household.address if "address" not in masked else None,
        head_name=name if name is None or "head_name" not in masked else mask_name(name),
        head_phone=phone if phone is None or "head_phone" not in masked else mask_phone(phone),
        masked=masked,
    )


def task_view(uow: UnitOfWork, task: LoadedTask) -> TaskView:
    need = uow.require(Need, task.referral.need_id)
    masked = need_masked(task.pii)
    return TaskView(
        hop=hop_view(uow, task.hop, task.pii),
        referral_id=task.referral.id,
        need_id=need.id,
        need_type=need.type,
        urgency=need.urgency,
        need_description=None if "description" in masked else need.description,
        household=household_brief(uow, task.household, task.pii),
        access=sorted(a.value for a in task.access),
    )
