"""The figures export through the API on the tiny county: the CSV parsed and the XLSX opened with
openpyxl hold exactly the JSON figures, grouping by grouping; who may export; the file's name."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from referral.tracking.export import COLUMNS
from tests.api.tiny_world import FROM, TO, TinyWorld, build_tiny_world
from tests.builders import OTHER_TOWNSHIP, TOWNSHIP

PERIOD = {"from": FROM, "to": TO}
URL = "/api/v1/figures/referrals/export"
# The JSON field each export column shows (the reason breakdowns are summed).
SUMMED = {"rejected", "failed", "returned", "unmet"}
FIELDS = [
    "key",
    "label",
    "referrals",
    "cancelled",
    "completed",
    "completion_rate",
    "hops",
    "hops_completed",
    "hops_on_time",
    "hops_closed_late",
    "on_time_rate",
    "mean_hours",
    "median_hours",
    "p90_hours",
    "overdue",
    "rejected",
    "failed",
    "returned",
    "unmet",
]


@pytest.fixture(scope="module")
def tw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyWorld]:
    built = build_tiny_world(tmp_path_factory.mktemp("tiny") / "tiny.db")
    try:
        yield built
    finally:
        built.tiny.store.close()


def _json_rows(tw: TinyWorld, by: str, user: str = "coordinator", **params: str) -> list[list[Any]]:
    response = tw.client.get(
        "/api/v1/figures/referrals", params=PERIOD | {"by": by} | params, headers=tw.headers(user)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return [
        [sum(row[f].values()) if f in SUMMED else row[f] for f in FIELDS]
        for row in [*body["rows"], body["total"]]
    ]


def _export(tw: TinyWorld, fmt: str, user: str = "coordinator", **params: Any) -> Any:
    return tw.client.get(URL, params=PERIOD | {"format": fmt} | params, headers=tw.headers(user))


def test_columns_follow_the_json_fields() -> None:
    assert len(COLUMNS) == len(FIELDS)


def test_csv_has_a_bom_a_bilingual_header_and_the_json_numbers(tw: TinyWorld) -> None:
    response = _export(tw, "csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="zhulian-referral-figures-20260228-20260320.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:4] == ["分组 grouping", "编码 key", "名称 name", "转介数 referrals"]
    body = table[1:]
    groupings = [r[0] for r in body]
    assert list(dict.fromkeys(groupings)) == ["township", "provider", "need_type"]  # the defaults, in order
    assert groupings == sorted(
        groupings, key=["township", "provider", "need_type"].index
    )  # each in one block
    for by in ("township", "provider", "need_type"):
        got = [r[1:] for r in body if r[0] == by]
        want = [["" if v is None else str(v) for v in row] for row in _json_rows(tw, by)]
        assert got == want, by
    town = next(r for r in body if r[1] == TOWNSHIP)
    assert town[2] == "龙南镇" and float(town[6]) == 0.3333 and int(town[10]) == 2


def test_xlsx_has_a_sheet_per_grouping_with_two_header_rows_and_numbers(tw: TinyWorld) -> None:
    response = _export(tw, "xlsx", by=["township", "need_type", "township"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["说明 about", "按镇街 by township", "按需求类型 by need type"]
    for title, by in (("按镇街 by township", "township"), ("按需求类型 by need type", "need_type")):
        rows = [list(r) for r in book[title].iter_rows(values_only=True)]
        assert rows[0][:3] == ["编码", "名称", "转介数"]
        assert rows[1][:3] == ["key", "name", "referrals"]
        assert rows[2:] == _json_rows(tw, by), by
    sheet = book["按镇街 by township"]
    assert sheet["C3"].data_type == "n" and sheet["F3"].number_format == "0.00%"
    about = {r[0]: r[1] for r in book["说明 about"].iter_rows(values_only=True) if len(r) > 1}
    assert about["起始日 from (UTC)"] == FROM


def test_one_area_and_who_may_export(tw: TinyWorld) -> None:
    town = _export(tw, "csv", area=TOWNSHIP, by="village")
    assert town.status_code == 200
    assert town.headers["content-disposition"].endswith(f'-{TOWNSHIP}.csv"')
    auditor = _export(tw, "csv", "auditor")
    assert auditor.status_code == 200 and auditor.content == _export(tw, "csv").content
    assert _export(tw, "csv", "township", area=OTHER_TOWNSHIP).status_code == 404
    for user in ("provider", "socialworker", "admin"):
        refused = _export(tw, "xlsx", user)
        assert refused.status_code == 403, user
        assert refused.headers["content-type"].startswith("application/problem+json")
    wrong = _export(tw, "pdf")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "query:format"
