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
from tests.web.test_dispatch_board import no_serious_violations, shot

pytestmark = pytest.mark.slow

OpenPage = Callable[..., Watched]


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
    shot(page, "figures")

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


def test_map_villages_with_real_names_and_a_click_lists_households(open_page: OpenPage, site: Site) -> None:
    page = open_page()
    page.sign_in("coordinator", then="/map")
    table = page.page.locator("#villages tbody")
    assert table.locator("tr").count() > 50
    assert "中山社区居委会" in table.inner_text() and "360783100001" in table.inner_text()
    circles = page.page.locator("#map path.leaflet-interactive")
    assert circles.count() > 50
    assert page.page.locator("#map-legend li").count() == 4
    no_serious_violations(page)
    shot(page, "map")

    # A click on the scenario's village lists its households, linking to their pages.
    village = site.world.scenario.village
    page.page.locator(f"#map path[data-village='{village}']").click()
    page.page.locator("#household-list li a").first.wait_for()
    page.ready()
    assert page.page.locator("#village-households-title").inner_text().endswith("的家庭")
    href = page.page.locator("#household-list li a").first.get_attribute("href")
    assert href and href.startswith("/households/")

    # Colour by risk: the legend says what each size and colour means.
    page.page.get_by_label("家庭风险等级").check()
    assert "1 级" in page.page.locator("#map-legend").inner_text()
    # The keyboard alternative: the table's button lists the households too.
    page.page.locator("#villages tbody tr").first.get_by_role("button").focus()
    page.page.keyboard.press("Enter")
    page.page.locator("#village-households-list p.hint").first.wait_for()


def test_provider_is_told_figures_and_map_are_not_for_it(open_page: OpenPage) -> None:
    page = open_page()
    page.sign_in("provider", then="/figures")
    assert "您的角色无权查看" in page.page.locator("#page-message").inner_text()
    assert page.page.locator("#filters").is_hidden()
    assert page.page.get_by_role("link", name="绩效数据").count() == 0
    page.goto("/map")
    page.ready()
    assert "您的角色无权查看" in page.page.locator("#page-message").inner_text()
    assert page.page.locator("#map-card").is_hidden()
    no_serious_violations(page)
    shot(page, "figures-provider")
