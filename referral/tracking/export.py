"""Referral figures as files: CSV (UTF-8 with a BOM, so Excel reads the Chinese) and XLSX (a sheet per
grouping, a Chinese header row over an English one, numbers stored as numbers).

Only the figures' own values go out: counts, rates and hours per group. The reason breakdowns
(rejected, failed, returned, unmet by reason) are summed to one count each; the JSON has the detail.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook

from referral.tracking.models import FiguresBy, FiguresRow, ReferralFigures


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
GROUPING_LABELS = {
    FiguresBy.AREA: ("区域", "area"),
    FiguresBy.TOWNSHIP: ("镇街", "township"),
    FiguresBy.VILLAGE: ("村社", "village"),
    FiguresBy.LEVEL: ("层级", "level"),
    FiguresBy.PROVIDER: ("承办方", "provider"),
    FiguresBy.NEED_TYPE: ("需求类型", "need type"),
}
Value = str | int | float | None


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the export: its headers and how a row's value is read."""

    zh: str
    en: str
    value: Callable[[FiguresRow], Value]
    number_format: str | None = None  # XLSX only


def _field(name: str) -> Callable[[FiguresRow], Value]:
    def read(row: FiguresRow) -> Value:
        value: Value = getattr(row, name)
        return value

    return read


def _summed(name: str) -> Callable[[FiguresRow], Value]:
    def read(row: FiguresRow) -> Value:
        counts: dict[str, int] = getattr(row, name)
        return sum(counts.values())

    return read


RATE, HOURS = "0.00%", "0.00"
COLUMNS: tuple[Column, ...] = (
    Column("编码", "key", _field("key")),
    Column("名称", "name", _field("label")),
    Column("转介数", "referrals", _field("referrals")),
    Column("已取消", "cancelled", _field("cancelled")),
    Column("已办结", "completed", _field("completed")),
    Column("办结率", "completion rate", _field("completion_rate"), RATE),
    Column("环节数", "hops", _field("hops")),
    Column("已完成环节", "hops completed", _field("hops_completed")),
    Column("按时完成环节", "hops on time", _field("hops_on_time")),
    Column("超时完成环节", "hops closed late", _field("hops_closed_late")),
    Column("按时率", "on-time rate", _field("on_time_rate"), RATE),
    Column("平均每环用时(小时)", "mean hours per hop", _field("mean_hours"), HOURS),
    Column("每环用时中位数(小时)", "median hours per hop", _field("median_hours"), HOURS),
    Column("每环用时90分位(小时)", "90th percentile hours", _field("p90_hours"), HOURS),
    Column("在办超时环节", "open hops overdue", _field("overdue")),
    Column("退回", "rejected", _summed("rejected")),
    Column("办理失败", "failed", _summed("failed")),
    Column("交回任务池", "returned to the pool", _summed("returned")),
    Column("未满足需求", "unmet needs", _summed("unmet")),
)
GROUPING = ("分组", "grouping")


def _rows(figures: ReferralFigures) -> list[FiguresRow]:
    return [*figures.rows, figures.total]


def to_csv(sheets: Sequence[ReferralFigures]) -> bytes:
    """One table: a grouping column, then the columns; each grouping's rows end with its total row.

    The header is bilingual in one row ("转介数 referrals") so that tools reading CSV see one header.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"{zh} {en}" for zh, en in (GROUPING, *((c.zh, c.en) for c in COLUMNS))])
    for figures in sheets:
        for row in _rows(figures):
            writer.writerow([figures.by.value, *("" if (v := c.value(row)) is None else v for c in COLUMNS)])
    return out.getvalue().encode("utf-8-sig")


def sheet_title(by: FiguresBy) -> str:
    zh, en = GROUPING_LABELS[by]
    return f"按{zh} by {en}"


def to_xlsx(sheets: Sequence[ReferralFigures]) -> bytes:
    """A workbook: one sheet per grouping (Chinese headers, English headers, rows, the total row)
    and an "about" sheet with the period, the area and when the figures were computed."""
    book = Workbook()
    about = book.active
    assert about is not None  # a new workbook has one sheet
    about.title = "说明 about"
    if sheets:
        first = sheets[0]
        about.append(["转介绩效 referral figures"])
        about.append(["起始日 from (UTC)", first.date_from.date().isoformat()])
        about.append(["截止日(不含) to, exclusive (UTC)", first.date_to.date().isoformat()])
        about.append(["区域 area", first.area_code or "全部范围 my whole scope"])
        about.append(["计算时间 computed at (UTC)", first.now.isoformat()])
    for figures in sheets:
        sheet = book.create_sheet(sheet_title(figures.by))
        sheet.append([c.zh for c in COLUMNS])
        sheet.append([c.en for c in COLUMNS])
        for row in _rows(figures):
            sheet.append([c.value(row) for c in COLUMNS])
        for index, column in enumerate(COLUMNS, start=1):
            if column.number_format is None:
                continue
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = column.number_format
        sheet.freeze_panes = "C3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(sheets: Sequence[ReferralFigures], fmt: ExportFormat) -> bytes:
    """The figures as a file of this format."""
    return to_csv(sheets) if fmt is ExportFormat.CSV else to_xlsx(sheets)
