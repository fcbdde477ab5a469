"""In-app notifications: sent by the workflow to bodies and organisations, read by their staff.

Messages name the task and the kind of need, never private data of the household.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from graph.errors import NodeNotFound
from graph.model import AllianceBody, Notification, Organisation, new_id
from graph.model.enums import NotificationKind
from graph.store import Filter, Op, Order, UnitOfWork, where
from referral.access.policy import Action, Policy
from referral.access.tasks import BODY_ROLE
from referral.routing.models import NotificationPage, NotificationView

NOTIFICATION_NOT_FOUND = "通知不存在或不是您的 / notification not found or not yours"


def send(
    uow: UnitOfWork,
    recipient: AllianceBody | Organisation,
    kind: NotificationKind,
    *,
    subject_label: str,
    subject_id: str,
    message: str,
    at: datetime,
) -> Notification:
    """Store one notification for a body or an organisation."""
    label: Literal["AllianceBody", "Organisation"] = (
        "AllianceBody" if isinstance(recipient, AllianceBody) else "Organisation"
    )
    notification = Notification(
        id=new_id(),
        recipient_label=label,
        recipient_id=recipient.id,
        kind=kind,
        subject_label=subject_label,
        subject_id=subject_id,
        message=f"{kind.zh}: {message}"[:1000],
        created_at=at,
    )
    uow.create(notification)
    return notification


def recipients_of(uow: UnitOfWork, policy: Policy) -> list[str]:
    """Ids whose notifications the caller reads: the caller, their organisation, the bodies they act for."""
    ids = [policy.principal.user_id]
    if policy.principal.organisation_id:
        ids.append(policy.principal.organisation_id)
    for level, role in BODY_ROLE.items():
        if role not in policy.principal.roles:
            continue
        for prefix in policy.area_prefixes:
            bodies = uow.find(
                AllianceBody, [Filter("level", Op.EQ, level), Filter("area_code", Op.PREFIX, prefix)]
            )
            ids.extend(b.id for b in bodies)
    return sorted(set(ids))


def _view(n: Notification) -> NotificationView:
    return NotificationView(
        id=n.id,
        kind=n.kind,
        recipient_label=n.recipient_label,
        recipient_id=n.recipient_id,
        subject_label=n.subject_label,
        subject_id=n.subject_id,
        message=n.message,
        created_at=n.created_at,
        read_at=n.read_at,
    )


def list_notifications(
    uow: UnitOfWork, policy: Policy, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> NotificationPage:
    """The caller's notifications, newest first."""
    policy.require(Action.READ_TASKS)
    filters = [Filter("recipient_id", Op.IN, recipients_of(uow, policy))]
    if unread_only:
        filters.append(Filter("read_at", Op.IS_NULL, True))
    total = uow.count(Notification, filters)
    found = uow.find(
        Notification, filters, order_by=[Order("created_at", descending=True)], limit=limit, offset=offset
    )
    return NotificationPage(total=total, items=[_view(n) for n in found])


def mark_read(uow: UnitOfWork, policy: Policy, notification_id: str) -> NotificationView:
    """Mark one of the caller's notifications read (404 for anyone else's)."""
    policy.require(Action.READ_TASKS)
    found = uow.get(Notification, notification_id)
    if found is None or found.recipient_id not in recipients_of(uow, policy):
        raise NodeNotFound(NOTIFICATION_NOT_FOUND)
    if found.read_at is None:
        found = found.model_copy(update={"read_at": policy.now, "read_by": policy.principal.user_id})
        uow.upsert(found)
    return _view(found)


def returned_to_pool_count(uow: UnitOfWork, organisation_id: str) -> int:
    """How many claimed tasks went back to the pool because this organisation did not start them."""
    return uow.count(
        Notification, where(recipient_id=organisation_id, kind=NotificationKind.RETURNED_TO_POOL)
    )


def given_back_count(uow: UnitOfWork, organisation_id: str) -> int:
    """How many claimed tasks this organisation gave back to the pool itself."""
    return uow.count(Notification, where(recipient_id=organisation_id, kind=NotificationKind.GIVEN_BACK))
