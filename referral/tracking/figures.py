"""Referral figures for a period of referral creation, grouped by area, level, provider or need type.

Computed from the referrals, hops and status changes themselves (decision 0007), with the same
hop facts as the queues and the trace (`referral.tracking.lateness`), so the three always agree.
Only households in the caller's areas count; the figures are counts, so an auditor sees them too.
Unmet needs are the needs created in the period that are `unmet` (by `unmet_reason`) or still
`open`: "not_dispatched" when no referral was ever made, "returned" when its referrals came back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from graph.model import AllianceBody, Area, Need, Node, Organisation, Referral, ReferralHop, StatusChange
from graph.model.enums import AllianceLevel, HopStatus, NeedStatus, NeedType, ReferralStatus
from graph.model.identity import parent_code
from graph.store import Filter, Op, Order, UnitOfWork, batched
from referral.access.policy import Action, Policy
from referral.tracking.lateness import (
    PROVIDER_LEVEL,
    completed_on_time,
    hop_level,
    hours_taken,
    is_overdue,
)
from referral.tracking.models import FiguresBy, FiguresRow, ReferralFigures

N = TypeVar("N", bound=Node)
PAGE = 5_000
POOL = "pool"
UNSPECIFIED = "unspecified"
NOT_DISPATCHED = "not_dispatched"
RETURNED = "returned"
_LEVEL_LABELS = {lvl.value: lvl.zh for lvl in AllianceLevel} | {PROVIDER_LEVEL: "服务机构与部门"}
# Status changes that count as a case coming back: (to, from or None for any).
_BACK = {HopStatus.REJECTED.value, HopStatus.FAILED.value, HopStatus.READY.value}


@dataclass
class FigureInputs:
    """What the figures are computed from: the referrals of the period in scope, their hops."""

    referrals: list[Referral]
    needs: dict[str, Need]
    hops: list[ReferralHop]
    changes: list[StatusChange]  # rejections, failures and returns of those hops
    open_or_unmet: list[Need]  # needs of the period still open or unmet
    dispatched: set[str]  # ids of those needs that ever had a referral


def _referrals_in_period(
    uow: UnitOfWork, villages: set[str], date_from: datetime, date_to: datetime
) -> Iterator[tuple[Referral, Need]]:
    """Referrals created in [from, to) of households in these villages, with their needs, page by page."""
    period = [Filter("created_at", Op.GE, date_from), Filter("created_at", Op.LT, date_to)]
    offset = 0
    while True:
        page = uow.find(Referral, period, order_by=[Order("created_at")], limit=PAGE, offset=offset)
        needs = uow.get_many(Need, {r.need_id for r in page})
        for referral in page:
            need = needs.get(referral.need_id)
            if need is not None and need.village_code in villages:
                yield referral, need
        if len(page) < PAGE:
            return
        offset += PAGE


def _find_in(uow: UnitOfWork, cls: type[N], name: str, keys: Iterable[str], *extra: Filter) -> list[N]:
    """Nodes whose property `name` is one of `keys`, queried a chunk of keys at a time."""
    found: list[N] = []
    for chunk in batched(keys, PAGE):
        found.extend(uow.find(cls, [Filter(name, Op.IN, chunk), *extra]))
    return found


def figure_inputs(uow: UnitOfWork, policy: Policy, date_from: datetime, date_to: datetime) -> FigureInputs:
    """The referrals, needs, hops and status changes of the period within the caller's areas."""
    villages = set(policy.villages_in_scope(uow))
    referrals: list[Referral] = []
    needs: dict[str, Need] = {}
    for referral, need in _referrals_in_period(uow, villages, date_from, date_to):
        referrals.append(referral)
        needs[need.id] = need
    hops = _find_in(uow, ReferralHop, "referral_id", [r.id for r in referrals])
    changes = _find_in(
        uow, StatusChange, "subject_id", [h.id for h in hops], Filter("to_status", Op.IN, sorted(_BACK))
    )
    waiting: list[Need] = []
    for chunk in batched(sorted(villages), PAGE):
        waiting += uow.find(
            Need,
            [
                Filter("village_code", Op.IN, chunk),
                Filter("created_at", Op.GE, date_from),
                Filter("created_at", Op.LT, date_to),
                Filter("status", Op.IN, [NeedStatus.OPEN, NeedStatus.UNMET]),
            ],
        )
    opened = [n.id for n in waiting if n.status is NeedStatus.OPEN]
    dispatched = {r.need_id for r in _find_in(uow, Referral, "need_id", opened)}
    return FigureInputs(referrals, needs, hops, changes, waiting, dispatched)


@dataclass
class _Tally:
    referrals: set[str] = field(default_factory=set)
    cancelled: set[str] = field(default_factory=set)
    completed: set[str] = field(default_factory=set)
    hops: int = 0
    on_time: int = 0
    hours: list[float] = field(default_factory=list)
    overdue: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    returned: Counter[str] = field(default_factory=Counter)
    unmet: Counter[str] = field(default_factory=Counter)

    def add_referral(self, referral: Referral) -> None:
        self.referrals.add(referral.id)
        if referral.status is ReferralStatus.CANCELLED:
            self.cancelled.add(referral.id)
        if referral.status is ReferralStatus.COMPLETED:
            self.completed.add(referral.id)

    def add_hop(self, hop: ReferralHop, now: datetime) -> None:
        self.hops += 1
        hours = hours_taken(hop)
        if hours is not None:
            self.hours.append(hours)
            self.on_time += completed_on_time(hop)
        self.overdue += is_overdue(hop, now)

    def add_change(self, change: StatusChange) -> None:
        reason = change.reason_code.value if change.reason_code else UNSPECIFIED
        if change.to_status == HopStatus.REJECTED:
            self.rejected[reason] += 1
        elif change.to_status == HopStatus.FAILED:
            self.failed[reason] += 1
        elif change.from_status == HopStatus.ACCEPTED:  # accepted -> ready: back to the pool
            self.returned[reason] += 1

    def row(self, key: str, label: str) -> FiguresRow:
        live = len(self.referrals) - len(self.cancelled)
        done = len(self.hours)
        return FiguresRow(
            key=key,
            label=label,
            referrals=len(self.referrals),
            cancelled=len(self.cancelled),
            completed=len(self.completed),
            completion_rate=round(len(self.completed) / live, 4) if live else None,
            hops=self.hops,
            hops_completed=done,
            hops_on_time=self.on_time,
            on_time_rate=round(self.on_time / done, 4) if done else None,
            median_hours=quantile(self.hours, 0.5),
            p90_hours=quantile(self.hours, 0.9),
            overdue=self.overdue,
            rejected=dict(sorted(self.rejected.items())),
            failed=dict(sorted(self.failed.items())),
            returned=dict(sorted(self.returned.items())),
            unmet=dict(sorted(self.unmet.items())),
        )


def quantile(values: list[float], q: float) -> float | None:
    """The q-quantile by linear interpolation between order statistics, in hours to 2 decimals."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 2)


def referral_figures(
    uow: UnitOfWork, policy: Policy, date_from: datetime, date_to: datetime, by: FiguresBy
) -> ReferralFigures:
    """Completion, timeliness, overdue, returns and unmet needs of referrals created in [from, to)."""
    policy.require(Action.READ_FIGURES)
    inputs = figure_inputs(uow, policy, date_from, date_to)
    now = policy.now
    by_township = len({parent_code(v) for v in policy.villages_in_scope(uow)}) > 1

    def area_key(need: Need) -> str:
        return (parent_code(need.village_code) or need.village_code) if by_township else need.village_code

    bodies = uow.get_many(AllianceBody, {h.assignee_id for h in inputs.hops if h.assignee_id})
    referrals = {r.id: r for r in inputs.referrals}

    def group_of_hop(hop: ReferralHop) -> str:
        need = inputs.needs[referrals[hop.referral_id].need_id]
        if by is FiguresBy.AREA:
            return area_key(need)
        if by is FiguresBy.NEED_TYPE:
            return need.type.value
        if by is FiguresBy.LEVEL:
            return hop_level(hop, bodies)
        return hop.assignee_id or POOL

    total = _Tally()
    groups: dict[str, _Tally] = {}
    for referral in inputs.referrals:
        total.add_referral(referral)
        if by in (FiguresBy.AREA, FiguresBy.NEED_TYPE):
            need = inputs.needs[referral.need_id]
            key = area_key(need) if by is FiguresBy.AREA else need.type.value
            groups.setdefault(key, _Tally()).add_referral(referral)
    hop_groups: dict[str, str] = {}
    for hop in inputs.hops:
        key = hop_groups[hop.id] = group_of_hop(hop)
        tally = groups.setdefault(key, _Tally())
        tally.add_hop(hop, now)
        total.add_hop(hop, now)
        if by in (FiguresBy.LEVEL, FiguresBy.PROVIDER):
            tally.add_referral(referrals[hop.referral_id])
    for change in inputs.changes:
        total.add_change(change)
        groups[hop_groups[change.subject_id]].add_change(change)
    for need in inputs.open_or_unmet:
        if need.status is NeedStatus.UNMET:
            reason = need.unmet_reason or UNSPECIFIED
        else:
            reason = RETURNED if need.id in inputs.dispatched else NOT_DISPATCHED
        total.unmet[reason] += 1
        if by in (FiguresBy.AREA, FiguresBy.NEED_TYPE):  # a need has no level or provider yet
            key = area_key(need) if by is FiguresBy.AREA else need.type.value
            groups.setdefault(key, _Tally()).unmet[reason] += 1
    labels = _labels(uow, by, set(groups), bodies)
    rows = [groups[key].row(key, labels.get(key, key)) for key in sorted(groups)]
    return ReferralFigures(
        by=by,
        date_from=date_from,
        date_to=date_to,
        now=now,
        total=total.row("total", "合计 / total"),
        rows=rows,
    )


def _labels(
    uow: UnitOfWork, by: FiguresBy, keys: set[str], bodies: dict[str, AllianceBody]
) -> dict[str, str]:
    if by is FiguresBy.AREA:
        return {code: area.name for code, area in uow.get_many(Area, keys).items()}
    if by is FiguresBy.NEED_TYPE:
        return {t.value: t.zh for t in NeedType}
    if by is FiguresBy.LEVEL:
        return _LEVEL_LABELS
    organisations = uow.get_many(Organisation, keys)
    return (
        {POOL: "任务池 / open pool"}
        | {k: b.name for k, b in bodies.items()}
        | {k: o.name for k, o in organisations.items()}
    )
