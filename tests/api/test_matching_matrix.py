"""Every role x every route of the matching router x an object in and out of the caller's scope.

403 when the role may not match at all, 404 outside the caller's scope (as for a missing object), the
success status otherwise. `test_matrix_covers_every_route` fails when a matching route has no row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient

from graph.model import HasNeed, Household, Need, new_id
from graph.model.enums import NeedChannel, NeedType, Role, Urgency
from graph.model.identity import subtree_prefix
from graph.store import UnitOfWork, where
from tests.api.conftest import USERS, World, api_routes

Scope = Literal["in", "out"]
MATCHERS = frozenset({Role.COUNTY_COORDINATOR, Role.TOWNSHIP_OFFICER, Role.SOCIAL_WORKER})
# Reading the plan is every area role's (village workers help deliver it); regenerating it is matching.
PLAN_READERS = MATCHERS | {Role.VILLAGE_WORKER}
USER_NAMES = [u[0] for u in USERS]
ROLE_OF = {u[0]: u[1] for u in USERS}
AREA_OF = {u[0]: u[2] for u in USERS}
MISSING_HOUSEHOLD = "01NOSUCHHOUSEHOLD000000000"
MISSING_AREA = "360783999000"

# The household each user's scope holds and one outside it (the coordinator holds the whole county).
IN_HOUSEHOLD = dict.fromkeys(USER_NAMES, "hh_provider") | {"fartownship": "hh_far"}
OUT_HOUSEHOLD = dict.fromkeys(USER_NAMES, "hh_far") | {"coordinator": "missing", "fartownship": "hh_provider"}
OUT_AREA = dict.fromkeys(USER_NAMES, "far_township") | {"coordinator": "missing", "fartownship": "township"}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    ok: int
    target: Literal["need", "household", "area", "board"]
    roles: frozenset[Role] = MATCHERS


ROWS = [
    Row("GET", "/api/v1/needs/{need_id}/candidates", 200, "need"),
    Row("POST", "/api/v1/matching/batch", 200, "area"),
    Row("GET", "/api/v1/matching/board", 200, "board"),
    Row("GET", "/api/v1/households/{household_id}/plan", 200, "household", PLAN_READERS),
    Row("POST", "/api/v1/households/{household_id}/plan", 201, "household"),
]
MATRIX_TAGS = {"matching 匹配"}


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    return copied_world


@pytest.fixture(scope="module")
def needs(world: World) -> dict[str, str]:
    """A need of each named household (one is reported for a household that has none)."""
    scenario = world.scenario

    def find_or_add(uow: UnitOfWork) -> dict[str, str]:
        found = {}
        for key in ("hh_provider", "hh_far"):
            hid = getattr(scenario, key)
            existing = uow.find(Need, where(household_id=hid), limit=1)
            if existing:
                found[key] = existing[0].id
                continue
            household = uow.require(Household, hid)
            at = world.clock.now - timedelta(days=1)
            need = Need(
                id=new_id(),
                household_id=hid,
                village_code=household.village_code,
                type=NeedType.TEMPORARY,
                urgency=Urgency.GENERAL,
                channel=NeedChannel.HOME_VISIT,
                reported_by="test:setup",
                created_at=at,
                updated_at=at,
            )
            uow.create(need)
            uow.relate(HasNeed(start=household.ref, end=need.ref))
            found[key] = need.id
        return found

    found = world.store.run(find_or_add)
    found["missing"] = "01NOSUCHNEED00000000000000"
    return found


def _cells() -> Iterator[Any]:
    for row in ROWS:
        for user in USER_NAMES:
            for scope in ("in", "out"):
                yield pytest.param(row, user, scope, id=f"{row.method} {row.path} {user} {scope}")


def expected(row: Row, user: str, scope: Scope) -> int:
    if ROLE_OF[user] not in row.roles:
        return 403
    return row.ok if scope == "in" else 404


def _request(
    world: World,
    client: TestClient,
    needs: dict[str, str],
    headers: dict[str, str],
    row: Row,
    user: str,
    scope: Scope,
) -> Any:
    scenario = world.scenario
    if row.target in ("area", "board"):
        key = AREA_OF[user] if scope == "in" else OUT_AREA[user]
        area = MISSING_AREA if key == "missing" else getattr(scenario, key)
        if row.target == "board":
            return client.get(row.path, params={"area": area, "limit": 100, "candidates": 1}, headers=headers)
        return client.post(row.path, json={"area_code": area}, headers=headers)
    key = IN_HOUSEHOLD[user] if scope == "in" else OUT_HOUSEHOLD[user]
    if row.target == "need":
        return client.request(row.method, row.path.format(need_id=needs[key]), headers=headers)
    hid = MISSING_HOUSEHOLD if key == "missing" else getattr(scenario, key)
    return client.request(row.method, row.path.format(household_id=hid), headers=headers)


@pytest.mark.parametrize(("row", "user", "scope"), list(_cells()))
def test_cell(
    world: World,
    client: TestClient,
    headers: Callable[[str], dict[str, str]],
    needs: dict[str, str],
    row: Row,
    user: str,
    scope: Scope,
) -> None:
    response = _request(world, client, needs, headers(user), row, user, scope)
    assert response.status_code == expected(row, user, scope), response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    if row.target == "board" and response.status_code == 200:
        prefix = subtree_prefix(getattr(world.scenario, AREA_OF[user]))
        assert all(item["village_code"].startswith(prefix) for item in response.json()["items"])
    if scope == "out":
        body = dict(response.json())
        body.pop("instance", None)
        assert world.scenario.hh_far not in str(body) or user == "fartownship"


def test_matrix_covers_every_route(world: World) -> None:
    """Every route of the matching router has a row, and every row a route."""
    routes = {
        (method, route.path)
        for route in api_routes(world.app())
        if set(route.original_route.tags) & MATRIX_TAGS
        for method in route.methods
    }
    rows = {(row.method, row.path) for row in ROWS}
    assert routes == rows
