"""Routes of the referral workflow: tracking 跟踪 (decision 0007). Every route goes through the policy.

Queues, referral figures and the assistance chain. Queues and traces may show a household's private
data unmasked, which is audited, so they run in a write transaction (decision 0006).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BeforeValidator

from api.deps import CurrentPolicy, Services, get_policy
from api.problems import responses
from referral.tracking import export, figures, queues, trace, village_map
from referral.tracking.export import ExportFormat
from referral.tracking.models import FiguresBy, QueueKind, QueuePage, ReferralFigures, Trace, VillageMap

router = APIRouter(
    prefix="/api/v1",
    tags=["tracking 跟踪"],
    dependencies=[Depends(get_policy)],
    responses=responses(401, 403, 422, 503),
)

ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
NOT_FOUND = responses(404)
DEFAULT_PERIOD = timedelta(days=365)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _iso_day(value: Any) -> Any:
    """Only `YYYY-MM-DD`: pydantic's lax date parsing would also take a number as a Unix time."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@router.get(
    "/queues/{kind}", summary="任务队列 / my task queue: mine, area, due today, overdue, escalated, done"
)
def task_queue(
    kind: QueueKind,
    policy: CurrentPolicy,
    svc: Services,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> QueuePage:
    """Open tasks soonest deadline first (`deadline`: accept_due_at before the work starts when earlier,
    else due_at); `due_today`: not overdue and due before the end of the Asia/Shanghai day
    (`day_ends_at`); `done`: completed in the last 7 days, newest first."""
    return svc.store.run(lambda uow: queues.queue(uow, policy, kind, limit=limit, offset=offset))


AreaCode = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{12}$", description="an area within my scope (county, township or village code)"),
]
DateFrom = Annotated[Day | None, Query(alias="from", description="first day of referral creation (UTC)")]
DateTo = Annotated[Day | None, Query(alias="to", description="day after the last one (UTC)")]


def _period(policy: CurrentPolicy, date_from: date | None, date_to: date | None) -> tuple[datetime, datetime]:
    """[from, to) as UTC midnights; by default the year up to and including today."""
    end = _midnight(date_to) if date_to else _midnight(policy.now.date()) + timedelta(days=1)
    start = _midnight(date_from) if date_from else end - DEFAULT_PERIOD
    return start, end


@router.get(
    "/figures/referrals",
    responses=NOT_FOUND,
    summary="转介绩效 / referral completion and timeliness figures by area, township, provider or need type",
)
def referral_figures(
    policy: CurrentPolicy,
    svc: Services,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    by: FiguresBy = FiguresBy.AREA,
    area: AreaCode = None,
) -> ReferralFigures:
    """Referrals created in [from, to) (default: the year up to today), grouped by `by`.

    Computed from the hops' status changes. `area` narrows to one area of my scope (404 outside it).
    `to` on or before `from` is an empty period: every count is zero.
    """
    start, end = _period(policy, date_from, date_to)
    return svc.store.run(lambda uow: figures.referral_figures(uow, policy, start, end, by, area), write=False)


EXPORT_GROUPINGS = (FiguresBy.TOWNSHIP, FiguresBy.PROVIDER, FiguresBy.NEED_TYPE)
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "CSV (UTF-8 with BOM, bilingual header) or XLSX (a sheet per grouping)",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}} for media in export.MEDIA_TYPES.values()
        },
    },
    **NOT_FOUND,
}


@router.get(
    "/figures/referrals/export",
    response_class=Response,
    responses=EXPORT_RESPONSES,
    summary="导出转介绩效 / export referral figures as CSV or XLSX",
)
def export_referral_figures(
    policy: CurrentPolicy,
    svc: Services,
    fmt: Annotated[ExportFormat, Query(alias="format", description="csv or xlsx")] = ExportFormat.XLSX,
    by: Annotated[
        list[FiguresBy] | None,
        Query(max_length=6, description="groupings, repeatable (default: township, provider, need_type)"),
    ] = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    area: AreaCode = None,
) -> Response:
    """The figures of `GET /figures/referrals` for each grouping: an XLSX sheet each (Chinese header
    row, English header row, the groups, the total row), or one CSV table with a grouping column."""
    start, end = _period(policy, date_from, date_to)
    groupings = list(dict.fromkeys(by or EXPORT_GROUPINGS))
    sheets = svc.store.run(
        lambda uow: figures.referral_figures_by(uow, policy, start, end, groupings, area), write=False
    )
    last_day = end - timedelta(days=1)
    name = (
        f"zhulian-referral-figures-{start:%Y%m%d}-{last_day:%Y%m%d}{'-' + area if area else ''}.{fmt.value}"
    )
    return Response(
        content=export.export(sheets, fmt),
        media_type=export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/figures/villages",
    responses=NOT_FOUND,
    summary="村社地图 / my villages on a map: place, households by risk level, open and referred needs",
)
def villages_on_map(policy: CurrentPolicy, svc: Services, area: AreaCode = None) -> VillageMap:
    """Counts only. A village's households: `GET /households?village=CODE` (area staff, within scope)."""
    return svc.store.run(lambda uow: village_map.village_map(uow, policy, area), write=False)


@router.get(
    "/households/{household_id}/trace", responses=NOT_FOUND, summary="帮扶链 / a household's assistance chain"
)
def household_trace(household_id: ObjectId, policy: CurrentPolicy, svc: Services) -> Trace:
    """Needs, matches, referrals, hops, status changes, deliveries and outcomes: timeline and graph."""
    return svc.store.run(lambda uow: trace.household_trace(uow, policy, household_id))


@router.get("/needs/{need_id}/trace", responses=NOT_FOUND, summary="需求链 / one need's assistance chain")
def need_trace(need_id: ObjectId, policy: CurrentPolicy, svc: Services) -> Trace:
    return svc.store.run(lambda uow: trace.need_trace(uow, policy, need_id))
