"""Matching through the API: candidates for a need, the batch proposal for an area, the household plan
(regenerated after the household or its open needs change), each within the caller's scope (404 outside)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from graph.model import Need
from graph.model.enums import NeedStatus, NeedType
from graph.store import where
from referral.matching.scoring import UNMET_COST
from tests.api.conftest import World

Headers = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    return copied_world


def _need_of(world: World, household_id: str) -> str:
    needs = world.store.run(lambda uow: uow.find(Need, where(household_id=household_id)), write=False)
    assert needs, "the seeded household has a need"
    return needs[0].id


def test_candidates_ranked_with_parts_and_reasons(world: World, client: TestClient, headers: Headers) -> None:
    need_id = _need_of(world, world.scenario.hh_provider)
    response = client.get(f"/api/v1/needs/{need_id}/candidates", headers=headers("township"))
    assert response.status_code == 200, response.text
    body = response.json()
    scores = [c["score"] for c in body["candidates"]]
    assert scores == sorted(scores, reverse=True)
    for candidate in body["candidates"]:
        assert sum(candidate["parts"].values()) == candidate["score"]
        assert set(candidate["parts"]) == {"fit", "urgency", "risk", "distance", "load", "benefit"}
    for excluded in body["excluded"]:
        assert excluded["findings"]
        for f in excluded["findings"]:
            assert f["label_zh"] and f["label_en"] and f["detail"]  # township staff see every detail
    limited = client.get(f"/api/v1/needs/{need_id}/candidates?limit=1", headers=headers("township"))
    assert len(limited.json()["candidates"]) <= 1


def test_candidates_outside_scope_is_404(world: World, client: TestClient, headers: Headers) -> None:
    need_id = _need_of(world, world.scenario.hh_provider)
    outside = client.get(f"/api/v1/needs/{need_id}/candidates", headers=headers("fartownship"))
    missing = client.get("/api/v1/needs/01NOSUCHNEED/candidates", headers=headers("fartownship"))
    assert (outside.status_code, missing.status_code) == (404, 404)
    assert outside.json()["detail"] == missing.json()["detail"]
    assert client.get(f"/api/v1/needs/{need_id}/candidates", headers=headers("village")).status_code == 403


def test_batch_proposal_for_a_township(world: World, client: TestClient, headers: Headers) -> None:
    township = world.scenario.township
    response = client.post(
        "/api/v1/matching/batch", json={"area_code": township}, headers=headers("township")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    open_needs = world.store.run(
        lambda uow: uow.find(Need, where(status=NeedStatus.OPEN, village_code__prefix=township[:9])),
        write=False,
    )
    assert body["needs"] == len(open_needs)
    assert body["assigned"] + len(body["unmet"]) == body["needs"]
    assert body["total_cost"] == body["assigned_cost"] + UNMET_COST * len(body["unmet"])
    assert all(a["village_code"].startswith(township[:9]) for a in body["assignments"])
    assert sum(body["unmet_by_reason"].values()) == len(body["unmet"])
    groups = Counter(
        (a["household_id"], a["resource"]["stacking_group"])
        for a in body["assignments"]
        if a["resource"]["stacking_group"]
    )
    assert all(count == 1 for count in groups.values()), "no stacking within the batch"
    for unmet in body["unmet"]:
        assert unmet["reason"] in {"no_eligible", "capacity", "stacking"}
    # A proposal only: no need changed status.
    after = world.store.run(
        lambda uow: uow.count(Need, where(status=NeedStatus.OPEN, village_code__prefix=township[:9])),
        write=False,
    )
    assert after == len(open_needs)


def test_batch_scope(world: World, client: TestClient, headers: Headers) -> None:
    far = world.scenario.far_township
    outside = client.post("/api/v1/matching/batch", json={"area_code": far}, headers=headers("township"))
    missing = client.post(
        "/api/v1/matching/batch", json={"area_code": "360783999000"}, headers=headers("township")
    )
    assert (outside.status_code, missing.status_code) == (404, 404)
    bad = client.post("/api/v1/matching/batch", json={"area_code": "36"}, headers=headers("township"))
    assert bad.status_code == 422
    county = client.post(
        "/api/v1/matching/batch", json={"area_code": world.scenario.county}, headers=headers("coordinator")
    )
    assert county.status_code == 200


def test_plan_regenerated_after_household_patch(world: World, client: TestClient, headers: Headers) -> None:
    hid = world.scenario.hh_provider
    h = headers("socialworker")
    first = client.get(f"/api/v1/households/{hid}/plan", headers=h)
    assert first.status_code == 200, first.text
    again = client.get(f"/api/v1/households/{hid}/plan", headers=h).json()
    assert again["id"] == first.json()["id"] and again["regenerated"] is False
    detail = client.get(f"/api/v1/households/{hid}", headers=h)
    patched = client.patch(
        f"/api/v1/households/{hid}",
        json={"housing_safe": not detail.json()["housing_safe"]},
        headers={**h, "If-Match": detail.headers["ETag"]},
    )
    assert patched.status_code == 200, patched.text
    stale = client.get(f"/api/v1/households/{hid}/plan", headers=h).json()
    assert stale["id"] != first.json()["id"] and stale["regenerated"] is True
    assert stale["household_version"] == patched.json()["version"]
    forced = client.post(f"/api/v1/households/{hid}/plan", headers=h)
    assert forced.status_code == 201 and forced.json()["id"] != stale["id"]


def test_plan_follows_the_households_open_needs(world: World, client: TestClient, headers: Headers) -> None:
    """A need reported after the plan was made is in the plan read next, with its matched services;
    once withdrawn it is gone again. In between, the stored plan is served as it is."""
    hid = world.scenario.hh_provider
    h = headers("socialworker")
    before = client.get(f"/api/v1/households/{hid}/plan", headers=h).json()
    kind = NeedType.PSYCHOLOGICAL  # the seeded county has services of this type for the household
    assert not world.store.run(
        lambda uow: uow.find(Need, where(household_id=hid, type=kind, status__in=["open", "referred"])),
        write=False,
    ), "the household already has an open need of this type"
    reported = client.post(
        "/api/v1/needs",
        json={"household_id": hid, "type": kind.value, "urgency": "urgent", "description": "情绪低落"},
        headers=h,
    )
    assert reported.status_code == 201, reported.text
    need_id = reported.json()["id"]
    offered = client.get(f"/api/v1/needs/{need_id}/candidates?limit=100", headers=h).json()["candidates"]
    expected = [c["resource"]["code"] for c in offered if c["resource"]["kind"] != "policy"][:3]
    assert expected, "the seed has services matching the new need"

    plan = client.get(f"/api/v1/households/{hid}/plan", headers=h).json()
    assert plan["regenerated"] is True and plan["id"] != before["id"]
    assert plan["household_version"] == before["household_version"]  # the household itself is unchanged
    assert need_id in plan["open_needs"]
    matched = [s["resource"]["code"] for s in plan["services"] if need_id in s["need_ids"]]
    assert sorted(matched) == sorted(expected)
    assert all(kind.value in s["need_types"] for s in plan["services"] if need_id in s["need_ids"])
    same = client.get(f"/api/v1/households/{hid}/plan", headers=h).json()
    assert same["id"] == plan["id"] and same["regenerated"] is False

    withdrawn = client.post(f"/api/v1/needs/{need_id}/withdraw", json={"reason": "已自行解决"}, headers=h)
    assert withdrawn.status_code == 200, withdrawn.text
    after = client.get(f"/api/v1/households/{hid}/plan", headers=h).json()
    assert after["regenerated"] is True and need_id not in after["open_needs"]
    assert not [s for s in after["services"] if need_id in s["need_ids"]]


def test_plan_lists_policies_and_matched_services(world: World, client: TestClient, headers: Headers) -> None:
    hid = world.scenario.hh_provider
    plan = client.get(f"/api/v1/households/{hid}/plan", headers=headers("township")).json()
    assert all(p["resource"]["kind"] == "policy" for p in plan["policies"])
    assert all(s["resource"]["kind"] != "policy" for s in plan["services"])
    for item in plan["services"]:
        assert set(item["need_ids"]) <= set(plan["open_needs"])
    assert plan["policies"], "a seeded household in need qualifies for some policy"
    codes = [p["resource"]["code"] for p in plan["policies"]]
    assert len(codes) == len(set(codes))


def test_plan_outside_scope_is_404(world: World, client: TestClient, headers: Headers) -> None:
    far = world.scenario.hh_far
    for method in ("GET", "POST"):
        response = client.request(method, f"/api/v1/households/{far}/plan", headers=headers("township"))
        assert response.status_code == 404
        assert far not in response.json()["detail"]
