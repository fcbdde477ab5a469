"""Every role x every /api/v1 endpoint x an object in and out of the caller's scope: the exact status.

A cell is 403 when the role may never do the thing, 404 when the object lies outside the caller's
scope (indistinguishable from an object that does not exist), and the success status otherwise. No
response about an out-of-scope household carries its id (outside the echoed request path), any
member's name, ID number or phone. Searches and the area tree are checked item by item against the
caller's areas. `test_matrix_covers_every_route` fails when an endpoint is added without a row here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient

from graph.model import Organisation, Person
from graph.model.enums import Role
from graph.model.identity import subtree_prefix
from graph.store import where
from referral.accounts import service as accounts
from tests.api.conftest import PASSWORD, USERS, World, api_routes

Scope = Literal["in", "out", "none"]
MISSING = "01NOSUCHHOUSEHOLD000000000"  # a well-formed id of no household
MISSING_USER = "nosuchuser"
TARGET_USER = "matrixtarget"  # a throwaway account the admin disables, enables and resets
FAR_USER = "fartarget"  # an account bound to the far township (outside `faradmin`'s areas)

# Users added for this module on top of conftest USERS: an admin of the far township only.
EXTRA_USERS: list[tuple[str, Role, str, str | None]] = [("faradmin", Role.ADMIN, "far_township", None)]
ALL_USERS = [u[0] for u in USERS] + [u[0] for u in EXTRA_USERS]
ROLE_OF = {u[0]: u[1] for u in USERS + EXTRA_USERS}
AREA_OF = {u[0]: u[2] for u in USERS + EXTRA_USERS}

# The household each user may see (None: none named by the scenario) and one it may not.
IN_HOUSEHOLD: dict[str, str | None] = {
    "coordinator": "hh_provider",
    "township": "hh_provider",
    "village": "hh_provider",
    "socialworker": "hh_provider",
    "liaison": "hh_department",
    "provider": "hh_provider",
    "otherprovider": None,
    "auditor": "hh_provider",
    "admin": "hh_provider",
    "fartownship": "hh_far",
    "faradmin": "hh_far",
}
OUT_HOUSEHOLD: dict[str, str] = {
    "coordinator": "missing",  # the whole county is in scope: a household that does not exist
    "township": "hh_far",
    "village": "hh_far",
    "socialworker": "hh_far",
    "liaison": "hh_far",
    "provider": "hh_far",
    "otherprovider": "hh_provider",
    "auditor": "hh_far",
    "admin": "hh_far",
    "fartownship": "hh_provider",
    "faradmin": "hh_provider",
}
IN_USER = {"faradmin": FAR_USER}  # default TARGET_USER
OUT_USER = {"faradmin": TARGET_USER}  # default MISSING_USER

AREA_STAFF = {Role.COUNTY_COORDINATOR, Role.TOWNSHIP_OFFICER, Role.VILLAGE_WORKER, Role.SOCIAL_WORKER}
READERS = AREA_STAFF | {Role.DEPARTMENT_LIAISON, Role.PROVIDER}
EVERYONE = set(Role)
FIGURES = {Role.COUNTY_COORDINATOR, Role.TOWNSHIP_OFFICER, Role.VILLAGE_WORKER, Role.AUDITOR}


@dataclass(frozen=True)
class Row:
    """One endpoint: who may call it, on what kind of object, and the status it answers with."""

    method: str
    path: str  # the route's path template
    roles: set[Role]
    ok: int
    target: Literal["household", "consent", "user", "none"] = "none"


ROWS: list[Row] = [
    Row("GET", "/api/v1/areas", EVERYONE, 200),
    Row("GET", "/api/v1/households", AREA_STAFF, 200),
    Row("GET", "/api/v1/households/{household_id}", READERS, 200, "household"),
    Row("PATCH", "/api/v1/households/{household_id}", AREA_STAFF, 200, "household"),
    Row("POST", "/api/v1/households/{household_id}/consents", AREA_STAFF, 201, "household"),
    Row("POST", "/api/v1/households/{household_id}/consents/{consent_id}/revoke", AREA_STAFF, 200, "consent"),
    Row("GET", "/api/v1/figures/households", FIGURES, 200),
    Row("GET", "/api/v1/users", {Role.ADMIN}, 200),
    Row("POST", "/api/v1/users", {Role.ADMIN}, 201),
    Row("POST", "/api/v1/users/{username}/disable", {Role.ADMIN}, 200, "user"),
    Row("POST", "/api/v1/users/{username}/enable", {Role.ADMIN}, 200, "user"),
    Row("POST", "/api/v1/users/{username}/reset-password", {Role.ADMIN}, 200, "user"),
    Row("GET", "/api/v1/audit/verify", {Role.AUDITOR, Role.ADMIN}, 200),
    Row("GET", "/api/v1/auth/me", EVERYONE, 200),
]
# Routes outside the role matrix: sign-in and the caller's own session and password act on the
# caller alone (tests/api/test_policy_wiring.py checks which of them need a token).
NOT_ROLE_BASED = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/password"),
}


def _cells() -> Iterator[Any]:
    for row in ROWS:
        for user in ALL_USERS:
            scopes: list[Scope] = ["in", "out"] if row.target != "none" else ["none"]
            for scope in scopes:
                if scope == "in" and row.target in ("household", "consent") and IN_HOUSEHOLD[user] is None:
                    continue
                yield pytest.param(row, user, scope, id=f"{row.method} {row.path} {user} {scope}")


def expected(row: Row, user: str, scope: Scope) -> int:
    """The status a cell must answer with."""
    if ROLE_OF[user] not in row.roles:
        return 403
    if scope == "out":
        return 404
    return row.ok


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    """This module's own copy of the seeded world, with the extra users and a target account."""
    scenario = copied_world.scenario

    def add(uow: Any) -> None:
        for username, role, area, org in EXTRA_USERS:
            accounts.add_user(
                uow,
                username=username,
                display_name=username,
                roles=[role],
                area_codes=[getattr(scenario, area)],
                organisation_id=getattr(scenario, org) if org else None,
                password=PASSWORD,
                actor="test:setup",
                now=copied_world.clock.now,
            )
        for username, area in ((TARGET_USER, scenario.township), (FAR_USER, scenario.far_township)):
            accounts.add_user(
                uow,
                username=username,
                display_name=username,
                roles=[Role.VILLAGE_WORKER],
                area_codes=[area],
                organisation_id=None,
                password=PASSWORD,
                actor="test:setup",
                now=copied_world.clock.now,
            )

    copied_world.store.run(add)
    return copied_world


@dataclass
class Household:
    id: str
    secrets: list[str]  # member names, ID numbers and phones


@dataclass
class Fixtures:
    households: dict[str, Household]  # "hh_provider", "hh_far", "hh_department", "missing"
    consents: dict[str, str]  # household key -> a consent on it, for the revoke rows
    neutral_org: str  # an organisation no test user works for


@pytest.fixture(scope="module")
def fx(world: World, client: TestClient, headers: Callable[[str], dict[str, str]]) -> Fixtures:
    scenario = world.scenario
    used = {scenario.provider_org, scenario.other_provider_org, scenario.department_org}

    def load(uow: Any) -> tuple[dict[str, Household], str]:
        found = {}
        for key in ("hh_provider", "hh_far", "hh_department"):
            hid = getattr(scenario, key)
            members = uow.find(Person, where(household_id=hid))
            secrets = [p.name for p in members]
            secrets += [v for p in members for v in (p.id_number, p.id_number_raw, p.phone) if v]
            found[key] = Household(hid, secrets)
        org = next(o.id for o in uow.find(Organisation, limit=200) if o.id not in used)
        return found, org

    households, org = world.store.run(load, write=False)
    households["missing"] = Household(MISSING, [])
    consents = {}
    for key in ("hh_provider", "hh_far", "hh_department"):
        response = client.post(
            f"/api/v1/households/{households[key].id}/consents",
            json={"organisation_id": org, "scopes": ["name"], "purpose": "matrix"},
            headers=headers("coordinator"),
        )
        assert response.status_code == 201, response.text
        consents[key] = response.json()["id"]
    consents["missing"] = consents["hh_provider"]
    return Fixtures(households, consents, org)


def _request(
    world: World,
    client: TestClient,
    fx: Fixtures,
    headers: Callable[[str], dict[str, str]],
    row: Row,
    user: str,
    scope: Scope,
) -> tuple[Any, Household | None]:
    household: Household | None = None
    params: dict[str, str] = {}
    extra: dict[str, str] = {}
    body: Any = None
    if row.target in ("household", "consent"):
        key = IN_HOUSEHOLD[user] if scope == "in" else OUT_HOUSEHOLD[user]
        assert key is not None
        household = fx.households[key]
        params["household_id"] = household.id
        params["consent_id"] = fx.consents[key]
    if row.target == "user":
        params["username"] = (
            IN_USER.get(user, TARGET_USER) if scope == "in" else OUT_USER.get(user, MISSING_USER)
        )
    path = row.path.format(**params)
    if row.method == "PATCH":
        read = client.get(path, headers=headers("coordinator"))
        current = read.json().get("housing_safe") if read.status_code == 200 else None
        extra["If-Match"] = read.headers.get("ETag", '"1"')
        body = {"housing_safe": current}  # the value it has: the write changes nothing but the version
    elif row.path.endswith("/consents"):
        body = {"organisation_id": fx.neutral_org, "scopes": ["name"], "purpose": f"matrix {user}"}
    elif row.path.endswith("/revoke"):
        body = {"reason": f"matrix {user}"}
    elif row.method == "POST" and row.path == "/api/v1/users":
        body = {
            "username": f"new-{user}",
            "display_name": "new",
            "roles": ["village_worker"],
            "area_codes": [getattr(world.scenario, AREA_OF[user])],
        }
    response = client.request(row.method, path, headers={**headers(user), **extra}, json=body)
    return response, household


def _without_instance(text: str) -> str:
    """The body without `instance`, which only echoes the request's own path."""
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if isinstance(body, dict):
        body.pop("instance", None)
    return json.dumps(body, ensure_ascii=False)


def _prefixes(world: World, user: str) -> tuple[str, ...]:
    return (subtree_prefix(getattr(world.scenario, AREA_OF[user])),)


@pytest.mark.parametrize(("row", "user", "scope"), list(_cells()))
def test_cell(
    world: World,
    client: TestClient,
    headers: Callable[[str], dict[str, str]],
    fx: Fixtures,
    row: Row,
    user: str,
    scope: Scope,
) -> None:
    response, household = _request(world, client, fx, headers, row, user, scope)
    want = expected(row, user, scope)
    assert response.status_code == want, response.text
    if household is not None and scope == "out":
        shown = _without_instance(response.text)
        assert household.id not in shown
        for secret in household.secrets:
            assert secret not in response.text, f"{secret!r} leaked to {user}"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    if want >= 300:
        return
    prefixes = _prefixes(world, user)
    if row.path == "/api/v1/households":
        items = response.json()["items"]
        assert all(item["village_code"].startswith(prefixes) for item in items)
    if row.path == "/api/v1/areas":
        _check_tree(response.json(), prefixes, getattr(world.scenario, AREA_OF[user]))


def _check_tree(nodes: list[dict[str, Any]], prefixes: tuple[str, ...], home: str) -> None:
    for node in nodes:
        inside = node["code"].startswith(prefixes)
        assert node["in_scope"] is inside, node["code"]
        if not inside:  # shown only as an ancestor of the caller's area
            assert home.startswith(subtree_prefix(node["code"])), node["code"]
        _check_tree(node["children"], prefixes, home)


def test_out_of_scope_is_indistinguishable_from_missing(
    world: World, client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    """A household outside the caller's scope answers exactly as one that does not exist."""
    far = world.scenario.hh_far
    for user in ("township", "village", "provider", "liaison", "otherprovider"):
        outside = client.get(f"/api/v1/households/{far}", headers=headers(user))
        missing = client.get(f"/api/v1/households/{MISSING}", headers=headers(user))
        assert (outside.status_code, missing.status_code) == (404, 404)
        assert _without_instance(outside.text) == _without_instance(missing.text)


@pytest.mark.parametrize("user", [u for u in ALL_USERS if ROLE_OF[u] in AREA_STAFF])
def test_search_never_reaches_outside(
    world: World, client: TestClient, headers: Callable[[str], dict[str, str]], fx: Fixtures, user: str
) -> None:
    """Searching for an out-of-scope household's head, or in its village, finds nothing of it."""
    prefixes = _prefixes(world, user)
    out = fx.households[OUT_HOUSEHOLD[user]]
    queries: list[dict[str, Any]] = [{"limit": 200}, {"limit": 200, "offset": 200}]
    if out.secrets:
        queries.append({"name": out.secrets[0], "limit": 200})
        queries.append({"name": out.secrets[0][:1], "limit": 200})
    for query in queries:
        response = client.get("/api/v1/households", params=query, headers=headers(user))
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert all(item["village_code"].startswith(prefixes) for item in items), query
        assert out.id not in {item["id"] for item in items}


def test_admin_scope_in_user_list(client: TestClient, headers: Callable[[str], dict[str, str]]) -> None:
    """An admin of one township lists only users bound inside it."""
    listed = client.get("/api/v1/users", headers=headers("faradmin"))
    assert listed.status_code == 200
    names = {u["username"] for u in listed.json()}
    assert FAR_USER in names and "fartownship" in names
    assert not names & {"township", "coordinator", TARGET_USER}


# The routers this matrix covers; the referral workflow's routers have matrices of their own
# (tests/api/test_*_matrix.py), each checking its routers the same way.
MATRIX_TAGS = {"registry 登记", "admin 管理", "auth 登录"}


def test_matrix_covers_every_route(world: World) -> None:
    """Every /api/v1 route of these routers has a matrix row (or is a sign-in route listed above)."""
    routes = {
        (method, route.path)
        for route in api_routes(world.app())
        if route.path.startswith("/api/v1") and set(route.original_route.tags) & MATRIX_TAGS
        for method in route.methods
    }
    rows = {(row.method, row.path) for row in ROWS}
    assert routes - rows - NOT_ROLE_BASED == set(), "routes without a matrix row"
    assert (rows | NOT_ROLE_BASED) - routes == set(), "matrix rows for routes that do not exist"


def test_successful_writes_undone(
    world: World, client: TestClient, headers: Callable[[str], dict[str, str]], fx: Fixtures
) -> None:
    """Revoke every consent the matrix recorded, so nothing it wrote stays active."""
    for key in ("hh_provider", "hh_far", "hh_department"):
        hid = fx.households[key].id
        detail = client.get(f"/api/v1/households/{hid}", headers=headers("coordinator")).json()
        for consent in detail["consents"]:
            if consent["active"] and consent["organisation_id"] == fx.neutral_org:
                revoked = client.post(
                    f"/api/v1/households/{hid}/consents/{consent['id']}/revoke",
                    json={"reason": "matrix cleanup"},
                    headers=headers("coordinator"),
                )
                assert revoked.status_code == 200
