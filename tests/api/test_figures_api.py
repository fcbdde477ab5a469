"""Referral figures through the API on the tiny county (tests/api/tiny_world.py): exact values by
township, provider and need type, the on-time and overdue boundaries, one area of the caller's scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.api.tiny_world import FROM, R2_HOP2_DUE, TO, TinyWorld, build_tiny_world
from tests.builders import OTHER_TOWNSHIP, TOWNSHIP, VILLAGE

PERIOD = {"from": FROM, "to": TO}
TOWN_HOURS = sorted([10.0, 50.0, 30.0, 72.0, 48 + 1 / 3600])


@pytest.fixture(scope="module")
def tw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyWorld]:
    built = build_tiny_world(tmp_path_factory.mktemp("tiny") / "tiny.db")
    try:
        yield built
    finally:
        built.tiny.store.close()


def _figures(tw: TinyWorld, user: str = "coordinator", **params: str) -> Any:
    response = tw.client.get("/api/v1/figures/referrals", params=PERIOD | params, headers=tw.headers(user))
    assert response.status_code == 200, response.text
    return response.json()


def _rows(body: Any) -> dict[str, Any]:
    return {r["key"]: r for r in body["rows"]}


def test_by_township_exact(tw: TinyWorld) -> None:
    body = _figures(tw, by="township")
    assert body["by"] == "township" and body["area_code"] is None
    rows = _rows(body)
    assert set(rows) == {TOWNSHIP, OTHER_TOWNSHIP}
    town = rows[TOWNSHIP]
    assert town["label"] == "龙南镇"
    assert (town["referrals"], town["cancelled"], town["completed"]) == (3, 0, 1)
    assert town["completion_rate"] == 0.3333
    assert (town["hops"], town["hops_completed"], town["hops_on_time"], town["hops_closed_late"]) == (
        6,
        5,
        3,
        2,
    )
    assert town["on_time_rate"] == 0.6
    assert town["mean_hours"] == round(sum(TOWN_HOURS) / 5, 2) == 42.0
    assert town["median_hours"] == 48.0  # 48 h + 1 s, to 2 decimals
    assert town["p90_hours"] == 63.2  # 50 + 0.6 * (72 - 50)
    assert town["overdue"] == 1
    assert town["returned"] == {"not_started": 1} and town["rejected"] == {} and town["failed"] == {}
    assert town["unmet"] == {"not_dispatched": 1}
    other = rows[OTHER_TOWNSHIP]
    assert (other["referrals"], other["cancelled"], other["completion_rate"]) == (1, 1, None)
    assert (other["hops"], other["hops_completed"], other["on_time_rate"], other["mean_hours"]) == (
        1,
        0,
        None,
        None,
    )
    assert other["rejected"] == {"no_capacity": 1}
    assert other["unmet"] == {"no_resource": 1, "returned": 1}
    total = body["total"]
    assert (total["referrals"], total["hops"], total["hops_completed"], total["hops_closed_late"]) == (
        4,
        7,
        5,
        2,
    )
    assert total["completion_rate"] == round(1 / 3, 4)


def test_by_provider_and_need_type_exact(tw: TinyWorld) -> None:
    providers = _rows(_figures(tw, by="provider"))
    charity = providers[tw.tiny.org]
    assert charity["label"] == "爱心会"
    assert (charity["referrals"], charity["hops"], charity["hops_completed"]) == (3, 3, 2)
    assert (charity["hops_on_time"], charity["hops_closed_late"], charity["on_time_rate"]) == (0, 2, 0.0)
    assert charity["mean_hours"] == 49.0  # (50 + 48) / 2, the second to 2 decimals
    assert (charity["overdue"], charity["returned"]) == (1, {"not_started": 1})
    town_body = providers[tw.tiny.bodies["town"]]
    assert (town_body["hops_completed"], town_body["hops_on_time"], town_body["mean_hours"]) == (3, 3, 37.33)
    assert providers[tw.tiny.bodies["other"]]["rejected"] == {"no_capacity": 1}

    types = _rows(_figures(tw, by="need_type"))
    assert set(types) == {"medical", "housing", "employment", "education"}
    assert types["employment"]["label"] == "就业"
    employment = types["employment"]
    assert (employment["hops_on_time"], employment["hops_closed_late"], employment["mean_hours"]) == (
        1,
        1,
        60.0,
    )
    assert (types["medical"]["referrals"], types["medical"]["cancelled"]) == (2, 1)
    assert types["education"]["unmet"] == {"not_dispatched": 1} and types["education"]["referrals"] == 0


def test_on_time_means_at_or_before_the_deadline(tw: TinyWorld) -> None:
    """R4's hop 1 completed exactly at its due_at (on time), hop 2 one second after (closed late)."""
    rows = _rows(_figures(tw, by="provider"))
    town_body, charity = rows[tw.tiny.bodies["town"]], rows[tw.tiny.org]
    # Without R4 the township body had 2 on time, the charity 0 on time and 1 late.
    assert (town_body["hops_on_time"], town_body["hops_closed_late"]) == (3, 0)
    assert (charity["hops_on_time"], charity["hops_closed_late"]) == (0, 2)


def test_overdue_starts_after_the_deadline(tw: TinyWorld) -> None:
    start = tw.clock.now
    try:
        tw.clock.now = R2_HOP2_DUE
        assert _figures(tw, by="township")["total"]["overdue"] == 0
        tw.clock.now = R2_HOP2_DUE + timedelta(seconds=1)
        assert _figures(tw, by="township")["total"]["overdue"] == 1
    finally:
        tw.clock.now = start


def test_one_area_of_my_scope(tw: TinyWorld) -> None:
    town = _figures(tw, area=TOWNSHIP, by="village")
    assert town["area_code"] == TOWNSHIP
    assert [r["key"] for r in town["rows"]] == [VILLAGE]
    assert town["total"]["referrals"] == 3
    assert _figures(tw, "township")["total"] == town["total"]  # the township's own staff: the same
    for user, area in (("township", OTHER_TOWNSHIP), ("coordinator", "360783999000")):
        outside = tw.client.get(
            "/api/v1/figures/referrals", params=PERIOD | {"area": area}, headers=tw.headers(user)
        )
        assert outside.status_code == 404, outside.text
        assert outside.headers["content-type"].startswith("application/problem+json")
    bad = tw.client.get("/api/v1/figures/referrals", params={"area": "12"}, headers=tw.headers("coordinator"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query:area"


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("coordinator", 200),
        ("township", 200),
        ("village", 200),
        ("auditor", 200),
        ("socialworker", 403),
        ("provider", 403),
        ("admin", 403),
    ],
)
def test_who_reads_figures(tw: TinyWorld, user: str, status: int) -> None:
    response = tw.client.get("/api/v1/figures/referrals", params=PERIOD, headers=tw.headers(user))
    assert response.status_code == status, response.text
    if user == "auditor":
        assert response.json()["total"] == _figures(tw)["total"]
