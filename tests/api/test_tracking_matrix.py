"""Every role x every tracking route x an object in and out of the caller's scope: the exact status.

403 when the role may never do it, 404 for an object outside the caller's scope (like a missing
one), 200 otherwise. Out-of-scope answers carry no household id (outside the echoed path) and no
member's name, ID number or phone; queues and figures are checked item by item against the scope.
`test_matrix_covers_every_route` fails when a tracking route is added without a row here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient

from graph.model import Need, Person, Referral, ReferralHop
from graph.model.enums import Role
from graph.model.identity import subtree_prefix
from graph.store import UnitOfWork, where
from tests.api.conftest import USERS, World, api_routes

Scope = Literal["in", "out", "none"]
MISSING = "01NOSUCHOBJECT000000000000"
USER_NAMES = [u[0] for u in USERS]
ROLE_OF = {u[0]: u[1] for u in USERS}
AREA_OF = {u[0]: u[2] for u in USERS}
ORG_OF = {u[0]: u[3] for u in USERS}

# The household (or need) each user may trace, and one it may not ("missing": a well-formed unknown id).
IN_OBJECT: dict[str, str | None] = {
    "coordinator": "provider",
    "township": "provider",
    "village": "provider",
    "socialworker": "provider",
    "liaison": "department",
    "provider": "provider",
    "otherprovider": None,
    "auditor": "provider",
    "admin": "provider",
    "fartownship": "far",
}
OUT_OBJECT: dict[str, str] = {
    "coordinator": "missing",
    "township": "far",
    "village": "far",
    "socialworker": "far",
    "liaison": "far",
    "provider": "far",
    "otherprovider": "provider",
    "auditor": "far",
    "admin": "far",
    "fartownship": "provider",
}

AREA_STAFF = {Role.COUNTY_COORDINATOR, Role.TOWNSHIP_OFFICER, Role.VILLAGE_WORKER, Role.SOCIAL_WORKER}
CASE_WORK = AREA_STAFF | {Role.DEPARTMENT_LIAISON, Role.PROVIDER}
FIGURES = {Role.COUNTY_COORDINATOR, Role.TOWNSHIP_OFFICER, Role.VILLAGE_WORKER, Role.AUDITOR}
KINDS = ["mine", "area", "due_today", "overdue", "escalated", "done"]


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    roles: set[Role]
    target: Literal["household", "need", "none"] = "none"


ROWS: list[Row] = [
    Row("GET", "/api/v1/queues/{kind}", CASE_WORK),
    Row("GET", "/api/v1/figures/referrals", FIGURES),
    Row("GET", "/api/v1/figures/referrals/export", FIGURES),
    Row("GET", "/api/v1/figures/villages", FIGURES),
    Row("GET", "/api/v1/households/{household_id}/trace", CASE_WORK, "household"),
    Row("GET", "/api/v1/needs/{need_id}/trace", CASE_WORK, "need"),
]
MATRIX_TAGS = {"tracking 跟踪"}


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    return copied_world


@dataclass
class Objects:
    households: dict[str, str]  # "provider", "department", "far", "missing" -> household id
    needs: dict[str, str]  # same keys -> need id
    secrets: dict[str, list[str]]  # household key -> member names, ID numbers, phones


def _need_with_hop_of(uow: UnitOfWork, household_id: str, org: str) -> str:
    for referral in uow.find(Referral, where(household_id=household_id)):
        if any(h.assignee_id == org for h in uow.find(ReferralHop, where(referral_id=referral.id))):
            return referral.need_id
    raise AssertionError("no need with a task of this organisation")


@pytest.fixture(scope="module")
def objects(world: World) -> Objects:
    s = world.scenario
    partners = {s.provider_org, s.other_provider_org, s.department_org}

    def load(uow: UnitOfWork) -> Objects:
        far_need = None
        for need in uow.find(Need, where(village_code__prefix=s.far_township[:9])):
            hops = [
                h
                for r in uow.find(Referral, where(need_id=need.id))
                for h in uow.find(ReferralHop, where(referral_id=r.id))
            ]
            if not any(h.assignee_id in partners for h in hops):
                far_need = need
                break
        assert far_need is not None
        households = {
            "provider": s.hh_provider,
            "department": s.hh_department,
            "far": far_need.household_id,
            "missing": MISSING,
        }
        needs = {
            "provider": _need_with_hop_of(uow, s.hh_provider, s.provider_org),
            "department": _need_with_hop_of(uow, s.hh_department, s.department_org),
            "far": far_need.id,
            "missing": MISSING,
        }
        secrets: dict[str, list[str]] = {}
        for key, hid in households.items():
            members = uow.find(Person, where(household_id=hid))
            secrets[key] = [p.name for p in members] + [
                v for p in members for v in (p.id_number, p.phone) if v
            ]
        return Objects(households, needs, secrets)

    return world.store.run(load, write=False)


def _cells() -> Iterator[Any]:
    for row in ROWS:
        for user in USER_NAMES:
            scopes: list[Scope] = ["in", "out"] if row.target != "none" else ["none"]
            for scope in scopes:
                if scope == "in" and IN_OBJECT[user] is None:
                    continue
                yield pytest.param(row, user, scope, id=f"{row.path} {user} {scope}")


def expected(row: Row, user: str, scope: Scope) -> int:
    if ROLE_OF[user] not in row.roles:
        return 403
    return 404 if scope == "out" else 200


def _without_instance(text: str) -> str:
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if isinstance(body, dict):
        body.pop("instance", None)
    return json.dumps(body, ensure_ascii=False)


def _figure_keys(response: Any) -> list[str]:
    """The group keys (area codes, grouped by area) of a figures answer: JSON or an exported CSV."""
    if response.headers["content-type"].startswith("text/csv"):
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        keys = [r[1] for r in table[1:] if r[1] != "total"]
        assert keys, "the export has rows"
        return keys
    body = response.json()
    if "villages" in body:
        assert body["villages"], "every caller with figures has a village"
        return [v["code"] for v in body["villages"]]
    return [r["key"] for r in body["rows"]]


def _check_queue(world: World, user: str, body: dict[str, Any]) -> None:
    prefix = subtree_prefix(getattr(world.scenario, AREA_OF[user]))
    org = getattr(world.scenario, ORG_OF[user]) if ORG_OF[user] else None
    for item in body["items"]:
        in_area = ROLE_OF[user] in AREA_STAFF and item["village_code"].startswith(prefix)
        assert in_area or (org is not None and item["assignee_id"] == org), item
        if ROLE_OF[user] is Role.PROVIDER:  # a liaison identifies people by name (ROLE_PII)
            assert item["head_name"] is None


@pytest.mark.parametrize(("row", "user", "scope"), list(_cells()))
def test_cell(
    world: World,
    client: TestClient,
    headers: Callable[[str], dict[str, str]],
    objects: Objects,
    row: Row,
    user: str,
    scope: Scope,
) -> None:
    want = expected(row, user, scope)
    if row.target == "none":
        paths = (
            [row.path.format(kind=k) for k in KINDS]
            if "{kind}" in row.path
            else [f"{row.path}?from=2025-01-01&to=2026-12-31&format=csv&by=area"]
        )
        for path in paths:
            response = client.get(path, headers=headers(user))
            assert response.status_code == want, (path, response.text)
            if want == 200 and "{kind}" in row.path:
                _check_queue(world, user, response.json())
            if want == 200 and "figures" in row.path:
                prefix = subtree_prefix(getattr(world.scenario, AREA_OF[user]))
                assert all(key.startswith(prefix) for key in _figure_keys(response))
        return
    key = IN_OBJECT[user] if scope == "in" else OUT_OBJECT[user]
    assert key is not None
    ids = objects.households if row.target == "household" else objects.needs
    path = row.path.format(household_id=ids[key], need_id=ids[key])
    response = client.get(path, headers=headers(user))
    assert response.status_code == want, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    if scope == "out":
        shown = _without_instance(response.text)
        assert objects.households[key] not in shown
        for secret in objects.secrets[key]:
            assert secret not in response.text, f"{secret!r} leaked to {user}"
    if want == 200:
        body = response.json()
        assert body["household_id"] == objects.households[key]
        if ROLE_OF[user] not in AREA_STAFF:
            assert body["access"] == "assignment"
        if ROLE_OF[user] is Role.PROVIDER:
            assert body["head_name"] is None
            for secret in objects.secrets[key]:
                assert secret not in response.text, f"{secret!r} shown to {user}"


def test_out_of_scope_trace_is_indistinguishable_from_missing(
    client: TestClient, headers: Callable[[str], dict[str, str]], objects: Objects
) -> None:
    for user in ("township", "village", "provider", "liaison"):
        for path in ("/api/v1/households/{}/trace", "/api/v1/needs/{}/trace"):
            ids = objects.households if "households" in path else objects.needs
            outside = client.get(path.format(ids["far"]), headers=headers(user))
            missing = client.get(path.format(MISSING), headers=headers(user))
            assert (outside.status_code, missing.status_code) == (404, 404)
            assert _without_instance(outside.text) == _without_instance(missing.text)


def test_matrix_covers_every_route(world: World) -> None:
    """Every route of the tracking router has a matrix row, and every row a route."""
    routes = {
        (method, route.path)
        for route in api_routes(world.app())
        if set(route.original_route.tags) & MATRIX_TAGS
        for method in route.methods
    }
    rows = {(row.method, row.path) for row in ROWS}
    assert routes == rows
