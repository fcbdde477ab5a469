"""The referral workflow as data: one transition table per workflow object, and the one way to move.

A hop (a FHIR Task) moves only through `move_hop`: the pair (from, to) must be in `TRANSITIONS` and
the caller must hold one of the sides the table names for it. The move sets the status's timestamp,
raises `version`, writes with compare-and-set on (status, version) so a stale or concurrent move
changes nothing, records a `StatusChange` (RECORDS) and appends an audit entry, all in the caller's
unit of work. Needs and referrals move the same way through their own small tables.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from graph.errors import ZhulianError
from graph.model import Need, NodeRef, Records, Referral, ReferralHop, StatusChange, new_id
from graph.model.cases import HOP_STATUS_TIMESTAMP
from graph.model.enums import HopReason, HopStatus, NeedStatus, ReferralStatus
from graph.store import UnitOfWork
from referral.access.errors import StaleVersion
from referral.audit import service as audit


class InvalidTransition(ZhulianError):
    """The object's status does not allow this move, or not for the caller's side."""

    status_code = 409
    title = "Invalid transition"


class Side(enum.StrEnum):
    """Who stands where with respect to a hop."""

    SENDER = "sender"  # the body that handed the task on (or the dispatcher of the referral)
    ASSIGNEE = "assignee"  # the body or organisation the task is with
    CLAIMANT = "claimant"  # a provider whose service area covers the household, while in the pool
    SYSTEM = "system"  # the deadline check

    @property
    def zh(self) -> str:
        return {"sender": "派出方", "assignee": "接收方", "claimant": "认领机构", "system": "系统"}[
            self.value
        ]


S = HopStatus
OPEN: frozenset[HopStatus] = frozenset(
    {S.DRAFT, S.REQUESTED, S.RECEIVED, S.ACCEPTED, S.READY, S.IN_PROGRESS, S.ON_HOLD}
)
CLOSED: frozenset[HopStatus] = frozenset(S) - OPEN
_SENDER = frozenset({Side.SENDER})
_ASSIGNEE = frozenset({Side.ASSIGNEE})

# Decision 0007's table: (from, to) -> the sides that may make the move.
TRANSITIONS: dict[tuple[HopStatus, HopStatus], frozenset[Side]] = {
    (S.DRAFT, S.REQUESTED): _SENDER,
    (S.DRAFT, S.CANCELLED): _SENDER,
    (S.REQUESTED, S.RECEIVED): _ASSIGNEE,
    (S.REQUESTED, S.ACCEPTED): _ASSIGNEE,
    (S.REQUESTED, S.REJECTED): _ASSIGNEE,
    (S.REQUESTED, S.CANCELLED): _SENDER,
    (S.RECEIVED, S.ACCEPTED): _ASSIGNEE,
    (S.RECEIVED, S.REJECTED): _ASSIGNEE,
    (S.READY, S.ACCEPTED): frozenset({Side.CLAIMANT}),
    (S.READY, S.CANCELLED): _SENDER,
    (S.ACCEPTED, S.IN_PROGRESS): _ASSIGNEE,
    (S.ACCEPTED, S.REJECTED): _ASSIGNEE,
    # Back to the pool: a claimed task not started in time (system), or given back (assignee).
    (S.ACCEPTED, S.READY): frozenset({Side.SYSTEM, Side.ASSIGNEE}),
    (S.IN_PROGRESS, S.ON_HOLD): _ASSIGNEE,
    (S.IN_PROGRESS, S.COMPLETED): _ASSIGNEE,
    (S.IN_PROGRESS, S.FAILED): _ASSIGNEE,
    (S.ON_HOLD, S.IN_PROGRESS): _ASSIGNEE,
    (S.ON_HOLD, S.FAILED): _ASSIGNEE,
} | {(status, S.ENTERED_IN_ERROR): _SENDER for status in OPEN}

# The timestamp each status sets when reached (draft: created_at): a fact of the model.
TIMESTAMP = HOP_STATUS_TIMESTAMP

NEED_TRANSITIONS: frozenset[tuple[NeedStatus, NeedStatus]] = frozenset(
    {
        (NeedStatus.OPEN, NeedStatus.REFERRED),
        (NeedStatus.OPEN, NeedStatus.WITHDRAWN),
        (NeedStatus.OPEN, NeedStatus.UNMET),
        (NeedStatus.REFERRED, NeedStatus.OPEN),  # returned by the township, or the referral cancelled
        (NeedStatus.REFERRED, NeedStatus.MET),
        (NeedStatus.REFERRED, NeedStatus.UNMET),
    }
)
REFERRAL_TRANSITIONS: frozenset[tuple[ReferralStatus, ReferralStatus]] = frozenset(
    {(ReferralStatus.ACTIVE, ReferralStatus.COMPLETED), (ReferralStatus.ACTIVE, ReferralStatus.CANCELLED)}
)

_STALE = "已被他人更改，请刷新后重试 / it changed since it was read (someone acted first); reload and retry"

W = TypeVar("W", Need, Referral)


def record_change(
    uow: UnitOfWork,
    subject: ReferralHop | Referral | Need,
    from_status: str | None,
    to_status: str,
    *,
    by: str,
    at: datetime,
    reason: str | None = None,
    reason_code: HopReason | None = None,
) -> StatusChange:
    """Write the `StatusChange` of one transition (or of creation, from None) and join it to its subject."""
    label = subject.LABEL
    assert label in ("ReferralHop", "Referral", "Need")
    change = StatusChange(
        id=new_id(),
        subject_label=label,
        subject_id=subject.id,
        from_status=from_status,
        to_status=to_status,
        by=by,
        at=at,
        reason=reason,
        reason_code=reason_code,
    )
    uow.create(change)
    uow.relate(Records(start=change.ref, end=NodeRef(label, subject.id)))
    return change


def allowed_sides(from_status: HopStatus, to_status: HopStatus) -> frozenset[Side]:
    """The sides that may move a hop between these statuses (empty: nobody)."""
    return TRANSITIONS.get((from_status, to_status), frozenset())


def check_move(hop: ReferralHop, to: HopStatus, sides: Iterable[Side]) -> None:
    """InvalidTransition unless the table allows the move for one of the caller's sides."""
    allowed = allowed_sides(hop.status, to)
    if not allowed:
        raise InvalidTransition(
            f"任务当前为「{hop.status.zh}」，不能改为「{to.zh}」 / "
            f"a task in status {hop.status.value} cannot become {to.value}",
            from_status=hop.status.value,
            to_status=to.value,
        )
    if not allowed & set(sides):
        who = "、".join(sorted(s.zh for s in allowed))
        names = ", ".join(sorted(s.value for s in allowed))
        raise InvalidTransition(
            f"此操作只能由{who}执行 / only the {names} may move this task to {to.value}",
            from_status=hop.status.value,
            to_status=to.value,
        )


def move_hop(
    uow: UnitOfWork,
    hop: ReferralHop,
    to: HopStatus,
    *,
    sides: Iterable[Side],
    by: str,
    at: datetime,
    reason: str | None = None,
    reason_code: HopReason | None = None,
    changes: Mapping[str, Any] | None = None,
) -> ReferralHop:
    """Move a hop through the table; returns the stored hop (StaleVersion when someone moved it first)."""
    check_move(hop, to, sides)
    update: dict[str, Any] = {
        "status": to,
        "version": hop.version + 1,
        "updated_at": at,
        TIMESTAMP[to]: at,
        **(changes or {}),
    }
    if reason_code is not None:
        update["reason_code"] = reason_code
    moved = ReferralHop.model_validate(hop.model_dump() | update)
    if not uow.update_if(moved, {"status": hop.status, "version": hop.version}):
        raise StaleVersion(_STALE, from_status=hop.status.value, to_status=to.value)
    record_change(
        uow, moved, hop.status.value, to.value, by=by, at=at, reason=reason, reason_code=reason_code
    )
    audit.append(
        uow,
        actor=by,
        action=f"hop_{to.value}",
        object_label=ReferralHop.LABEL,
        object_id=hop.id,
        at=at,
        changes={"status": [hop.status.value, to.value], "reason_code": reason_code, **_plain(changes)},
    )
    return moved


def _plain(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in (changes or {}).items()}


def _move(
    uow: UnitOfWork,
    obj: W,
    to: Any,
    allowed: bool,
    *,
    by: str,
    at: datetime,
    reason: str | None,
    changes: Mapping[str, Any] | None,
) -> W:
    if not allowed:
        raise InvalidTransition(
            f"{obj.LABEL} 当前为「{obj.status.zh}」，不能改为「{to.zh}」 / "
            f"a {obj.LABEL.lower()} in status {obj.status.value} cannot become {to.value}",
            from_status=obj.status.value,
            to_status=to.value,
        )
    update: dict[str, Any] = {"status": to, "version": obj.version + 1, **(changes or {})}
    if isinstance(obj, Need):
        update.setdefault("updated_at", at)
    moved = type(obj).model_validate(obj.model_dump() | update)
    if not uow.update_if(moved, {"status": obj.status, "version": obj.version}):
        raise StaleVersion(_STALE)
    record_change(uow, moved, obj.status.value, to.value, by=by, at=at, reason=reason)
    audit.append(
        uow,
        actor=by,
        action=f"{obj.LABEL.lower()}_{to.value}",
        object_label=obj.LABEL,
        object_id=obj.id,
        at=at,
        changes={"status": [obj.status.value, to.value], **_plain(changes)},
    )
    return moved


def move_need(
    uow: UnitOfWork,
    need: Need,
    to: NeedStatus,
    *,
    by: str,
    at: datetime,
    reason: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> Need:
    """Move a need through `NEED_TRANSITIONS` (compare-and-set, StatusChange, audit)."""
    allowed = (need.status, to) in NEED_TRANSITIONS
    return _move(uow, need, to, allowed, by=by, at=at, reason=reason, changes=changes)


def move_referral(
    uow: UnitOfWork,
    referral: Referral,
    to: ReferralStatus,
    *,
    by: str,
    at: datetime,
    reason: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> Referral:
    """Move a referral through `REFERRAL_TRANSITIONS` (compare-and-set, StatusChange, audit)."""
    allowed = (referral.status, to) in REFERRAL_TRANSITIONS
    return _move(uow, referral, to, allowed, by=by, at=at, reason=reason, changes=changes)
