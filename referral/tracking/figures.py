"""Referral figures for a period of referral creation, grouped by area, level, provider or need type.

Computed from the status changes of the referrals' hops (decision 0007; CONVENTIONS: completion
figures come from those events): a hop's clock starts at its opening change (none -> requested, or
-> ready when offered to the pool) and stops at its change to completed; rejections, failures and
returns to the pool are counted from their changes. Only whether an open hop is overdue now is read
from the hop itself (its status and deadlines, `referral.tracking.lateness`, as the queues do).
Only households in the caller's areas (or in one area of them) count; the figures are counts, so an
auditor sees them too. Unmet needs are the needs created in the period that are `unmet` (by
`unmet_reason`) or still `open`: "not_dispatched" when no referral was ever made, "returned" when
its referrals came back.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from statistics import fmean
from typing import TypeVar

from graph.errors import NodeNotFound
from graph.model import AllianceBody, Area, Need, Node, Organisation, Referral, ReferralHop, StatusChange
from graph.model.enums import AllianceLevel, HopStatus, NeedStatus, NeedType, ReferralStatus
from graph.model.identity import parent_code, subtree_prefix
from graph.store import Filter, Op, Order, UnitOfWork, batched
from referral.access.policy import Action, Policy
from referral.tracking.lateness import PROVIDER_LEVEL, hop_level, is_overdue, on_time
from referral.tracking.models import FiguresBy, FiguresRow, ReferralFigures

N = TypeVar("N", bound=Node)
PAGE = 5_000
POOL = "pool"
UNSPECIFIED = "unspecified"
NOT_DISPATCHED = "not_dispatched"
RETURNED = "returned"
_AREA_NOT_FOUND = "区域不存在或不在您的范围内 / area not found or outside your scope"
_LEVEL_LABELS = {lvl.value: lvl.zh for lvl in AllianceLevel} | {PROVIDER_LEVEL: "服务机构与部门"}
# Groupings whose key is a property of the need (a need not referred yet still has one).
_NEED_KEYED = frozenset({FiguresBy.AREA, FiguresBy.TOWNSHIP, FiguresBy.VILLAGE, FiguresBy.NEED_TYPE})


@dataclass(frozen=True, slots=True)
class HopTimes:
    """When a hop's clock started and stopped, read from its status changes (None: not yet)."""

    opened_at: datetime | None
    completed_at: datetime | None

    @property
    def hours(self) -> float | None:
        """Hours from opening to completion (None: not completed)."""
        if self.opened_at is None or self.completed_at is None:
            return None
        return (self.completed_at - self.opened_at).total_seconds() / 3600


def hop_times(changes: Iterable[StatusChange]) -> HopTimes:
    """A hop's opening and completion from its status changes (the first change from none, the last
    change to completed)."""
    ordered = sorted(changes, key=lambda c: (c.at, c.id))
    opened = next((c.at for c in ordered if c.from_status is None), None)
    completed = [c.at for c in ordered if c.to_status == HopStatus.COMPLETED]
    return HopTimes(opened, completed[-1] if completed else None)


def villages_of_area(uow: UnitOfWork, policy: Policy, area_code: str | None) -> list[str]:
    """The villages in the caller's scope, or in one area of it (404 for an area outside it)."""
    villages = policy.villages_in_scope(uow)
    if area_code is None:
        return villages
    area = uow.get(Area, area_code)
    if area is None or not policy.covers_area(area.code):
        raise NodeNotFound(_AREA_NOT_FOUND)
    prefix = subtree_prefix(area.code)
    return [v for v in villages if v.startswith(prefix)]


@dataclass
class FigureInputs:
    """What the figures are computed from: the referrals of the period in scope, their hops."""

    referrals: list[Referral]
    needs: dict[str, Need]
    hops: list[ReferralHop]
    changes: list[StatusChange]  # every status change of those hops
    open_or_unmet: list[Need]  # needs of the period still open or unmet
    dispatched: set[str]  # ids of those needs that ever had a referral
    villages: list[str]  # the villages the figures cover


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


def figure_inputs(
    uow: UnitOfWork, policy: Policy, date_from: datetime, date_to: datetime, area_code: str | None = None
) -> FigureInputs:
    """The referrals, needs, hops and status changes of the period within the caller's areas (or one)."""
    villages = villages_of_area(uow, policy, area_code)
    referrals: list[Referral] = []
    needs: dict[str, Need] = {}
    for referral, need in _referrals_in_period(uow, set(villages), date_from, date_to):
        referrals.append(referral)
        needs[need.id] = need
    hops = _find_in(uow, ReferralHop, "referral_id", [r.id for r in referrals])
    changes = _find_in(uow, StatusChange, "subject_id", [h.id for h in hops])
    waiting: list[Need] = []
    for chunk in batched(villages, PAGE):
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
    return FigureInputs(referrals, needs, hops, changes, waiting, dispatched, villages)


@dataclass
class _Tally:
    referrals: set[str] = field(default_factory=set)
    cancelled: set[str] = field(default_factory=set)
    completed: set[str] = field(default_factory=set)
    hops: int = 0
    on_time: int = 0
    closed_late: int = 0
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

    def add_hop(self, hop: ReferralHop, times: HopTimes, now: datetime) -> None:
        self.hops += 1
        hours = times.hours
        if hours is not None and times.completed_at is not None:
            self.hours.append(hours)
            if on_time(times.completed_at, hop.due_at):
                self.on_time += 1
            else:
                self.closed_late += 1
        self.overdue += is_overdue(hop, now)

    def add_change(self, change: StatusChange) -> None:
        """Count a rejection, a failure or a return to the pool (other changes count elsewhere)."""
        reason = change.reason_code.value if change.reason_code else UNSPECIFIED
        if change.to_status == HopStatus.REJECTED:
            self.rejected[reason] += 1
        elif change.to_status == HopStatus.FAILED:
            self.failed[reason] += 1
        elif change.to_status == HopStatus.READY and change.from_status == HopStatus.ACCEPTED:
            self.returned[reason] += 1  # a claimed task back to the pool

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
            hops_closed_late=self.closed_late,
            on_time_rate=round(self.on_time / done, 4) if done else None,
            mean_hours=round(fmean(self.hours), 2) if self.hours else None,
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
    uow: UnitOfWork,
    policy: Policy,
    date_from: datetime,
    date_to: datetime,
    by: FiguresBy,
    area_code: str | None = None,
) -> ReferralFigures:
    """Completion, timeliness, overdue, returns and unmet needs of referrals created in [from, to),
    in the caller's areas or in `area_code` (an area within them; 404 otherwise)."""
    return referral_figures_by(uow, policy, date_from, date_to, [by], area_code)[0]


def referral_figures_by(
    uow: UnitOfWork,
    policy: Policy,
    date_from: datetime,
    date_to: datetime,
    groupings: Iterable[FiguresBy],
    area_code: str | None = None,
) -> list[ReferralFigures]:
    """The same figures in several groupings, from one read of the store (the export's sheets)."""
    policy.require(Action.READ_FIGURES)
    inputs = figure_inputs(uow, policy, date_from, date_to, area_code)
    return [_grouped(uow, policy, inputs, by, date_from, date_to, area_code) for by in groupings]


def _grouped(
    uow: UnitOfWork,
    policy: Policy,
    inputs: FigureInputs,
    by: FiguresBy,
    date_from: datetime,
    date_to: datetime,
    area_code: str | None,
) -> ReferralFigures:
    now = policy.now
    by_township = len({parent_code(v) for v in inputs.villages}) > 1

    def need_key(need: Need) -> str:
        if by is FiguresBy.NEED_TYPE:
            return need.type.value
        township = parent_code(need.village_code) or need.village_code
        if by is FiguresBy.TOWNSHIP or (by is FiguresBy.AREA and by_township):
            return township
        return need.village_code

    bodies = uow.get_many(AllianceBody, {h.assignee_id for h in inputs.hops if h.assignee_id})
    referrals = {r.id: r for r in inputs.referrals}

    def group_of_hop(hop: ReferralHop) -> str:
        if by in _NEED_KEYED:
            return need_key(inputs.needs[referrals[hop.referral_id].need_id])
        if by is FiguresBy.LEVEL:
            return hop_level(hop, bodies)
        return hop.assignee_id or POOL

    changes: defaultdict[str, list[StatusChange]] = defaultdict(list)
    for change in inputs.changes:
        changes[change.subject_id].append(change)
    total = _Tally()
    groups: dict[str, _Tally] = {}
    for referral in inputs.referrals:
        total.add_referral(referral)
        if by in _NEED_KEYED:
            groups.setdefault(need_key(inputs.needs[referral.need_id]), _Tally()).add_referral(referral)
    for hop in inputs.hops:
        tally = groups.setdefault(group_of_hop(hop), _Tally())
        times = hop_times(changes[hop.id])
        tally.add_hop(hop, times, now)
        total.add_hop(hop, times, now)
        if by not in _NEED_KEYED:
            tally.add_referral(referrals[hop.referral_id])
        for change in changes[hop.id]:
            total.add_change(change)
            tally.add_change(change)
    for need in inputs.open_or_unmet:
        if need.status is NeedStatus.UNMET:
            reason = need.unmet_reason or UNSPECIFIED
        else:
            reason = RETURNED if need.id in inputs.dispatched else NOT_DISPATCHED
        total.unmet[reason] += 1
        if by in _NEED_KEYED:  # a need has no level or provider yet
            groups.setdefault(need_key(need), _Tally()).unmet[reason] += 1
    labels = _labels(uow, by, set(groups), bodies)
    rows = [groups[key].row(key, labels.get(key, key)) for key in sorted(groups)]
    return ReferralFigures(
        by=by,
        area_code=area_code,
        date_from=date_from,
        date_to=date_to,
        now=now,
        total=total.row("total", "合计 / total"),
        rows=rows,
    )


def _labels(
    uow: UnitOfWork, by: FiguresBy, keys: set[str], bodies: dict[str, AllianceBody]
) -> dict[str, str]:
    if by is FiguresBy.NEED_TYPE:
        return {t.value: t.zh for t in NeedType}
    if by in _NEED_KEYED:
        return {code: area.name for code, area in uow.get_many(Area, keys).items()}
    if by is FiguresBy.LEVEL:
        return _LEVEL_LABELS
    organisations = uow.get_many(Organisation, keys)
    return (
        {POOL: "任务池 / open pool"}
        | {k: b.name for k, b in bodies.items()}
        | {k: o.name for k, o in organisations.items()}
    )
