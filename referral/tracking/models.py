"""What tracking reads out: task queues, referral figures and a household's assistance chain.

Views carry household ids and area names, never a person's name unless the caller may see it
unmasked (then `head_name` is set, else it is null and named in `masked`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from graph.model.enums import AllianceLevel, HopReason, HopStatus, NeedType, Urgency


class View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueueKind(enum.StrEnum):
    """Which task list: mine (assigned to me), area, due today (by the end of the local day, not yet
    overdue), overdue, escalated to my level, done (7 days)."""

    MINE = "mine"
    AREA = "area"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    ESCALATED = "escalated"
    DONE = "done"


class FiguresBy(enum.StrEnum):
    """How referral figures are grouped: area (townships for a caller with several, else villages),
    township, village, level (who a hop is with), provider (the hop's assignee: an organisation, an
    alliance body, or the pool) or need type."""

    AREA = "area"
    TOWNSHIP = "township"
    VILLAGE = "village"
    LEVEL = "level"
    PROVIDER = "provider"
    NEED_TYPE = "need_type"


class QueueItem(View):
    """One task (hop) in a queue."""

    hop_id: str
    referral_id: str
    seq: int
    status: HopStatus
    status_zh: str
    need_id: str
    need_type: NeedType
    need_type_zh: str
    urgency: Urgency
    household_id: str
    head_name: str | None = None
    village_code: str
    village_name: str | None = None
    assignee_id: str | None = None
    assignee_label: str | None = None
    assignee_name: str | None = None
    pool_area_code: str | None = None
    due_at: datetime | None = None
    accept_due_at: datetime | None = None
    deadline: datetime | None = Field(
        default=None, description="the deadline the task works to: due_at, or accept_due_at before it starts"
    )
    overdue: bool
    late_hours: float | None = None
    escalation_level: AllianceLevel | None = None
    escalated_at: datetime | None = None
    completed_at: datetime | None = None
    masked: list[str]


class QueuePage(View):
    """One page of a queue. Open tasks come soonest deadline first (`deadline`), done ones newest
    first; `day_ends_at` is the end of the local (Asia/Shanghai) day that `due_today` runs to."""

    kind: QueueKind
    total: int
    limit: int
    offset: int
    now: datetime
    day_ends_at: datetime
    items: list[QueueItem]


class FiguresRow(View):
    """Referral figures of one group (or of everything, the total row).

    completion_rate = completed / (referrals - cancelled); on_time_rate = hops_on_time / hops_completed,
    where a hop is on time when its change to completed is at or before its due_at (no deadline: on
    time) and closed late otherwise (hops_closed_late); hours run from a hop's opening status change
    (to requested, or to ready when offered to the pool) to its change to completed (mean, median and
    90th percentile over the completed hops). `overdue` counts the hops still open and past a deadline
    now. Rates are fractions (0.5 = 50 %) to 4 decimals, hours to 2; None when there is nothing to divide.
    """

    key: str
    label: str
    referrals: int = 0
    cancelled: int = 0
    completed: int = 0
    completion_rate: float | None = None
    hops: int = 0
    hops_completed: int = 0
    hops_on_time: int = 0
    hops_closed_late: int = 0
    on_time_rate: float | None = None
    mean_hours: float | None = None
    median_hours: float | None = None
    p90_hours: float | None = None
    overdue: int = 0
    rejected: dict[str, int]
    failed: dict[str, int]
    returned: dict[str, int]
    unmet: dict[str, int]


class ReferralFigures(View):
    """Figures of the referrals created in [date_from, date_to) in the caller's areas, or in area_code."""

    by: FiguresBy
    area_code: str | None = None
    date_from: datetime
    date_to: datetime
    now: datetime
    total: FiguresRow
    rows: list[FiguresRow]


EventKind = Literal[
    "need_reported",
    "need_report",
    "need_status",
    "referral_created",
    "referral_status",
    "referral_reopened",
    "hop_status",
    "hop_escalated",
    "delivery",
    "verification",
    "outcome",
]


class TraceEvent(View):
    """One step of the chain, in time order."""

    kind: EventKind
    at: datetime
    actor: str | None = None
    subject_label: str
    subject_id: str
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    reason_code: HopReason | None = None
    summary_zh: str
    summary_en: str
    late: bool = False


class TraceNode(View):
    """A node of the chain's graph; `id` is `Label:key`."""

    id: str
    label: str
    kind: str | None = None
    title: str
    status: str | None = None
    status_zh: str | None = None
    seq: int | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    due_at: datetime | None = None
    accept_due_at: datetime | None = None
    overdue: bool = False
    late_hours: float | None = None
    escalation_level: AllianceLevel | None = None


class TraceEdge(View):
    """A relationship of the chain's graph; type HOP joins a hop's sender to its assignee."""

    source: str
    target: str
    type: str
    hop_id: str | None = None
    status: str | None = None
    at: datetime | None = None
    overdue: bool = False


class TraceGraph(View):
    nodes: list[TraceNode]
    edges: list[TraceEdge]


class Trace(View):
    """One household's assistance chain (一户一条帮扶链), or one need's part of it."""

    household_id: str
    need_id: str | None = None
    access: Literal["area", "assignment"]
    head_name: str | None = None
    village_code: str
    village_name: str | None = None
    township_code: str
    township_name: str | None = None
    now: datetime
    timeline: list[TraceEvent]
    graph: TraceGraph
    masked: list[str]


class VillageOnMap(View):
    """One village of the map: where it is and counts to colour it by (no household, no person).

    Risk levels grade a household's anti-risk capacity: 1 is the weakest (the highest risk), 3 the
    strongest; `highest_risk` is the lowest level any of its households has (None: none graded).
    """

    code: str
    name: str
    township_code: str
    township_name: str | None = None
    lat: float | None = None
    lon: float | None = None
    households: int
    by_risk_level: dict[str, int]
    highest_risk: int | None = None
    open_needs: int  # waiting for dispatch
    referred_needs: int  # in a referral, not yet met
    urgent_needs: int  # of those two, urgent


class VillageMap(View):
    """The villages in the caller's areas (or one area of them), for the map page."""

    area_code: str | None = None
    now: datetime
    households: int
    open_needs: int
    referred_needs: int
    villages: list[VillageOnMap]
