"""Sign-in, tokens and sessions through the real app: what a client (or an attacker) would notice."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from graph.model import User
from graph.store import where
from referral.accounts import service as accounts
from tests.api.conftest import PASSWORD, SECRET, Clock, World, login

PROBLEM = "application/problem+json"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    response: Response = client.post(LOGIN, json={"username": username, "password": password})
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_401(response: Response) -> dict[str, Any]:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"
    body: dict[str, Any] = response.json()
    assert body["status"] == 401 and body["title"] == "Not authenticated"
    return body


# -- sign-in -------------------------------------------------------------------------------------
def test_login_gives_access_and_refresh_tokens_and_me_names_the_user(client: TestClient) -> None:
    response = sign_in(client, "village")
    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["access_token"] and pair["refresh_token"]
    assert pair["expires_in"] == 15 * 60
    assert pair["refresh_expires_in"] == 7 * 24 * 3600
    assert pair["password_change_required"] is False
    me = client.get(ME, headers=bearer(pair["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "village" and me.json()["roles"] == ["village_worker"]


def test_the_oauth2_form_signs_in_too(client: TestClient) -> None:
    response = client.post("/api/v1/auth/token", data={"username": "auditor", "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert client.get(ME, headers=bearer(response.json()["access_token"])).status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(world: World) -> None:
    client = world.client()  # a fresh limiter: these failures must not lock out anyone else
    wrong = sign_in(client, "village", "not-the-password")
    unknown = sign_in(client, "nobody.here", "not-the-password")
    assert_401(wrong)
    assert_401(unknown)
    assert wrong.json() == unknown.json()
    assert "village" not in wrong.text


def test_requests_without_a_token_get_401_with_www_authenticate(client: TestClient) -> None:
    assert_401(client.get(ME))
    assert_401(client.get("/api/v1/households"))
    assert_401(client.get(ME, headers={"Authorization": "Basic dmlsbGFnZTp4"}))


# -- expiry, refresh, logout -------------------------------------------------------------------
def test_an_expired_access_token_is_refused_and_refresh_gives_a_working_one(
    client: TestClient, clock: Clock
) -> None:
    pair = sign_in(client, "township").json()
    clock.advance(minutes=14, seconds=59)
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200
    clock.advance(seconds=1)
    body = assert_401(client.get(ME, headers=bearer(pair["access_token"])))
    assert "expired" in body["detail"]
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert client.get(ME, headers=bearer(refreshed.json()["access_token"])).status_code == 200


def test_refresh_rotates_the_refresh_token(client: TestClient) -> None:
    first = sign_in(client, "socialworker").json()
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    newest = second.json()
    assert newest["refresh_token"] != first["refresh_token"]
    assert client.get(ME, headers=bearer(newest["access_token"])).status_code == 200
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert "already used" in assert_401(replay)["detail"]


def test_a_replayed_refresh_token_ends_the_whole_session(client: TestClient) -> None:
    first = sign_in(client, "socialworker").json()
    newest = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
    assert_401(client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}))
    # The thief and the owner both lose the session: the newest tokens stop working too.
    assert_401(client.get(ME, headers=bearer(newest["access_token"])))
    assert_401(client.post("/api/v1/auth/refresh", json={"refresh_token": newest["refresh_token"]}))


@pytest.mark.parametrize("token", ["", "nonsense", "01ABC.", ".secret", "x" * 512])
def test_a_made_up_refresh_token_is_refused(client: TestClient, token: str) -> None:
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert response.status_code in (401, 422)
    assert response.headers["content-type"] == PROBLEM


def test_logout_revokes_the_session(client: TestClient) -> None:
    pair = sign_in(client, "liaison").json()
    headers = bearer(pair["access_token"])
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_401(client.get(ME, headers=headers))
    assert_401(client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}))
    assert_401(client.post("/api/v1/auth/logout", headers=headers))


# -- disabling -----------------------------------------------------------------------------------
def test_disabling_through_the_admin_api_ends_tokens_at_once_and_blocks_login(
    world: World, client: TestClient, headers: Callable[[str], dict[str, str]], new_user: Callable[..., str]
) -> None:
    name = new_user()
    pair = sign_in(client, name).json()
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200

    disabled = client.post(f"/api/v1/users/{name}/disable", headers=headers("admin"))
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled"] is True
    assert_401(client.get(ME, headers=bearer(pair["access_token"])))
    assert_401(client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}))
    assert_401(sign_in(world.client(), name))

    enabled = client.post(f"/api/v1/users/{name}/enable", headers=headers("admin"))
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert sign_in(client, name).status_code == 200
    assert_401(client.get(ME, headers=bearer(pair["access_token"])))  # its sessions stay ended


def test_disabling_through_the_service_ends_tokens_at_once(
    world: World, client: TestClient, new_user: Callable[..., str]
) -> None:
    name = new_user()
    headers = login(client, name)
    world.store.run(lambda uow: accounts.disable_user(uow, name, actor="test:admin", now=world.clock.now))
    assert_401(client.get(ME, headers=headers))
    assert_401(sign_in(world.client(), name))


# -- tampered tokens -----------------------------------------------------------------------------
def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


@pytest.fixture(scope="module")
def village_token(client: TestClient) -> str:
    token: str = sign_in(client, "village").json()["access_token"]
    return token


def _changed_payload(token: str, world: World) -> str:
    header, _payload, signature = token.split(".")
    claims = _claims(token)
    claims["sub"] = world.store.run(lambda uow: uow.find(User, where(username="coordinator"))[0].id)
    return f"{header}.{_b64(claims)}.{signature}"


def _other_key(token: str, world: World) -> str:
    return jwt.encode(_claims(token), "another-key-" + "z" * 40, algorithm="HS256")


def _alg_none(token: str, world: World) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(token))}."


def _alg_none_library(token: str, world: World) -> str:
    return jwt.encode(_claims(token), None, algorithm="none")


def _other_sid(token: str, world: World) -> str:
    # Signed with the right key: only the server-side session check can refuse it.
    return jwt.encode({**_claims(token), "sid": "01NOSUCHSESSION0000000000A"}, SECRET, algorithm="HS256")


def _other_sub(token: str, world: World) -> str:
    coordinator = world.store.run(lambda uow: uow.find(User, where(username="coordinator"))[0].id)
    return jwt.encode({**_claims(token), "sub": coordinator}, SECRET, algorithm="HS256")


def _truncated(token: str, world: World) -> str:
    return token[:-6]


def _wrong_audience(token: str, world: World) -> str:
    return jwt.encode({**_claims(token), "aud": "someone-else"}, SECRET, algorithm="HS256")


def _no_expiry(token: str, world: World) -> str:
    claims = _claims(token)
    del claims["exp"]
    return jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "tamper",
    [
        _changed_payload,
        _other_key,
        _alg_none,
        _alg_none_library,
        _other_sid,
        _other_sub,
        _truncated,
        _wrong_audience,
        _no_expiry,
    ],
)
def test_tampered_tokens_are_refused(
    world: World, client: TestClient, village_token: str, tamper: Callable[[str, World], str]
) -> None:
    assert client.get(ME, headers=bearer(village_token)).status_code == 200  # the original works
    forged = tamper(village_token, world)
    assert forged != village_token
    assert_401(client.get(ME, headers=bearer(forged)))
    assert_401(client.get("/api/v1/households", headers=bearer(forged)))


# -- sign-in limits ------------------------------------------------------------------------------
def test_failed_logins_lock_the_account_not_others_until_the_window_passes(
    world: World, clock: Clock
) -> None:
    client = world.client(login_failures_per_account=3, login_failures_per_address=100)
    for _ in range(3):
        assert_401(sign_in(client, "village", "wrong-password"))
    for spelling in ("village", "VILLAGE", " village "):
        locked = sign_in(client, spelling)  # even the right password is refused now
        assert locked.status_code == 429, (spelling, locked.text)
        assert locked.headers["content-type"] == PROBLEM
        retry = int(locked.headers["retry-after"])
        assert 1 <= retry <= 15 * 60 + 1
        assert locked.json()["retry_after"] == retry
        assert "account" in locked.json()["detail"]
    assert sign_in(client, "township").status_code == 200  # other accounts are unaffected

    clock.advance(minutes=15, seconds=1)
    assert sign_in(client, "village").status_code == 200


def test_a_success_clears_the_accounts_failures(world: World) -> None:
    client = world.client(login_failures_per_account=2, login_failures_per_address=100)
    assert_401(sign_in(client, "village", "wrong-password"))
    assert sign_in(client, "village").status_code == 200
    assert_401(sign_in(client, "village", "wrong-password"))
    assert sign_in(client, "village").status_code == 200


def test_failed_logins_from_one_address_lock_that_address(world: World, clock: Clock) -> None:
    client = world.client(login_failures_per_account=100, login_failures_per_address=3)
    for name in ("nobody.one", "nobody.two", "village"):
        assert_401(sign_in(client, name, "wrong-password"))
    locked = sign_in(client, "township")  # another account, from the same address
    assert locked.status_code == 429, locked.text
    assert "address" in locked.json()["detail"]
    assert int(locked.headers["retry-after"]) >= 1
    clock.advance(minutes=16)
    assert sign_in(client, "township").status_code == 200


# -- one-time passwords --------------------------------------------------------------------------
# Endpoints a signed-in user with a one-time password may still call: everything else is the policy's.
_BEFORE_POLICY = {"login", "token", "refresh", "logout", "password"}


def _policy_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path with placeholders filled) of every /api/v1 endpoint behind the policy."""
    found = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        if not path.startswith("/api/v1/") or path.rsplit("/", 1)[-1] in _BEFORE_POLICY:
            continue
        filled = re.sub(r"\{username\}", "demo.name", path)
        filled = re.sub(r"\{[a-z_]+\}", "01ABC", filled)
        found += [(method.upper(), filled) for method in operations]
    return found


def test_a_new_user_must_change_the_one_time_password_before_anything_else(
    world: World, client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    created = client.post(
        "/api/v1/users",
        headers=headers("admin"),
        json={
            "username": "new.worker",
            "display_name": "新网格员",
            "roles": ["village_worker"],
            "area_codes": [world.scenario.village],
        },
    )
    assert created.status_code == 201, created.text
    one_time = created.json()["one_time_password"]
    assert len(one_time) >= 12 and created.json()["user"]["must_change_password"] is True

    pair = sign_in(client, "new.worker", one_time).json()
    assert pair["password_change_required"] is True
    first = bearer(pair["access_token"])
    routes = _policy_routes(client)
    assert ("GET", "/api/v1/households") in routes and ("GET", "/api/v1/auth/me") in routes
    assert ("POST", "/api/v1/users") in routes and ("PATCH", "/api/v1/households/01ABC") in routes
    for method, path in routes:
        response = client.request(method, path, headers=first, json={})
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["title"] == "Password change required"

    change = "/api/v1/auth/password"
    short = client.post(change, headers=first, json={"current_password": one_time, "new_password": "short"})
    assert short.status_code in (409, 422), short.text
    assert short.json()["field"] == "new_password"
    assert "short" not in short.text  # the password is never echoed
    same = client.post(change, headers=first, json={"current_password": one_time, "new_password": one_time})
    assert same.status_code == 409 and same.json()["field"] == "new_password"
    wrong = client.post(
        change, headers=first, json={"current_password": "not-it-at-all", "new_password": "A-new-pass-123"}
    )
    assert wrong.status_code == 403 and wrong.json()["field"] == "current_password"  # the token is fine

    done = client.post(
        change, headers=first, json={"current_password": one_time, "new_password": "A-new-pass-123"}
    )
    assert done.status_code == 204, done.text
    assert client.get(ME, headers=first).status_code == 200  # this session goes on
    assert client.get("/api/v1/households", headers=first).status_code == 200
    assert_401(sign_in(world.client(), "new.worker", one_time))
    again = sign_in(client, "new.worker", "A-new-pass-123").json()
    assert again["password_change_required"] is False


def test_a_reset_password_ends_sessions_and_requires_a_change(
    world: World, client: TestClient, headers: Callable[[str], dict[str, str]], new_user: Callable[..., str]
) -> None:
    name = new_user()
    old = login(client, name)
    reset = client.post(f"/api/v1/users/{name}/reset-password", headers=headers("admin"))
    assert reset.status_code == 200, reset.text
    assert_401(client.get(ME, headers=old))
    pair = sign_in(client, name, reset.json()["one_time_password"]).json()
    assert pair["password_change_required"] is True
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 403
