"""Tracking through the API on the seeded county: queues per role, figures, traces and their scope."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from graph.model import AllianceBody, AuditEntry, Need, Referral, ReferralHop
from graph.model.enums import AllianceLevel, HopStatus
from graph.store import UnitOfWork, where
from referral.tracking.lateness import OPEN_HOP_STATUSES
from tests.api.conftest import World

Headers = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    return copied_world


def _queue(client: TestClient, headers: Headers, user: str, kind: str, **params: int) -> dict:  # type: ignore[type-arg]
    response = client.get(f"/api/v1/queues/{kind}", params=params, headers=headers(user))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_mine_is_the_tasks_of_my_body_or_organisation(
    world: World, client: TestClient, headers: Headers
) -> None:
    township_body = world.store.run(
        lambda uow: uow.find(AllianceBody, where(area_code=world.scenario.township))[0], write=False
    )
    mine = _queue(client, headers, "township", "mine", limit=200)
    assert mine["total"] > 0
    assert {i["assignee_id"] for i in mine["items"]} == {township_body.id}
    assert all(i["status"] in OPEN_HOP_STATUSES for i in mine["items"])
    provider = _queue(client, headers, "provider", "mine", limit=200)
    assert all(i["assignee_id"] == world.scenario.provider_org for i in provider["items"])
    assert all(i["head_name"] is None and "head_name" in i["masked"] for i in provider["items"])


def test_area_queue_is_sorted_paged_and_in_my_area(
    world: World, client: TestClient, headers: Headers
) -> None:
    first = _queue(client, headers, "coordinator", "area", limit=5)
    second = _queue(client, headers, "coordinator", "area", limit=5, offset=5)
    assert first["total"] == second["total"] > 10
    items = first["items"] + second["items"]
    assert len({i["hop_id"] for i in items}) == 10
    deadlines = [_at(i["deadline"]) for i in items]
    assert deadlines == sorted(deadlines)
    assert all(i["village_code"].startswith(world.scenario.county[:6]) for i in items)
    assert all(i["head_name"] for i in items)  # area staff see names in their areas
    township = _queue(client, headers, "township", "area", limit=200)
    assert 0 < township["total"] < first["total"]
    assert all(i["village_code"].startswith(world.scenario.township[:9]) for i in township["items"])
    assert _queue(client, headers, "provider", "area")["total"] == 0


def test_overdue_and_done(world: World, client: TestClient, headers: Headers) -> None:
    now = world.clock.now
    overdue = _queue(client, headers, "coordinator", "overdue", limit=200)
    assert overdue["total"] > 0
    for item in overdue["items"]:
        assert item["overdue"] and item["late_hours"] > 0
        assert _at(item["due_at"]) < now or (item["accept_due_at"] and _at(item["accept_due_at"]) < now)
    area = _queue(client, headers, "coordinator", "area", limit=200)
    assert overdue["total"] == sum(1 for i in area["items"] if i["overdue"]) or area["total"] > 200
    done = _queue(client, headers, "coordinator", "done", limit=200)
    completed = [_at(i["completed_at"]) for i in done["items"]]
    assert all(now - timedelta(days=7) <= c <= now for c in completed)
    assert completed == sorted(completed, reverse=True)


def test_escalated_to_my_level_only(world: World, client: TestClient, headers: Headers) -> None:
    """A hop escalated to the township shows in the township officer's queue, not the village's."""
    township = world.scenario.township

    def escalate(uow: UnitOfWork) -> str:
        for need in uow.find(Need, where(village_code__prefix=township[:9])):
            for referral in uow.find(Referral, where(need_id=need.id)):
                open_hops = uow.find(
                    ReferralHop, where(referral_id=referral.id, status__in=sorted(OPEN_HOP_STATUSES))
                )
                if open_hops:
                    update = {"escalation_level": AllianceLevel.TOWNSHIP, "escalated_at": world.clock.now}
                    uow.upsert(open_hops[0].model_copy(update=update))
                    return open_hops[0].id
        raise AssertionError("no open hop in the township")

    hop_id = world.store.run(escalate)
    escalated = _queue(client, headers, "township", "escalated", limit=200)
    assert hop_id in {i["hop_id"] for i in escalated["items"]}
    assert all(i["escalation_level"] == "township" for i in escalated["items"])
    assert _queue(client, headers, "village", "escalated")["total"] == 0
    assert hop_id not in {i["hop_id"] for i in _queue(client, headers, "coordinator", "escalated")["items"]}
    assert _queue(client, headers, "fartownship", "escalated")["total"] == 0


def test_figures_per_role(world: World, client: TestClient, headers: Headers) -> None:
    params = {"from": "2025-01-01", "to": "2026-12-31"}
    county = client.get("/api/v1/figures/referrals", params=params, headers=headers("coordinator"))
    assert county.status_code == 200
    body = county.json()
    assert body["total"]["referrals"] == sum(r["referrals"] for r in body["rows"]) > 0
    assert all(len(r["key"]) == 12 and r["key"].endswith("000") for r in body["rows"])  # townships
    township = client.get(
        "/api/v1/figures/referrals", params={**params, "by": "level"}, headers=headers("township")
    ).json()
    assert {r["key"] for r in township["rows"]} <= {"county", "township", "village", "provider"}
    assert township["total"]["referrals"] < body["total"]["referrals"]
    auditor = client.get("/api/v1/figures/referrals", params=params, headers=headers("auditor"))
    assert auditor.status_code == 200 and auditor.json()["total"] == body["total"]
    wrong = client.get(
        "/api/v1/figures/referrals",
        params={"from": "2026-02-01", "to": "2026-01-01"},
        headers=headers("auditor"),
    )
    assert wrong.status_code == 200 and wrong.json()["total"]["referrals"] == 0  # an empty period
    not_a_day = client.get("/api/v1/figures/referrals", params={"to": "0"}, headers=headers("auditor"))
    assert not_a_day.status_code == 422
    assert client.get("/api/v1/figures/referrals", headers=headers("provider")).status_code == 403


def test_trace_of_a_household_and_a_need(world: World, client: TestClient, headers: Headers) -> None:
    hid = world.scenario.hh_provider
    full = client.get(f"/api/v1/households/{hid}/trace", headers=headers("township"))
    assert full.status_code == 200
    body = full.json()
    assert body["access"] == "area" and body["head_name"]
    kinds = {e["kind"] for e in body["timeline"]}
    assert {"need_reported", "referral_created", "hop_status"} <= kinds
    need_id = next(n["id"].split(":", 1)[1] for n in body["graph"]["nodes"] if n["label"] == "Need")
    one = client.get(f"/api/v1/needs/{need_id}/trace", headers=headers("township"))
    assert one.status_code == 200 and one.json()["need_id"] == need_id
    own = client.get(f"/api/v1/households/{hid}/trace", headers=headers("provider")).json()
    assert own["access"] == "assignment" and own["head_name"] is None
    own_referrals = {n["id"] for n in own["graph"]["nodes"] if n["label"] == "Referral"}
    all_referrals = {n["id"] for n in body["graph"]["nodes"] if n["label"] == "Referral"}
    assert own_referrals <= all_referrals and own_referrals
    for user in ("fartownship", "otherprovider"):
        assert client.get(f"/api/v1/households/{hid}/trace", headers=headers(user)).status_code == 404
    assert client.get(f"/api/v1/households/{hid}/trace", headers=headers("auditor")).status_code == 403
    hop_statuses = {n["status"] for n in body["graph"]["nodes"] if n["label"] == "ReferralHop"}
    assert hop_statuses <= {s.value for s in HopStatus}


def test_a_queue_page_with_names_is_audited_once(world: World, client: TestClient, headers: Headers) -> None:
    """A page that shows heads' names appends one read_pii_list entry naming its households."""

    def queue_entries(uow: UnitOfWork) -> list[AuditEntry]:
        return uow.find(AuditEntry, where(object_id="queue"))

    before = len(world.store.run(queue_entries, write=False))
    response = client.get("/api/v1/queues/area", params={"limit": 20}, headers=headers("coordinator"))
    assert response.status_code == 200
    named = {i["household_id"] for i in response.json()["items"] if i.get("head_name")}
    assert named
    entries = world.store.run(queue_entries, write=False)
    assert len(entries) == before + 1
    assert set(json.loads(entries[-1].changes_json)["households"]) == named
