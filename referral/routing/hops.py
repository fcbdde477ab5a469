"""Opening a new hop of a referral, and where a task may be sent (shared by dispatch, assign and reopen);
putting a claimed task back in the pool (shared by the deadline check and the give-back)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from graph.errors import InvalidInput
from graph.model import (
    AllianceBody,
    AssignedTo,
    FirstHop,
    Household,
    Need,
    NextHop,
    Organisation,
    Referral,
    ReferralHop,
    SentBy,
    new_id,
)
from graph.model.enums import AllianceLevel, HopReason, HopStatus, NotificationKind
from graph.store import UnitOfWork
from referral.access.tasks import organisation_serves
from referral.audit import service as audit
from referral.routing import notifications
from referral.routing.deadlines import Deadlines
from referral.routing.models import Target
from referral.routing.parties import Party, assignee_of, hops_of, township_of
from referral.routing.workflow import Side, move_hop, record_change


def _bad_target(field: str, value: str, message: str) -> InvalidInput:
    return InvalidInput(message, [{"field": f"body:{field}", "value": value, "message": message}])


def resolve_target(uow: UnitOfWork, household: Household, target: Target) -> Party:
    """The organisation or village body a task goes to; 422 when it cannot take this household's task."""
    if (target.organisation_id is None) == (target.alliance_body_id is None):
        raise _bad_target(
            "organisation_id",
            target.organisation_id or "",
            "须指定一个接收方 / give exactly one of organisation_id and alliance_body_id",
        )
    if target.organisation_id is not None:
        org = uow.get(Organisation, target.organisation_id)
        if org is None or not org.active:
            raise _bad_target(
                "organisation_id", target.organisation_id, "机构不存在或已停用 / no such active organisation"
            )
        if not organisation_serves(org, household.village_code):
            raise _bad_target(
                "organisation_id",
                org.id,
                "该机构的服务范围不含此户 / the organisation does not serve the household's area",
            )
        return org
    assert target.alliance_body_id is not None
    body = uow.get(AllianceBody, target.alliance_body_id)
    if body is None or body.level is not AllianceLevel.VILLAGE or body.area_code != household.village_code:
        raise _bad_target(
            "alliance_body_id",
            target.alliance_body_id,
            "须为该户所在村的助联体 / must be the alliance body of the household's village",
        )
    return body


def open_hop(
    uow: UnitOfWork,
    *,
    referral: Referral,
    need: Need,
    sender: Party,
    target: Party | None,
    by: str,
    at: datetime,
    deadlines: Deadlines,
    note: str | None = None,
    reason: str | None = None,
    reason_code: HopReason | None = None,
) -> ReferralHop:
    """A new last hop: `requested` with the target, or `ready` in the open pool of the sender's township."""
    previous = hops_of(uow, referral.id)
    seq = previous[-1].seq + 1 if previous else 1
    status = HopStatus.REQUESTED if target is not None else HopStatus.READY
    label: Literal["AllianceBody", "Organisation"] | None = None
    if target is not None:
        label = "AllianceBody" if isinstance(target, AllianceBody) else "Organisation"
    pool_area = township_of(need.village_code) if target is None else None
    hop = ReferralHop(
        id=new_id(),
        referral_id=referral.id,
        seq=seq,
        status=status,
        assignee_id=target.id if target else None,
        assignee_label=label,
        pool_area_code=pool_area,
        note=note,
        created_at=at,
        updated_at=at,
        due_at=deadlines.due_at(need.urgency, at),
        accept_due_at=deadlines.accept_due_at(need.urgency, at) if target is not None else None,
        requested_at=at if target is not None else None,
        ready_at=at if target is None else None,
    )
    uow.create(hop)
    uow.relate(SentBy(start=hop.ref, end=sender.ref))
    if target is not None:
        uow.relate(AssignedTo(start=hop.ref, end=target.ref))
    if previous:
        uow.relate(NextHop(start=previous[-1].ref, end=hop.ref))
    else:
        uow.relate(FirstHop(start=referral.ref, end=hop.ref))
    record_change(uow, hop, None, status.value, by=by, at=at, reason=reason, reason_code=reason_code)
    audit.append(
        uow,
        actor=by,
        action="hop_opened",
        object_label=ReferralHop.LABEL,
        object_id=hop.id,
        at=at,
        changes={
            "referral_id": referral.id,
            "seq": seq,
            "status": status.value,
            "assignee_id": hop.assignee_id,
        },
    )
    if target is not None:
        notifications.send(
            uow,
            target,
            NotificationKind.TASK_ASSIGNED,
            subject_label=ReferralHop.LABEL,
            subject_id=hop.id,
            message=f"{need.type.zh}需求（{need.urgency.zh}）第{seq}环 / {need.type.en} need, hop {seq}",
            at=at,
        )
    return hop


def back_to_pool(
    uow: UnitOfWork,
    hop: ReferralHop,
    *,
    sides: Iterable[Side],
    by: str,
    at: datetime,
    reason: str,
    reason_code: HopReason,
    kind: NotificationKind,
    message: str,
) -> tuple[ReferralHop, Party | None]:
    """A claimed task back in the open pool: `accepted` -> `ready` without an assignee.

    The move goes through the table (the system's deadline check or the assignee giving it back);
    the organisation that held it loses ASSIGNED_TO and gets a notification of `kind`, which is its
    record of the return. Returns the moved hop and the organisation (None: nobody held it).
    """
    holder = assignee_of(uow, hop)
    moved = move_hop(
        uow,
        hop,
        HopStatus.READY,
        sides=sides,
        by=by,
        at=at,
        reason=reason,
        reason_code=reason_code,
        changes={"assignee_id": None, "assignee_label": None, "accept_due_at": None},
    )
    if isinstance(holder, Organisation):
        uow.unrelate("ASSIGNED_TO", hop.ref, holder.ref)
        notifications.send(
            uow, holder, kind, subject_label=ReferralHop.LABEL, subject_id=hop.id, message=message, at=at
        )
    return moved, holder
