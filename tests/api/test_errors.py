"""Every error is RFC 9457 problem+json that names what was wrong, and never leaks internals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from referral.registry import service as registry
from tests.api.conftest import World

PROBLEM = "application/problem+json"
FIELDS = ("type", "title", "status", "detail", "instance")

Headers = Callable[[str], dict[str, str]]


def problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert all(body.get(name) not in (None, "") for name in FIELDS), body
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    return body


def named(body: dict[str, Any]) -> dict[str, Any]:
    """The field errors of a 422 by field name."""
    return {e["field"]: e for e in body["errors"]}


@pytest.mark.parametrize(
    ("query", "field", "value"),
    [
        ("limit=0", "query:limit", "0"),
        ("limit=201", "query:limit", "201"),
        ("risk_level=9", "query:risk_level", "9"),
        ("village=3607831", "query:village", "3607831"),
        ("category=rich", "query:category", "rich"),
        ("offset=-1", "query:offset", "-1"),
    ],
)
def test_invalid_query_values_are_named_with_the_value(
    client: TestClient, headers: Headers, query: str, field: str, value: str
) -> None:
    body = problem(client.get(f"/api/v1/households?{query}", headers=headers("township")), 422)
    assert field in body["detail"]
    assert named(body)[field]["value"] == value
    assert named(body)[field]["message"]


def test_a_patch_with_an_unknown_field_names_it(world: World, client: TestClient, headers: Headers) -> None:
    body = problem(
        client.patch(
            f"/api/v1/households/{world.scenario.hh_provider}",
            headers={**headers("township"), "If-Match": '"1"'},
            json={"colour": "red"},
        ),
        422,
    )
    assert named(body)["body:colour"]["value"] == "red"


def test_a_patch_with_a_grid_outside_the_village_names_grid_code(
    world: World, client: TestClient, headers: Headers
) -> None:
    url = f"/api/v1/households/{world.scenario.hh_provider}"
    read = client.get(url, headers=headers("township"))
    outside = world.scenario.far_township[:9] + "999" + "001"  # a well-formed grid of another place
    body = problem(
        client.patch(
            url,
            headers={**headers("township"), "If-Match": read.headers["etag"]},
            json={"grid_code": outside},
        ),
        422,
    )
    assert "body:grid_code" in named(body), body
    assert named(body)["body:grid_code"]["value"] == outside
    assert world.scenario.hh_provider not in str(body["errors"])  # nothing stored is echoed
    after = client.get(url, headers=headers("township"))
    assert after.headers["etag"] == read.headers["etag"]  # nothing was written


def test_a_malformed_json_body_is_a_named_422(world: World, client: TestClient, headers: Headers) -> None:
    response = client.patch(
        f"/api/v1/households/{world.scenario.hh_provider}",
        headers={**headers("township"), "If-Match": '"1"', "Content-Type": "application/json"},
        content=b'{"address": ',
    )
    body = problem(response, 422)
    assert body["errors"][0]["field"].startswith("body")


def test_a_huge_value_is_not_echoed_whole(client: TestClient, headers: Headers) -> None:
    body = problem(client.get("/api/v1/households?village=" + "9" * 5000, headers=headers("township")), 422)
    assert len(named(body)["query:village"]["value"]) <= 201
    assert len(str(body)) < 2_000


def test_an_unexpected_error_is_a_500_with_an_incident_id_and_no_internals(
    client: TestClient, headers: Headers, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret trace")

    monkeypatch.setattr(registry, "household_figures", broken)
    response = client.get("/api/v1/figures/households", headers=headers("township"))
    body = problem(response, 500)
    assert "incident" in body["detail"]
    incident = body["detail"].rsplit("incident ", 1)[1].rstrip(")")
    assert len(incident) >= 20
    for leak in ("secret trace", "Traceback", "RuntimeError", "registry", ".py"):
        assert leak not in response.text
    assert incident in caplog.text  # the log has what the response hides, under the same id


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    problem(client.get("/api/v1/no-such-thing"), 404)


def test_a_wrong_method_is_a_405_problem_with_allow(client: TestClient) -> None:
    response = client.delete("/api/v1/auth/login")
    problem(response, 405)
    assert "POST" in response.headers["allow"]


def test_an_unknown_household_is_a_404_problem(client: TestClient, headers: Headers) -> None:
    problem(client.get("/api/v1/households/01NOSUCHHOUSEHOLD", headers=headers("township")), 404)


def test_optimistic_concurrency_with_etag_and_if_match(
    world: World, client: TestClient, headers: Headers
) -> None:
    url = f"/api/v1/households/{world.scenario.hh_provider}"
    auth = headers("township")
    read = client.get(url, headers=auth)
    assert read.status_code == 200
    etag = read.headers["etag"]
    assert etag == f'"{read.json()["version"]}"'

    first = client.patch(url, headers={**auth, "If-Match": etag}, json={"medical_insured": True})
    assert first.status_code == 200, first.text
    new_etag = first.headers["etag"]
    assert new_etag != etag and first.json()["version"] == read.json()["version"] + 1

    late = client.patch(url, headers={**auth, "If-Match": etag}, json={"medical_insured": False})
    body = problem(late, 409)
    assert body["current_version"] == first.json()["version"]
    now = client.get(url, headers=auth)
    assert now.headers["etag"] == new_etag and now.json()["medical_insured"] is True

    missing = problem(client.patch(url, headers=auth, json={"medical_insured": False}), 428)
    assert "If-Match" in missing["detail"]
    bad = problem(client.patch(url, headers={**auth, "If-Match": "yesterday"}, json={"urban": True}), 428)
    assert "yesterday" in bad["detail"]
    assert client.get(url, headers=auth).headers["etag"] == new_etag


def test_auth_errors_are_problems_too(client: TestClient, headers: Headers) -> None:
    problem(client.get("/api/v1/households"), 401)
    problem(client.get("/api/v1/users", headers=headers("village")), 403)
    problem(client.post("/api/v1/auth/login", json={"username": "x"}), 422)
