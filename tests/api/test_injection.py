"""Hostile values in every string parameter of the API: no server error, an RFC 9457 problem on every
4xx (naming the field on 422), and nothing in the store changed beyond what a valid write adds.

Every query, path, header (If-Match) and JSON body string is sent SQL and Cypher metacharacters,
LIKE wildcards, a NUL byte, 10 000 characters, emoji, right-to-left and combining marks, full-width
digits and values of the wrong type. Sign-in routes get a shorter list: each attempt there costs an
argon2 hash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from graph.model import Organisation
from graph.store import Counts
from tests.api.conftest import PASSWORD, World

STRINGS: list[str] = [
    "' OR 1=1 --",
    '") RETURN n //',
    "MATCH (n) DETACH DELETE n",
    "'; DROP TABLE nodes; --",
    "%",
    "_",
    "\\",
    "a\x00b",
    "x" * 10_000,
    "😀👨‍👩‍👧‍👦",
    "\u202egnp.exe\u202c",  # right-to-left override
    "ع\u0651\u064e",  # Arabic with combining marks
    "e\u0301\u0301\u0301\u0301",  # stacked combining accents
    "１２３４５６７８９０１２",  # full-width digits
    "３６０７８３１０３２０５",
    "",
    " ",
    "null",
    "../../etc/passwd",
    "${jndi:ldap://x}",
    "*",
    "²",  # a digit to str.isdigit(), not to int()
    '"１"',
]
WRONG_TYPES: list[Any] = [12345, 1.5, True, None, ["a"], {"$ne": None}]
SIGN_IN_STRINGS = ["' OR 1=1 --", '") RETURN n //', "a\x00b", "x" * 10_000, "😀", "１２３"]


@dataclass(frozen=True)
class Op:
    """One operation with a valid request; `field` is then replaced by each hostile value."""

    method: str
    path: str
    user: str | None = "coordinator"
    query: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    path_params: tuple[str, ...] = ()
    if_match: bool = False
    sign_in: bool = False


def _ops(fx: Fixture) -> dict[str, Op]:
    hh = "/api/v1/households/{household_id}"
    return {
        "search": Op("GET", "/api/v1/households", query={"limit": 5}),
        "detail": Op("GET", hh, path_params=("household_id",)),
        "patch": Op("PATCH", hh, body={"address": "x村1号"}, path_params=("household_id",), if_match=True),
        "consent": Op(
            "POST",
            hh + "/consents",
            body={"organisation_id": fx.org, "scopes": ["name"], "purpose": "test"},
            path_params=("household_id",),
        ),
        "revoke": Op(
            "POST",
            hh + "/consents/{consent_id}/revoke",
            body={"reason": "test"},
            path_params=("household_id", "consent_id"),
        ),
        "create_user": Op(
            "POST",
            "/api/v1/users",
            user="admin",
            body={
                "username": "inject",
                "display_name": "x",
                "roles": ["village_worker"],
                "area_codes": [fx.village],
                "organisation_id": None,
            },
        ),
        **{
            f"user_{verb}": Op(
                "POST", f"/api/v1/users/{{username}}/{verb}", user="admin", path_params=("username",)
            )
            for verb in ("disable", "enable", "reset-password")
        },
        "login": Op(
            "POST",
            "/api/v1/auth/login",
            user=None,
            body={"username": "nobody", "password": "x"},
            sign_in=True,
        ),
        "refresh": Op("POST", "/api/v1/auth/refresh", user=None, body={"refresh_token": "a.b"}, sign_in=True),
        "password": Op(
            "POST",
            "/api/v1/auth/password",
            user="injector",
            body={"current_password": "wrong-Password-1", "new_password": PASSWORD + "x"},
            sign_in=True,
        ),
    }


# (operation, where, name) for every string parameter of the API.
FIELDS: list[tuple[str, str, str]] = [
    *[
        ("search", "query", q)
        for q in ("name", "id_number", "category", "risk_level", "village", "limit", "offset")
    ],
    ("detail", "path", "household_id"),
    ("patch", "path", "household_id"),
    ("patch", "header", "If-Match"),
    ("patch", "body", "address"),
    ("patch", "body", "grid_code"),
    ("patch", "body", "income_wage_fen"),
    ("consent", "path", "household_id"),
    ("consent", "body", "organisation_id"),
    ("consent", "body", "purpose"),
    ("consent", "body", "given_by_person_id"),
    ("consent", "body", "valid_until"),
    ("consent", "body", "scopes"),
    ("revoke", "path", "household_id"),
    ("revoke", "path", "consent_id"),
    ("revoke", "body", "reason"),
    ("create_user", "body", "username"),
    ("create_user", "body", "display_name"),
    ("create_user", "body", "roles"),
    ("create_user", "body", "area_codes"),
    ("create_user", "body", "organisation_id"),
    ("user_disable", "path", "username"),
    ("user_enable", "path", "username"),
    ("user_reset-password", "path", "username"),
    ("login", "body", "username"),
    ("login", "body", "password"),
    ("refresh", "body", "refresh_token"),
    ("password", "body", "current_password"),
]


@dataclass
class Fixture:
    household: str
    consent: str
    org: str
    village: str
    versions: dict[str, str]  # household id -> its current ETag
    created: dict[str, int]  # label -> nodes validly created during the test


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    """This module's own world, plus a user whose password the test tries to change."""
    from graph.model.enums import Role
    from referral.accounts import service as accounts

    copied_world.store.run(
        lambda uow: accounts.add_user(
            uow,
            username="injector",
            display_name="injector",
            roles=[Role.VILLAGE_WORKER],
            area_codes=[copied_world.scenario.village],
            organisation_id=None,
            password=PASSWORD,
            actor="test:setup",
            now=copied_world.clock.now,
        )
    )
    return copied_world


@pytest.fixture(scope="module")
def client(world: World) -> TestClient:
    """Sign-in limits raised: this module fails many sign-ins on purpose."""
    return world.client(login_failures_per_account=1_000_000, login_failures_per_address=1_000_000)


@pytest.fixture(scope="module")
def fx(world: World, client: TestClient, headers: Callable[[str], dict[str, str]]) -> Fixture:
    for user in ("coordinator", "admin", "injector"):
        headers(user)
    hid = world.scenario.hh_provider
    org = world.store.run(
        lambda uow: next(
            o.id
            for o in uow.find(Organisation, limit=200)
            if o.id not in {world.scenario.provider_org, world.scenario.other_provider_org}
        ),
        write=False,
    )
    consent = client.post(
        f"/api/v1/households/{hid}/consents",
        json={"organisation_id": org, "scopes": ["name"], "purpose": "injection"},
        headers=headers("coordinator"),
    )
    assert consent.status_code == 201
    read = client.get(f"/api/v1/households/{hid}", headers=headers("coordinator"))
    return Fixture(hid, consent.json()["id"], org, world.scenario.village, {hid: read.headers["ETag"]}, {})


@pytest.fixture(scope="module")
def counts_before(world: World, fx: Fixture) -> Counts:
    return world.store.counts()


def _values(op: Op, where: str) -> Iterator[Any]:
    if op.sign_in:
        yield from SIGN_IN_STRINGS
        return
    yield from STRINGS
    if where == "body":
        yield from WRONG_TYPES


def _send(
    client: TestClient,
    headers: Callable[[str], dict[str, str]],
    fx: Fixture,
    op: Op,
    where: str,
    name: str,
    value: Any,
) -> Any:
    params = {"household_id": fx.household, "consent_id": fx.consent, "username": "injector"}
    if where == "path":
        params[name] = quote(str(value), safe="")
    path = op.path.format(**params)
    query = dict(op.query)
    body = dict(op.body) if op.body is not None else None
    sent_headers = dict(headers(op.user)) if op.user else {}
    if op.if_match:
        sent_headers["If-Match"] = fx.versions.get(fx.household, '"1"')
    if where == "query":
        query[name] = value
    elif where == "header":
        sent_headers[name] = str(value).encode("utf-8")  # type: ignore[assignment]
    elif where == "body":
        assert body is not None
        body[name] = value
    response = client.request(op.method, path, params=query, headers=sent_headers, json=body)
    if op.if_match and response.status_code == 200:
        fx.versions[fx.household] = response.headers["ETag"]
    if response.status_code == 201:
        label = "User" if op.path == "/api/v1/users" else "Consent"
        fx.created[label] = fx.created.get(label, 0) + 1
    return response


@pytest.mark.parametrize(("operation", "where", "name"), FIELDS, ids=lambda v: str(v))
def test_hostile_values(
    client: TestClient,
    headers: Callable[[str], dict[str, str]],
    fx: Fixture,
    counts_before: Counts,
    operation: str,
    where: str,
    name: str,
) -> None:
    op = _ops(fx)[operation]
    for value in _values(op, where):
        shown = repr(value)[:60]
        response = _send(client, headers, fx, op, where, name, value)
        assert response.status_code < 500, f"{name}={shown}: {response.text[:300]}"
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json"), shown
            body = response.json()
            assert {"type", "title", "status", "detail"} <= set(body), shown
            assert body["status"] == response.status_code
        if response.status_code == 422:
            named = [e["field"] for e in response.json().get("errors", [])]
            assert any(f.lower().split(":")[-1].split(".")[0] == name.lower() for f in named), (
                f"{name}={shown}: 422 does not name the field: {named}"
            )


@pytest.mark.parametrize("pattern", ["%", "_", "*", "' OR 1=1 --", "\\"])
def test_wildcards_match_literally(
    client: TestClient, headers: Callable[[str], dict[str, str]], pattern: str
) -> None:
    """A name search is a prefix match on the literal text: `%` or `_` do not match every name."""
    response = client.get("/api/v1/households", params={"name": pattern}, headers=headers("coordinator"))
    assert response.status_code == 200
    assert response.json()["total"] == 0


def test_store_unchanged_but_for_valid_writes(world: World, fx: Fixture, counts_before: Counts) -> None:
    """Runs last: nodes and relationships are as before, plus what accepted writes add (and audit)."""
    after = world.store.counts()
    grows = {"AuditEntry"}
    for label, before in counts_before.nodes.items():
        if label in grows:
            assert after.nodes[label] >= before
        else:
            assert after.nodes[label] == before + fx.created.get(label, 0), label
    consents, users = fx.created.get("Consent", 0), fx.created.get("User", 0)
    added = {"GRANTS": consents, "CONSENT_TO": consents, "BOUND_TO": users}
    for rel, before in counts_before.rels.items():
        assert after.rels[rel] == before + added.get(rel, 0), rel
    assert set(after.nodes) == set(counts_before.nodes)
