"""Facts about one hop that queues, figures and the trace must agree on: open, overdue, how long.

One definition each, so the board, the figures and the chain never disagree (decision 0007).
"""

from __future__ import annotations

from datetime import datetime

from graph.model import AllianceBody, ReferralHop
from graph.model.enums import HopStatus

S = HopStatus
# Tasks waiting on someone. A draft is still the sender's and is not anyone's task yet.
OPEN_HOP_STATUSES = frozenset({S.REQUESTED, S.RECEIVED, S.ACCEPTED, S.READY, S.IN_PROGRESS, S.ON_HOLD})
# Before the work starts the acceptance deadline applies too (a claimed task must start by it).
_ACCEPT_PHASE = frozenset({S.REQUESTED, S.RECEIVED, S.READY, S.ACCEPTED})
PROVIDER_LEVEL = "provider"


def missed_deadline(hop: ReferralHop, now: datetime) -> datetime | None:
    """The earliest deadline an open hop has passed at `now` (None: not overdue, or not open)."""
    if hop.status not in OPEN_HOP_STATUSES:
        return None
    passed = [d for d in (hop.due_at,) if d is not None and d < now]
    if hop.status in _ACCEPT_PHASE and hop.accept_due_at is not None and hop.accept_due_at < now:
        passed.append(hop.accept_due_at)
    return min(passed) if passed else None


def deadline(hop: ReferralHop) -> datetime | None:
    """The deadline an open hop works to: the earlier of due_at and, before the work starts,
    accept_due_at (None: no deadline). Queues are ordered by it; past it, the hop is overdue."""
    dates = [hop.due_at]
    if hop.status in _ACCEPT_PHASE:
        dates.append(hop.accept_due_at)
    known = [d for d in dates if d is not None]
    return min(known) if known else None


def is_overdue(hop: ReferralHop, now: datetime) -> bool:
    """Whether an open hop is past `due_at`, or past `accept_due_at` before it started."""
    return missed_deadline(hop, now) is not None


def late_hours(hop: ReferralHop, now: datetime) -> float | None:
    """How many hours past its first missed deadline an open hop is (None: not overdue)."""
    missed = missed_deadline(hop, now)
    return None if missed is None else round((now - missed).total_seconds() / 3600, 1)


def started_at(hop: ReferralHop) -> datetime:
    """When the hop's clock started: requested_at, or created_at when it never was requested."""
    return hop.requested_at or hop.created_at


def on_time(completed_at: datetime, due_at: datetime | None) -> bool:
    """Whether a hop completed at `completed_at` met its due_at: on or before it (no deadline: on time)."""
    return due_at is None or completed_at <= due_at


def completed_late(hop: ReferralHop, at: datetime, to_status: str) -> bool:
    """Whether a transition of the hop at `at` came after the deadline it answers."""
    if to_status in (S.RECEIVED, S.ACCEPTED) and hop.accept_due_at is not None and at > hop.accept_due_at:
        return True
    return hop.due_at is not None and at > hop.due_at and to_status != S.CANCELLED


def hop_level(hop: ReferralHop, bodies: dict[str, AllianceBody]) -> str:
    """Who a hop is with, as a level: county, township, village, or provider (organisations, pool)."""
    if hop.assignee_label == "AllianceBody" and hop.assignee_id in bodies:
        return bodies[hop.assignee_id].level.value
    return PROVIDER_LEVEL
