"""The dispatch board through the API: an area's open needs with explained candidates, the batch
proposal that writes nothing, and dispatching many needs each on its own (per-need results; a refused
need loses nothing of the others). Includes the role x scope matrix of `POST /dispatches`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.model import AuditEntry, Household, Need, Referral, new_id
from graph.model.enums import NeedStatus, NeedType, Role, Urgency
from graph.model.identity import subtree_prefix
from graph.store import UnitOfWork, where
from tests.api.conftest import USERS, World

Headers = Callable[[str], dict[str, str]]
MISSING = "01NOSUCHNEED00000000000000"
DISPATCHERS = {Role.COUNTY_COORDINATOR, Role.TOWNSHIP_OFFICER}
ROLE_OF = {u[0]: u[1] for u in USERS}


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    return copied_world


def _open_need(
    world: World, area: str, *, urgency: Urgency = Urgency.GENERAL, age_days: float = 0
) -> tuple[str, str]:
    """A new open need of a household in `area`: (need id, household id)."""

    def run(uow: UnitOfWork) -> tuple[str, str]:
        household = next(
            h for h in uow.find(Household, where(village_code__prefix=subtree_prefix(area)), limit=50)
        )
        at = world.clock.now - timedelta(days=age_days)
        need = Need(
            id=new_id(),
            household_id=household.id,
            village_code=household.village_code,
            type=NeedType.CARE,
            urgency=urgency,
            channel="home_visit",  # type: ignore[arg-type]
            reported_by="test",
            description="卧床，需要照护",
            created_at=at,
            updated_at=at,
        )
        uow.create(need)
        return need.id, household.id

    return world.store.run(run)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_board_lists_the_areas_open_needs_urgent_first_with_their_candidates(
    world: World, client: TestClient, headers: Headers
) -> None:
    township = world.scenario.township
    urgent, _ = _open_need(world, township, urgency=Urgency.URGENT)
    response = client.get(
        "/api/v1/matching/board",
        params={"area": township, "limit": 100, "candidates": 2},
        headers=headers("coordinator"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    stored = world.store.run(
        lambda uow: uow.find(Need, where(status=NeedStatus.OPEN, village_code__prefix=township[:9])),
        write=False,
    )
    assert body["total"] == len(stored) and body["area_code"] == township
    items = body["items"]
    assert items[0]["need_id"] == urgent
    keys = [(i["urgency"] != "urgent", _at(i["created_at"])) for i in items]
    assert keys == sorted(keys)
    assert all(i["village_code"].startswith(township[:9]) and i["status"] == "open" for i in items)
    for item in items[:5]:
        full = client.get(
            f"/api/v1/needs/{item['need_id']}/candidates",
            params={"limit": 100},
            headers=headers("coordinator"),
        ).json()
        assert item["eligible"] == len(full["candidates"])
        assert item["candidates"] == full["candidates"][:2]  # the same ranking, explained by its parts
    first = items[0]
    assert first["head_name"] and first["description"] == "卧床，需要照护" and first["masked"] == []
    bare = client.get(
        "/api/v1/matching/board", params={"area": township, "candidates": 0}, headers=headers("socialworker")
    ).json()
    assert all(i["candidates"] == [] and i["eligible"] is None for i in bare["items"])


def test_board_page_with_names_is_audited_once(world: World, client: TestClient, headers: Headers) -> None:
    def entries(uow: UnitOfWork) -> list[AuditEntry]:
        return uow.find(AuditEntry, where(object_id="dispatch_board"))

    before = len(world.store.run(entries, write=False))
    body = client.get(
        "/api/v1/matching/board", params={"limit": 5, "candidates": 0}, headers=headers("township")
    ).json()
    after = world.store.run(entries, write=False)
    assert len(after) == before + 1
    assert after[-1].action == "read_pii_list"
    assert sorted(set(json.loads(after[-1].changes_json)["households"])) == sorted(
        {i["household_id"] for i in body["items"]}
    )


def test_the_batch_proposal_writes_nothing(world: World, client: TestClient, headers: Headers) -> None:
    def counts(uow: UnitOfWork) -> tuple[int, int, int]:
        return uow.count(AuditEntry), uow.count(Referral), uow.count(Need, where(status=NeedStatus.OPEN))

    before = world.store.run(counts, write=False)
    response = client.post(
        "/api/v1/matching/batch", json={"area_code": world.scenario.township}, headers=headers("coordinator")
    )
    assert response.status_code == 200 and response.json()["needs"] > 0
    assert world.store.run(counts, write=False) == before


def _dispatch(client: TestClient, headers: Headers, user: str, items: list[dict[str, Any]]) -> Any:
    return client.post("/api/v1/dispatches", json={"items": items}, headers=headers(user))


def test_dispatch_many_reports_each_need_and_keeps_the_ones_dispatched(
    world: World, client: TestClient, headers: Headers
) -> None:
    s = world.scenario
    first, _ = _open_need(world, s.township)
    second, _ = _open_need(world, s.far_township)
    taken, _ = _open_need(world, s.township)
    assert _dispatch(client, headers, "coordinator", [{"need_id": taken}]).json()["dispatched"] == 1
    response = _dispatch(
        client,
        headers,
        "coordinator",
        [
            {"need_id": first},
            {"need_id": taken},  # no longer open
            {"need_id": MISSING},
            {"need_id": second, "pool": True},  # the county sends to the township only
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dispatched"], body["refused"]) == (1, 3)
    results = body["results"]
    assert [r["need_id"] for r in results] == [first, taken, MISSING, second]
    assert results[0]["outcome"] == "dispatched" and results[0]["referral"]["need_id"] == first
    assert [r["problem"]["status"] for r in results[1:]] == [409, 404, 422]
    assert all(r["outcome"] == "refused" and r["referral"] is None for r in results[1:])
    assert (
        results[1]["problem"]["title"] == "Invalid transition" and "open" in results[1]["problem"]["detail"]
    )
    assert results[3]["problem"]["title"] == "Invalid input"

    def statuses(uow: UnitOfWork) -> list[NeedStatus]:
        return [uow.require(Need, n).status for n in (first, taken, second)]

    assert world.store.run(statuses, write=False) == [
        NeedStatus.REFERRED,
        NeedStatus.REFERRED,
        NeedStatus.OPEN,
    ]
    # The township sends its own need to the pool; another township's need is not found.
    mine, _ = _open_need(world, s.township)
    theirs, far_household = _open_need(world, s.far_township)
    report = _dispatch(
        client, headers, "township", [{"need_id": mine, "pool": True}, {"need_id": theirs, "pool": True}]
    )
    assert report.status_code == 200
    outcome = report.json()["results"]
    assert (outcome[0]["outcome"], outcome[1]["problem"]["status"]) == ("dispatched", 404)
    assert far_household not in report.text


def test_dispatch_many_refuses_a_need_listed_twice_at_its_repeat(
    world: World, client: TestClient, headers: Headers
) -> None:
    need, _ = _open_need(world, world.scenario.township)
    twice = _dispatch(client, headers, "coordinator", [{"need_id": need}, {"need_id": need}])
    assert twice.status_code == 200, twice.text
    first, repeat = twice.json()["results"]
    assert first["outcome"] == "dispatched"
    assert (repeat["outcome"], repeat["problem"]["status"]) == ("refused", 422)
    assert repeat["problem"]["errors"][0]["field"] == "body:items.1.need_id"

    def referrals(uow: UnitOfWork) -> int:
        return uow.count(Referral, where(need_id=need))

    assert world.store.run(referrals, write=False) == 1
    empty = _dispatch(client, headers, "coordinator", [])
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body:items"
    not_a_bool = _dispatch(client, headers, "township", [{"need_id": need, "pool": 0}])
    assert not_a_bool.status_code == 422 and not_a_bool.json()["errors"][0]["field"] == "body:items.0.pool"


@pytest.mark.parametrize(("user", "scope"), [(u[0], scope) for u in USERS for scope in ("in", "out")])
def test_dispatch_many_matrix(
    world: World, client: TestClient, headers: Headers, user: str, scope: str
) -> None:
    """Every role x a need in and out of its scope: 403 for roles that may not dispatch; otherwise 200
    with the need dispatched in scope and refused with 404 outside it, its household never named."""
    s = world.scenario
    own = {"coordinator": s.county, "township": s.township, "fartownship": s.far_township}.get(
        user, s.township
    )
    away = {"township": s.far_township, "fartownship": s.township}.get(user)
    if scope == "in":
        need, household = _open_need(world, own)
    elif away is not None:
        need, household = _open_need(world, away)
    else:
        need, household = MISSING, ""
    item: dict[str, Any] = {"need_id": need}
    if ROLE_OF[user] is Role.TOWNSHIP_OFFICER:
        item["pool"] = True
    response = _dispatch(client, headers, user, [item])
    if ROLE_OF[user] not in DISPATCHERS:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    if scope == "in":
        assert result["outcome"] == "dispatched", result
    else:
        assert (result["outcome"], result["problem"]["status"]) == ("refused", 404)
        if household:
            assert household not in response.text
