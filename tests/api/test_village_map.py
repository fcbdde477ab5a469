"""The village map through the API on the seeded county (real names and codes of 龙南市): which
villages each role sees, their counts against the store and the household search, places from seeds."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.model import Household, Need
from graph.model.enums import NeedStatus, Urgency
from graph.model.identity import subtree_prefix
from graph.store import where
from tests.api.conftest import World

Headers = Callable[[str], dict[str, str]]
URL = "/api/v1/figures/villages"
AREAS_CSV = Path(__file__).parents[2] / "seeds" / "data" / "areas-360783.csv"


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    return copied_world


@pytest.fixture(scope="module")
def seed_villages() -> dict[str, dict[str, str]]:
    with AREAS_CSV.open(encoding="utf-8") as f:
        return {row["code"]: row for row in csv.DictReader(f) if row["level"] == "village"}


def _map(client: TestClient, headers: Headers, user: str, **params: str) -> Any:
    response = client.get(URL, params=params, headers=headers(user))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_county_sees_every_village_with_its_real_name_and_place(
    client: TestClient, headers: Headers, seed_villages: dict[str, dict[str, str]]
) -> None:
    body = _map(client, headers, "coordinator")
    villages = {v["code"]: v for v in body["villages"]}
    assert set(villages) == set(seed_villages)
    for code, row in seed_villages.items():
        village = villages[code]
        assert village["name"] == row["name"]
        assert (village["lat"], village["lon"]) == (float(row["lat"]), float(row["lon"]))
        assert village["township_code"] == row["parent_code"] and village["township_name"]
    assert [v["code"] for v in body["villages"]] == sorted(villages)
    assert body["households"] == sum(v["households"] for v in body["villages"]) > 0


def test_counts_agree_with_the_store_and_the_household_search(
    world: World, client: TestClient, headers: Headers
) -> None:
    village = world.scenario.village
    body = _map(client, headers, "township")
    mine = next(v for v in body["villages"] if v["code"] == village)

    def facts(uow: Any) -> tuple[list[Household], list[Need]]:
        return uow.find(Household, where(village_code=village)), uow.find(Need, where(village_code=village))

    households, needs = world.store.run(facts, write=False)
    assert mine["households"] == len(households)
    for level in ("1", "2", "3"):
        assert mine["by_risk_level"][level] == sum(1 for h in households if h.risk_level == int(level))
    graded = [h.risk_level for h in households if h.risk_level is not None]
    assert mine["highest_risk"] == (min(graded) if graded else None)
    assert mine["open_needs"] == sum(1 for n in needs if n.status is NeedStatus.OPEN)
    assert mine["referred_needs"] == sum(1 for n in needs if n.status is NeedStatus.REFERRED)
    waiting = [n for n in needs if n.status in (NeedStatus.OPEN, NeedStatus.REFERRED)]
    assert mine["urgent_needs"] == sum(1 for n in waiting if n.urgency is Urgency.URGENT)
    # A click on the village lists its households through the search, within the caller's scope.
    search = client.get(
        "/api/v1/households", params={"village": village, "limit": 200}, headers=headers("township")
    )
    assert search.status_code == 200
    assert search.json()["total"] == mine["households"]
    assert {h["village_code"] for h in search.json()["items"]} == {village}
    household_figures = client.get("/api/v1/figures/households", headers=headers("township")).json()
    assert household_figures["households"] == body["households"]


def test_each_role_sees_its_own_villages(world: World, client: TestClient, headers: Headers) -> None:
    s = world.scenario
    county = {v["code"] for v in _map(client, headers, "coordinator")["villages"]}
    township = {v["code"] for v in _map(client, headers, "township")["villages"]}
    assert township and township < county
    assert all(c.startswith(subtree_prefix(s.township)) for c in township)
    assert {v["code"] for v in _map(client, headers, "village")["villages"]} == {s.village}
    far = {v["code"] for v in _map(client, headers, "fartownship")["villages"]}
    assert far and not far & township
    assert _map(client, headers, "auditor") == _map(client, headers, "coordinator")
    one = _map(client, headers, "coordinator", area=s.township)
    assert one["area_code"] == s.township and {v["code"] for v in one["villages"]} == township
    for user in ("provider", "otherprovider", "liaison", "socialworker", "admin"):
        refused = client.get(URL, headers=headers(user))
        assert refused.status_code == 403, user
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert not any(code in refused.text for code in county)
    assert client.get(URL, params={"area": s.far_township}, headers=headers("township")).status_code == 404
    # The search of another township's village answers nothing rather than its households.
    other_village = next(iter(far))
    search = client.get("/api/v1/households", params={"village": other_village}, headers=headers("township"))
    assert search.status_code == 200 and search.json()["total"] == 0
