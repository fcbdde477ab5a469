"""Task queues per caller: mine, my areas', overdue, escalated to my level, and recently done.

- `mine`: open hops assigned to the caller's organisation or to an alliance body they act for;
- `area`: open hops of households in the caller's areas;
- `due_today`: open hops of `mine` or `area`, not overdue, whose deadline comes before the end of
  the caller's local calendar day (Asia/Shanghai; the clock is the policy's);
- `overdue`: open hops of `mine` or `area` past due_at, or past accept_due_at before work started;
- `escalated`: open hops of `area` escalated to a level the caller acts for;
- `done`: hops of `mine` or `area` completed in the last 7 days.
Open queues are sorted by the deadline each task works to (`lateness.deadline`: accept_due_at
before the work starts when it is the earlier one, else due_at), soonest first; done ones by
completion, newest first. Items show household ids and area names; the head's name only when
`task_pii` allows it, and then the read is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from graph.model import AllianceBody, Area, Household, Need, Organisation, Referral, ReferralHop
from graph.model.enums import HopStatus, PiiScope
from graph.store import UnitOfWork
from referral.access.policy import Action, Policy
from referral.access.tasks import task_access, task_pii
from referral.tracking.lateness import OPEN_HOP_STATUSES, deadline, is_overdue, late_hours
from referral.tracking.models import QueueItem, QueueKind, QueuePage
from referral.tracking.scope import (
    acted_levels,
    area_hops,
    assigned_hops,
    head_names,
)

DONE_WINDOW = timedelta(days=7)
LOCAL_ZONE = "Asia/Shanghai"  # the calendar day of "due today" (China has one time zone)


def end_of_local_day(now: datetime) -> datetime:
    """The next local midnight after `now`, in UTC."""
    zone = ZoneInfo(LOCAL_ZONE)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone).astimezone(UTC)


def _merge(*groups: list[ReferralHop]) -> list[ReferralHop]:
    found: dict[str, ReferralHop] = {}
    for group in groups:
        for hop in group:
            found[hop.id] = hop
    return list(found.values())


def _candidates(uow: UnitOfWork, policy: Policy, kind: QueueKind) -> list[ReferralHop]:
    """Every hop of the queue, unsorted."""
    now = policy.now
    if kind is QueueKind.MINE:
        return assigned_hops(uow, policy, OPEN_HOP_STATUSES)
    if kind is QueueKind.AREA:
        return area_hops(uow, policy, OPEN_HOP_STATUSES)
    if kind is QueueKind.ESCALATED:
        levels = acted_levels(policy)
        return [h for h in area_hops(uow, policy, OPEN_HOP_STATUSES) if h.escalation_level in levels]
    if kind in (QueueKind.OVERDUE, QueueKind.DUE_TODAY):
        hops = _merge(
            assigned_hops(uow, policy, OPEN_HOP_STATUSES), area_hops(uow, policy, OPEN_HOP_STATUSES)
        )
        if kind is QueueKind.OVERDUE:
            return [h for h in hops if is_overdue(h, now)]
        day_ends = end_of_local_day(now)
        return [h for h in hops if not is_overdue(h, now) and (d := deadline(h)) is not None and d < day_ends]
    done = [HopStatus.COMPLETED]
    hops = _merge(assigned_hops(uow, policy, done), area_hops(uow, policy, done))
    return [h for h in hops if h.completed_at is not None and h.completed_at >= now - DONE_WINDOW]


def _sort_key(kind: QueueKind) -> Callable[[ReferralHop], tuple[object, ...]]:
    if kind is QueueKind.DONE:
        return lambda h: (-(h.completed_at.timestamp() if h.completed_at else 0.0), h.id)

    def by_deadline(hop: ReferralHop) -> tuple[object, ...]:
        due = deadline(hop)
        return (due is None, due.timestamp() if due else 0.0, hop.id)

    return by_deadline


def queue(uow: UnitOfWork, policy: Policy, kind: QueueKind, *, limit: int = 50, offset: int = 0) -> QueuePage:
    """One page of the caller's queue of this kind."""
    policy.require(Action.READ_TASKS)
    hops = sorted(_candidates(uow, policy, kind), key=_sort_key(kind))
    page = hops[offset : offset + limit]
    items = _items(uow, policy, page)
    return QueuePage(
        kind=kind,
        total=len(hops),
        limit=limit,
        offset=offset,
        now=policy.now,
        day_ends_at=end_of_local_day(policy.now),
        items=items,
    )


def _items(uow: UnitOfWork, policy: Policy, hops: list[ReferralHop]) -> list[QueueItem]:
    """Queue items for a page of hops, private data masked per task and the unmasked reads audited."""
    referrals = uow.get_many(Referral, {h.referral_id for h in hops})
    needs = uow.get_many(Need, {r.need_id for r in referrals.values()})
    households = uow.get_many(Household, {r.household_id for r in referrals.values()})
    villages = uow.get_many(Area, {n.village_code for n in needs.values()})
    bodies = uow.get_many(
        AllianceBody, {h.assignee_id for h in hops if h.assignee_id and h.assignee_label == "AllianceBody"}
    )
    organisations = uow.get_many(
        Organisation, {h.assignee_id for h in hops if h.assignee_id and h.assignee_label == "Organisation"}
    )
    pii: dict[str, frozenset[PiiScope]] = {}
    for hop in hops:
        household = households[referrals[hop.referral_id].household_id]
        access = task_access(uow, policy, hop, household)
        pii[household.id] = pii.get(household.id, frozenset()) | task_pii(uow, policy, household, access)
    names = head_names(uow, list(households.values()), pii)
    # One entry per page, naming every household whose head's name it shows (as search does).
    policy.log_pii_list_read(uow, "queue", [PiiScope.NAME], names)
    items = []
    for hop in hops:
        referral = referrals[hop.referral_id]
        need = needs[referral.need_id]
        assignee = bodies.get(hop.assignee_id or "") or organisations.get(hop.assignee_id or "")
        village = villages.get(need.village_code)
        items.append(
            QueueItem(
                hop_id=hop.id,
                referral_id=referral.id,
                seq=hop.seq,
                status=hop.status,
                status_zh=hop.status.zh,
                need_id=need.id,
                need_type=need.type,
                need_type_zh=need.type.zh,
                urgency=need.urgency,
                household_id=referral.household_id,
                head_name=names.get(referral.household_id),
                village_code=need.village_code,
                village_name=village.name if village else None,
                assignee_id=hop.assignee_id,
                assignee_label=hop.assignee_label,
                assignee_name=assignee.name if assignee else None,
                pool_area_code=hop.pool_area_code,
                due_at=hop.due_at,
                accept_due_at=hop.accept_due_at,
                deadline=deadline(hop),
                overdue=is_overdue(hop, policy.now),
                late_hours=late_hours(hop, policy.now),
                escalation_level=hop.escalation_level,
                escalated_at=hop.escalated_at,
                completed_at=hop.completed_at,
                masked=[] if referral.household_id in names else ["head_name"],
            )
        )
    return items
