"""Exactly one of 200 concurrent claims of one pool task wins, in every store; the rest get 409.

200 real threads, released together by a barrier, each claim in its own managed transaction through
the routing service (the same call the HTTP route makes). The embedded store always; Neo4j too when
ZHULIAN_NEO4J_URI is set (its database is emptied and the world built in it for this module).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from graph.errors import ZhulianError
from graph.model import ReferralHop, StatusChange
from graph.model.enums import HopStatus
from graph.store import where
from referral.access.policy import Policy
from referral.routing import service
from tests.api.conftest import STORES, World, neo4j_world
from tests.referral.test_workflow import actors, pool_task

CLAIMS = 200


@pytest.fixture(scope="module", params=STORES)
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    if request.param == "sqlite":
        yield request.getfixturevalue("copied_world")
        return
    with neo4j_world() as built:
        yield built


def test_one_of_two_hundred_concurrent_claims_wins(world: World) -> None:
    a, now = actors(world), world.clock.now
    _need, hop_id = pool_task(world, a, now)
    barrier = threading.Barrier(CLAIMS)

    def claim(i: int) -> tuple[str, int, str]:
        principal = a.charities[i % len(a.charities)]
        barrier.wait()
        try:
            view = world.store.run(lambda uow: service.claim(uow, Policy(principal, now), hop_id))
        except ZhulianError as exc:
            return "refused", exc.status_code, exc.message
        return "won", 200, view.hop.assignee_id or ""

    with ThreadPoolExecutor(max_workers=CLAIMS) as pool:
        results = list(pool.map(claim, range(CLAIMS)))
    winners = [r for r in results if r[0] == "won"]
    losers = [r for r in results if r[0] == "refused"]
    assert len(winners) == 1 and len(losers) == CLAIMS - 1
    assert {r[1] for r in losers} == {409}
    assert {r[2] for r in losers} == {service.ALREADY_CLAIMED}, {r[2] for r in losers}

    def stored(uow: object) -> tuple[ReferralHop, int]:
        hop = uow.require(ReferralHop, hop_id)  # type: ignore[attr-defined]
        changes = uow.count(StatusChange, where(subject_id=hop_id, to_status="accepted"))  # type: ignore[attr-defined]
        return hop, changes

    hop, accepted_changes = world.store.run(stored, write=False)
    assert hop.status is HopStatus.ACCEPTED and hop.assignee_id == winners[0][2] and hop.version == 2
    assert accepted_changes == 1
