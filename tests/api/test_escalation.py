"""The deadline check with a controlled clock, through POST /escalation/run and the server's schedule.

Tokens live 15 minutes of the app's clock, so each call signs in afresh after the clock moves.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Clock, World, login
from tests.api.test_referrals_api import add_charity_users
from tests.referral.test_workflow import actors, pool_task

API = "/api/v1"


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    add_charity_users(copied_world)
    return copied_world


def test_claimed_not_started_goes_back_and_overdue_escalates_once(
    world: World, client: TestClient, clock: Clock
) -> None:
    a = actors(world)
    _need, hop_id = pool_task(world, a, clock.now, urgency="general")
    claimed = client.post(f"{API}/tasks/{hop_id}/claim", headers=login(client, "charity1"))
    assert claimed.status_code == 200, claimed.text
    assert client.post(f"{API}/escalation/run", headers=login(client, "charity1")).status_code == 403

    clock.advance(days=2, minutes=1)  # general: start within 2 days of the claim
    first = client.post(f"{API}/escalation/run", headers=login(client, "coordinator"))
    assert first.status_code == 200, first.text
    mine = [x for x in first.json()["actions"] if x["hop_id"] == hop_id]
    assert [x["action"] for x in mine] == ["returned_to_pool"]
    again = client.post(f"{API}/escalation/run", headers=login(client, "admin")).json()
    assert not [x for x in again["actions"] if x["hop_id"] == hop_id]

    pool = client.get(f"{API}/tasks/pool", headers=login(client, "charity1")).json()
    assert pool["returned_to_pool"] == 1 and hop_id in {t["hop"]["id"] for t in pool["tasks"]}
    notes = client.get(f"{API}/notifications", headers=login(client, "charity1")).json()["items"]
    assert "returned_to_pool" in {n["kind"] for n in notes}
    task = client.get(f"{API}/tasks/{hop_id}", headers=login(client, "township")).json()
    assert task["hop"]["changes"][-1]["reason_code"] == "not_started"

    clock.advance(days=5)  # past the completion deadline (7 days, general), still in the pool
    late = client.post(f"{API}/escalation/run", headers=login(client, "coordinator")).json()
    assert [(x["action"], x["level"]) for x in late["actions"] if x["hop_id"] == hop_id] == [
        ("escalated", "township")
    ]
    escalated = client.get(f"{API}/notifications", headers=login(client, "township")).json()["items"]
    assert any(n["kind"] == "escalated" and n["subject_id"] == hop_id for n in escalated)
    repeat = client.post(f"{API}/escalation/run", headers=login(client, "coordinator")).json()
    assert not [x for x in repeat["actions"] if x["hop_id"] == hop_id]


@pytest.mark.parametrize("minutes", [0, 5])
def test_the_server_starts_and_stops_its_schedule(world: World, minutes: int) -> None:
    app = world.app(escalation_interval_minutes=minutes)
    with TestClient(app) as running:
        assert running.get("/health").status_code == 200
    assert timedelta(minutes=minutes) >= timedelta(0)
