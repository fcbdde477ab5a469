"""Authorization is wired, not remembered: every /api/v1 route goes through `api.deps.get_policy`.

The only exceptions are the sign-in routes and the caller's own session and password, and of those,
the ones that act for a signed-in user still need a valid access token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import _caller, get_policy
from api.settings import Settings
from graph.sqlite.store import SqliteStore
from tests.api.conftest import SECRET, api_routes

# (method, path) -> whether it needs a signed-in caller anyway
NO_POLICY: dict[tuple[str, str], bool] = {
    ("POST", "/api/v1/auth/login"): False,
    ("POST", "/api/v1/auth/token"): False,
    ("POST", "/api/v1/auth/refresh"): False,  # the refresh token is the credential
    ("POST", "/api/v1/auth/logout"): True,
    ("POST", "/api/v1/auth/password"): True,  # allowed while a one-time password must be changed
}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """Every dependency callable, however deeply nested."""
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The app over an empty store: these tests need routes and token checks, not data."""
    path = tmp_path_factory.mktemp("wiring") / "empty.db"
    store = SqliteStore(path, create=True)
    store.ensure_schema()
    try:
        yield create_app(Settings(store=str(path), secret_key=SECRET), store=store)  # type: ignore[call-arg]
    finally:
        store.close()


def _api_routes(app: FastAPI) -> list[tuple[str, str, Dependant]]:
    return [
        (method, route.path, route.dependant)
        for route in api_routes(app)
        if route.path.startswith("/api/v1")
        for method in sorted(route.methods)
    ]


def test_every_api_route_depends_on_the_policy(app: FastAPI) -> None:
    routes = _api_routes(app)
    assert len(routes) >= 15
    missing = [
        (method, path)
        for method, path, dependant in routes
        if get_policy not in set(_calls(dependant)) and (method, path) not in NO_POLICY
    ]
    assert missing == [], "routes that skip api.deps.get_policy"


def test_allow_list_is_exact(app: FastAPI) -> None:
    """No stale entries: every allow-listed route exists and really skips the policy."""
    routes = {(method, path): dependant for method, path, dependant in _api_routes(app)}
    for key in NO_POLICY:
        assert key in routes, key
        assert get_policy not in set(_calls(routes[key])), f"{key} uses the policy: drop it from the list"


@pytest.mark.parametrize(("key", "needs_caller"), list(NO_POLICY.items()), ids=lambda v: str(v))
def test_allow_listed_routes_need_a_caller_where_they_should(
    app: FastAPI, key: tuple[str, str], needs_caller: bool
) -> None:
    routes = {(method, path): dependant for method, path, dependant in _api_routes(app)}
    assert (_caller in set(_calls(routes[key]))) is needs_caller


@pytest.mark.parametrize("path", [p for (_m, p), needs in NO_POLICY.items() if needs])
@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "], ids=str
)
def test_caller_routes_refuse_without_a_valid_token(
    app: FastAPI, path: str, authorization: str | None
) -> None:
    """Without a valid access token these answer 401 before reading the body or the store."""
    client = TestClient(app, raise_server_exceptions=False)
    headers = {"Authorization": authorization} if authorization else {}
    body = {"current_password": "x", "new_password": "y"} if path.endswith("password") else None
    response = client.post(path, headers=headers, json=body)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers.get("www-authenticate") == "Bearer"
