"""What each role sees of the same household, how consent opens a provider's view, and the audit of it.

Area staff see their households' private data per role (a village worker never the ID number); a
department liaison sees name and ID number of its assigned household; a provider sees masked values
until the household consents for its organisation, and masked again once the consent is revoked or
has run out. Every response showing private data unmasked appends a `read_pii` audit entry naming
the household; a masked-only response appends none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.model import AuditEntry, Person
from graph.store import where
from tests.api.conftest import World, login

MASKED_ID = re.compile(r"^[0-9]{4}\*{10}[0-9]{3}[0-9X]$")
MASKED_PHONE = re.compile(r"^[0-9]{3}\*+[0-9]{4}$|^[0-9]+-\*+[0-9]{4}$")
Headers = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    return copied_world


def _members(world: World, household_id: str) -> dict[str, Person]:
    found = world.store.run(lambda uow: uow.find(Person, where(household_id=household_id)), write=False)
    return {p.id: p for p in found}


def _pii_reads(world: World, household_id: str) -> list[AuditEntry]:
    entries = world.store.run(lambda uow: uow.find(AuditEntry, where(object_id=household_id)), write=False)
    return [e for e in entries if e.action == "read_pii"]


def _read(client: TestClient, headers: dict[str, str], household_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/households/{household_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _assert_unmasked(body: dict[str, Any], members: dict[str, Person], *fields: str) -> None:
    for view in body["members"]:
        person = members[view["id"]].model_dump(mode="json")
        for name in fields:
            assert view[name] == person[name], name
            assert name not in view["masked"]


def _assert_masked(body: dict[str, Any], members: dict[str, Person], *fields: str) -> None:
    for view in body["members"]:
        person = members[view["id"]]
        for name in fields:
            assert name in view["masked"], name
            actual = getattr(person, name)
            shown = view[name]
            if actual is None:
                assert shown is None
                continue
            assert shown != actual, f"{name} shown unmasked"
            if name == "id_number":
                assert MASKED_ID.match(shown), shown
                assert shown[:4] == actual[:4] and shown[-4:] == actual[-4:]
            elif name == "phone":
                assert MASKED_PHONE.match(shown), shown
                assert shown[-4:] == actual[-4:]
            elif name == "name":
                assert shown == actual[0] + "*" * (len(actual) - 1) if len(actual) > 1 else "*"
            else:
                assert shown is None, name


FULL = ("name", "id_number", "phone", "birth_date", "health", "illnesses", "income_wage_fen")


@pytest.mark.parametrize("user", ["coordinator", "township", "socialworker"])
def test_area_staff_see_everything(world: World, client: TestClient, headers: Headers, user: str) -> None:
    hid = world.scenario.hh_provider
    before = len(_pii_reads(world, hid))
    body = _read(client, headers(user), hid)
    _assert_unmasked(body, _members(world, hid), *FULL)
    assert body["masked"] == []
    assert body["address"] is not None and body["income"] is not None
    assert len(_pii_reads(world, hid)) == before + 1


def test_village_worker_never_sees_id_numbers(world: World, client: TestClient, headers: Headers) -> None:
    hid = world.scenario.hh_provider
    members = _members(world, hid)
    assert any(p.id_number for p in members.values())
    before = len(_pii_reads(world, hid))
    body = _read(client, headers("village"), hid)
    _assert_masked(body, members, "id_number", "id_number_raw", "birth_date")
    _assert_unmasked(body, members, "name", "phone")
    assert body["address"] is not None
    entries = _pii_reads(world, hid)
    assert len(entries) == before + 1
    scopes = json.loads(entries[-1].changes_json)["scopes"]
    assert "id_number" not in str(scopes)
    assert entries[-1].actor == "user:village"


def test_village_worker_may_not_search_by_id_number(
    world: World, client: TestClient, headers: Headers
) -> None:
    number = next(p.id_number for p in _members(world, world.scenario.hh_provider).values() if p.id_number)
    refused = client.get("/api/v1/households", params={"id_number": number}, headers=headers("village"))
    assert refused.status_code == 403
    assert number not in refused.text and world.scenario.hh_provider not in refused.text
    allowed = client.get("/api/v1/households", params={"id_number": number}, headers=headers("township"))
    assert allowed.status_code == 200
    assert [i["id"] for i in allowed.json()["items"]] == [world.scenario.hh_provider]


def test_liaison_sees_name_and_id_number_only(world: World, client: TestClient, headers: Headers) -> None:
    hid = world.scenario.hh_department
    members = _members(world, hid)
    before = len(_pii_reads(world, hid))
    body = _read(client, headers("liaison"), hid)
    assert body["access"] == "assignment"
    _assert_unmasked(body, members, "name", "id_number")
    _assert_masked(body, members, "phone", "health", "illnesses", "income_wage_fen")
    assert body["address"] is None and body["income"] is None
    assert body["masked"] == ["address", "income"]
    assert len(_pii_reads(world, hid)) == before + 1


def _provider_is_masked(world: World, client: TestClient, headers: dict[str, str]) -> None:
    hid = world.scenario.hh_provider
    members = _members(world, hid)
    before = len(_pii_reads(world, hid))
    body = _read(client, headers, hid)
    _assert_masked(body, members, *FULL)
    assert body["address"] is None and body["income"] is None
    assert body["masked"] == ["address", "income"]
    assert len(_pii_reads(world, hid)) == before, "a masked-only response was audited as a PII read"


def _consent(
    client: TestClient, headers: Headers, household_id: str, org: str, **extra: Any
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/households/{household_id}/consents",
        json={"organisation_id": org, "scopes": ["name", "phone"], "purpose": "服务对接", **extra},
        headers=headers("coordinator"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _revoke(client: TestClient, headers: Headers, household_id: str, consent_id: str) -> None:
    response = client.post(
        f"/api/v1/households/{household_id}/consents/{consent_id}/revoke",
        json={"reason": "户主撤回"},
        headers=headers("coordinator"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False


def _other_provider_sees_nothing(world: World, client: TestClient, headers: Headers) -> None:
    hid = world.scenario.hh_provider
    response = client.get(f"/api/v1/households/{hid}", headers=headers("otherprovider"))
    assert response.status_code == 404
    for person in _members(world, hid).values():
        assert person.name not in response.text


def test_provider_consent_lifecycle(world: World, client: TestClient, headers: Headers) -> None:
    """Masked, unmasked by consent (name and phone only), masked again after revoking."""
    scenario = world.scenario
    hid = scenario.hh_provider
    members = _members(world, hid)
    _provider_is_masked(world, client, headers("provider"))
    _other_provider_sees_nothing(world, client, headers)

    # A consent for another provider opens nothing to this one.
    other = _consent(client, headers, hid, scenario.other_provider_org)
    _provider_is_masked(world, client, headers("provider"))
    _other_provider_sees_nothing(world, client, headers)

    consent = _consent(client, headers, hid, scenario.provider_org)
    before = len(_pii_reads(world, hid))
    body = _read(client, headers("provider"), hid)
    _assert_unmasked(body, members, "name", "phone")
    _assert_masked(body, members, "id_number", "birth_date", "health", "income_wage_fen")
    assert body["address"] is None and body["income"] is None
    assert [c["organisation_id"] for c in body["consents"]] == [scenario.provider_org]
    entries = _pii_reads(world, hid)
    assert len(entries) == before + 1
    assert entries[-1].actor == "user:provider"
    assert json.loads(entries[-1].changes_json)["scopes"] == ["name", "phone"]
    _other_provider_sees_nothing(world, client, headers)

    _revoke(client, headers, hid, consent["id"])
    _revoke(client, headers, hid, other["id"])
    _provider_is_masked(world, client, headers("provider"))


def test_provider_consent_runs_out(world: World, client: TestClient, headers: Headers) -> None:
    """A consent valid until tomorrow opens the view today and no longer the day after."""
    scenario = world.scenario
    hid = scenario.hh_provider
    tomorrow = (world.clock.now + timedelta(days=1)).date()
    consent = _consent(client, headers, hid, scenario.provider_org, valid_until=tomorrow.isoformat())
    body = _read(client, headers("provider"), hid)
    _assert_unmasked(body, _members(world, hid), "name", "phone")
    start = world.clock.now
    try:
        world.clock.advance(days=1)
        body = _read(client, login(client, "provider"), hid)  # the last valid day
        _assert_unmasked(body, _members(world, hid), "name", "phone")
        world.clock.advance(days=1)
        _provider_is_masked(world, client, login(client, "provider"))
    finally:
        world.clock.now = start
    _revoke(client, headers, hid, consent["id"])


def test_search_names_are_audited(world: World, client: TestClient, headers: Headers) -> None:
    """A search page showing head names unmasked is one audit entry listing the households shown."""
    response = client.get("/api/v1/households", params={"limit": 5}, headers=headers("village"))
    assert response.status_code == 200
    shown = [item["id"] for item in response.json()["items"]]
    assert shown
    entries = world.store.run(lambda uow: uow.find(AuditEntry, where(object_id="search")), write=False)
    latest = max(entries, key=lambda e: e.seq)
    assert latest.action == "read_pii_list" and latest.actor == "user:village"
    assert json.loads(latest.changes_json)["households"] == shown


def test_update_response_is_audited_as_a_pii_read(world: World, client: TestClient, headers: Headers) -> None:
    """PATCH answers with the household unmasked: that read is audited like a GET."""
    hid = world.scenario.hh_provider
    read = client.get(f"/api/v1/households/{hid}", headers=headers("township"))
    before = len(_pii_reads(world, hid))
    response = client.patch(
        f"/api/v1/households/{hid}",
        json={"housing_safe": read.json()["housing_safe"]},
        headers={**headers("township"), "If-Match": read.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["members"][0]["masked"] == []
    assert len(_pii_reads(world, hid)) == before + 1
