"""Figures and the village map in Chromium: charts with their tables, exports that parse, the map of
the seed's villages with a click listing households; a provider is told it has no access (no call
refused); no console error, no serious accessibility violation, screenshots at laptop and phone width."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.web.conftest import PHONE, Site, Watched

pytestmark = pytest.mark.slow

OpenPage = Callable[..., Watched]


def no_serious_violations(page: Watched) -> None:
    violations = page.axe_serious()
    assert not violations, [(v["id"], v["impact"], v["help"], len(v["nodes"])) for v in violations]


def test_figures_charts_tables_and_exports(open_page: OpenPage, site: Site, tmp_path: Path) -> None:
    page = open_page()
    page.sign_in("coordinator", then="/figures")
    for chart in ("chart-rates", "chart-hours", "chart-overdue"):
        assert page.page.locator(f"#{chart} canvas").count() >= 1, chart
        assert "数值见下方数据表" in (page.page.locator(f"#{chart}").get_attribute("aria-label") or "")
    table = page.page.locator("#figures-data")
    assert "龙南镇" in table.locator("tbody").inner_text()
    assert re.search(r"\d+\.\d%", table.inner_text())
    assert "合计" in table.locator("tfoot").inner_text()
    no_serious_violations(page)
    page.screenshot("figures")

    # Another grouping redraws the charts and the table.
    page.page.get_by_label("需求类型").check()
    page.page.locator("#figures-data caption", has_text="按需求类型").wait_for()
    page.ready()
    assert "医疗" in table.locator("tbody").inner_text()

    # A period ending before it starts is refused beside the field, without a call.
    page.page.get_by_label("起始日期").fill("2026-10-01")
    page.page.get_by_label("截止日期（含）").fill("2026-09-01")
    page.page.get_by_role("button", name="查看").click()
    assert page.page.locator("#period-to-error").inner_text() == "截止日期不能早于起始日期"
    page.page.get_by_label("截止日期（含）").fill("")
    page.page.get_by_label("起始日期").fill("")

    with page.page.expect_download() as csv_download:
        page.page.get_by_role("button", name="导出 CSV").click()
    saved = tmp_path / csv_download.value.suggested_filename
    csv_download.value.save_as(saved)
    assert saved.suffix == ".csv"
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert len(rows) > 5 and any("龙南镇" in cell for row in rows for cell in row)

    from openpyxl import load_workbook

    with page.page.expect_download() as xlsx_download:
        page.page.get_by_role("button", name="导出 Excel（XLSX）").click()
    saved = tmp_path / xlsx_download.value.suggested_filename
    xlsx_download.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    book = load_workbook(saved, read_only=True)
    assert len(book.sheetnames) >= 3
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
    assert "龙南镇" in cells
    page.page.get_by_text(re.compile(r"已下载 zhulian-referral-figures-.*\.xlsx")).wait_for()


def test_figures_in_english_on_a_phone(open_page: OpenPage) -> None:
    page = open_page(viewport=PHONE)
    page.sign_in("township", then="/figures")
    page.page.get_by_role("button", name="English").click()
    page.ready()
    assert page.page.get_by_role("heading", name="Figures", exact=True).count() == 1
    assert "Completion rate" in page.page.locator("#figures-data thead").inner_text()
    no_serious_violations(page)
