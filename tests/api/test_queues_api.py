"""Home-page queues through the API: due today (to the end of the Asia/Shanghai day, to the second),
and every open queue, the escalated one included, ordered by the deadline each task works to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.model import Need, Referral, ReferralHop
from graph.model.enums import AllianceLevel, HopStatus
from graph.store import UnitOfWork, where
from referral.tracking.lateness import OPEN_HOP_STATUSES
from referral.tracking.queues import end_of_local_day
from tests.api.conftest import Clock, World

Headers = Callable[[str], dict[str, str]]
S = HopStatus
# 16:00 in Shanghai: the local day ends at 16:00 UTC.
NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DAY_ENDS = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    return copied_world


@pytest.fixture
def at_now(world: World) -> Iterator[Clock]:
    start = world.clock.now
    world.clock.now = NOW
    try:
        yield world.clock
    finally:
        world.clock.now = start


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _queue(client: TestClient, headers: Headers, user: str, kind: str) -> Any:
    response = client.get(f"/api/v1/queues/{kind}", params={"limit": 200}, headers=headers(user))
    assert response.status_code == 200, response.text
    return response.json()


def _set_hops(world: World, changes: list[dict[str, Any]]) -> list[str]:
    """Give open hops of the scenario's township these statuses and deadlines (test setup only)."""

    def run(uow: UnitOfWork) -> list[str]:
        hops: list[ReferralHop] = []
        for need in uow.find(Need, where(village_code__prefix=world.scenario.township[:9])):
            for referral in uow.find(Referral, where(need_id=need.id)):
                hops += uow.find(
                    ReferralHop, where(referral_id=referral.id, status__in=sorted(OPEN_HOP_STATUSES))
                )
        assert len(hops) >= len(changes), "the township has enough open tasks"
        for hop, update in zip(hops, changes, strict=False):
            uow.upsert(hop.model_copy(update=update))
        return [h.id for h in hops[: len(changes)]]

    return world.store.run(run)


def test_the_local_day_ends_at_shanghai_midnight() -> None:
    assert end_of_local_day(NOW) == DAY_ENDS
    assert end_of_local_day(DAY_ENDS - SECOND) == DAY_ENDS
    assert end_of_local_day(DAY_ENDS) == DAY_ENDS + timedelta(days=1)


def test_due_today_runs_to_the_end_of_the_local_day(
    world: World, client: TestClient, headers: Headers, at_now: Clock
) -> None:
    later = NOW + timedelta(days=5)
    working = {"status": S.IN_PROGRESS, "accept_due_at": None}
    last_second, midnight, overdue, accept_today, early = _set_hops(
        world,
        [
            working | {"due_at": DAY_ENDS - SECOND},
            working | {"due_at": DAY_ENDS},
            working | {"due_at": NOW - SECOND},
            {"status": S.REQUESTED, "accept_due_at": NOW + timedelta(hours=2), "due_at": later},
            working | {"due_at": NOW},  # due this very instant: not yet overdue
        ],
    )
    body = _queue(client, headers, "township", "due_today")
    ids = [i["hop_id"] for i in body["items"]]
    assert _at(body["day_ends_at"]) == DAY_ENDS
    assert {last_second, accept_today, early} <= set(ids)
    assert midnight not in ids and overdue not in ids
    for item in body["items"]:
        assert not item["overdue"]
        assert NOW <= _at(item["deadline"]) < DAY_ENDS  # type: ignore[operator]
    deadlines = [_at(i["deadline"]) for i in body["items"]]
    assert deadlines == sorted(deadlines)  # type: ignore[type-var]
    item = next(i for i in body["items"] if i["hop_id"] == accept_today)
    assert _at(item["deadline"]) == NOW + timedelta(hours=2)  # the acceptance deadline, not due_at
    assert overdue in {i["hop_id"] for i in _queue(client, headers, "township", "overdue")["items"]}
    elsewhere = {i["hop_id"] for i in _queue(client, headers, "fartownship", "due_today")["items"]}
    assert not elsewhere & {last_second, accept_today, early}
    provider = _queue(client, headers, "provider", "due_today")
    assert all(i["assignee_id"] == world.scenario.provider_org for i in provider["items"])


def test_escalated_queue_is_ordered_by_the_deadline_missed(
    world: World, client: TestClient, headers: Headers, at_now: Clock
) -> None:
    """A task not accepted in time is ordered by its acceptance deadline, not its later due_at."""
    escalated = {"escalation_level": AllianceLevel.COUNTY, "escalated_at": NOW}
    not_accepted, not_done = _set_hops(
        world,
        [
            escalated
            | {
                "status": S.REQUESTED,
                "accept_due_at": NOW - timedelta(days=2),
                "due_at": NOW + timedelta(days=5),
            },
            escalated | {"status": S.IN_PROGRESS, "accept_due_at": None, "due_at": NOW - timedelta(days=1)},
        ],
    )
    body = _queue(client, headers, "coordinator", "escalated")
    ids = [i["hop_id"] for i in body["items"]]
    assert ids.index(not_accepted) < ids.index(not_done)
    deadlines = [_at(i["deadline"]) for i in body["items"]]
    assert None not in deadlines and deadlines == sorted(deadlines)  # type: ignore[type-var]
    for kind in ("mine", "area", "overdue"):
        items = _queue(client, headers, "coordinator", kind)["items"]
        known = [_at(i["deadline"]) for i in items if i["deadline"]]
        assert known == sorted(known), kind  # type: ignore[type-var]
