"""The referral workflow through HTTP: a need from report to verified delivery.

A village worker reports a need, the county dispatches it, the township accepts it and offers it to
the open pool, one charity claims it (a second one's claim is 409), starts and completes it with a
delivery, and the township verifies: the referral is completed and the need met, and every step is a
StatusChange with its actor and time. Also: returns to the sender, giving a claimed task back to the
pool, reopening, cancelling, withdrawing.

All on the embedded store; the full lifecycle also on Neo4j when ZHULIAN_NEO4J_URI is set (a world
built in its emptied database for this module).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.model import AllianceBody, AuditEntry, Need, Organisation, ReferralHop, StatusChange
from graph.model.enums import NeedType, OrganisationKind, Role
from graph.store import UnitOfWork, where
from referral.access.tasks import organisation_serves
from referral.accounts import service as accounts
from tests.api.conftest import PASSWORD, STORES, World, header_cache, login, neo4j_world

API = "/api/v1"


def pick_charities(uow: UnitOfWork, village: str) -> list[str]:
    """Two active charities or social-work organisations serving the village."""
    orgs = uow.find(Organisation, where(kind__in=[OrganisationKind.CHARITY, OrganisationKind.SOCIAL_WORK]))
    found = [o.id for o in orgs if organisation_serves(o, village)]
    assert len(found) >= 2, "the seed has fewer than two charities serving the village"
    return found[:2]


def add_charity_users(world: World) -> list[str]:
    """Users `charity1` and `charity2` of two charities serving the scenario's village."""
    orgs = world.store.run(lambda uow: pick_charities(uow, world.scenario.village), write=False)

    def add(uow: UnitOfWork) -> None:
        for i, org in enumerate(orgs, 1):
            accounts.add_user(
                uow,
                username=f"charity{i}",
                display_name=f"charity{i}",
                roles=[Role.PROVIDER],
                area_codes=[world.scenario.county],
                organisation_id=org,
                password=PASSWORD,
                actor="test:setup",
                now=world.clock.now,
            )

    world.store.run(add)
    return orgs


def free_need_type(world: World, household_id: str, taken: set[NeedType] | None = None) -> NeedType:
    """A need type the household has no open need of (so a report makes a new need)."""

    def find(uow: UnitOfWork) -> NeedType:
        open_types = {
            n.type for n in uow.find(Need, where(household_id=household_id, status__in=["open", "referred"]))
        }
        return next(t for t in NeedType if t not in open_types and t not in (taken or set()))

    return world.store.run(find, write=False)


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    copied_world.scenario.users["charities"] = Role.PROVIDER  # marker: added once per module
    add_charity_users(copied_world)
    return copied_world


Call = Callable[..., Any]


def caller(client: TestClient, headers: Callable[[str], dict[str, str]]) -> Call:
    """`call(user, method, path, json=..., expect=200)` -> the JSON body (asserts the status)."""

    def do(user: str, method: str, path: str, *, json: Any = None, expect: int = 200) -> Any:
        response = client.request(method, API + path, json=json, headers=headers(user))
        assert response.status_code == expect, (method, path, user, response.text)
        return response.json()

    return do


@pytest.fixture(scope="module")
def call(client: TestClient, headers: Callable[[str], dict[str, str]]) -> Call:
    """`call(user, method, path, json=..., expect=200)` on this module's world."""
    return caller(client, headers)


@pytest.fixture(scope="module", params=STORES)
def any_store(request: pytest.FixtureRequest) -> Iterator[tuple[World, Call]]:
    """(world, call) on each store: this module's embedded world, or one built in Neo4j."""
    if request.param == "sqlite":
        yield request.getfixturevalue("world"), request.getfixturevalue("call")
        return
    with neo4j_world() as built:
        add_charity_users(built)
        client = built.client()
        yield built, caller(client, header_cache(client))


def report_and_dispatch(world: World, call: Call, *, urgency: str = "urgent") -> tuple[str, dict[str, Any]]:
    """A new need of the provider's household, dispatched by the county: (need id, referral)."""
    hh = world.scenario.hh_provider
    kind = free_need_type(world, hh)
    need = call(
        "village",
        "POST",
        "/needs",
        json={
            "household_id": hh,
            "type": kind.value,
            "urgency": urgency,
            "description": "行动不便，需要照护",
            "channel": "home_visit",
        },
        expect=201,
    )
    referral = call("coordinator", "POST", f"/needs/{need['id']}/referrals", json={}, expect=201)
    return need["id"], referral


def test_full_lifecycle_from_report_to_verified_delivery(any_store: tuple[World, Call]) -> None:
    world, call = any_store
    hh = world.scenario.hh_provider
    kind = free_need_type(world, hh)
    body = {
        "household_id": hh,
        "type": kind.value,
        "urgency": "general",
        "description": "独居老人，需上门照护",
    }
    need = call("village", "POST", "/needs", json=body, expect=201)
    assert need["status"] == "open" and need["report_count"] == 1
    again = call("village", "POST", "/needs", json=body | {"urgency": "urgent"}, expect=201)
    assert again["id"] == need["id"] and again["report_count"] == 2 and again["urgency"] == "urgent"

    referral = call("coordinator", "POST", f"/needs/{need['id']}/referrals", json={}, expect=201)
    (hop1,) = referral["hops"]
    assert hop1["status"] == "requested" and hop1["assignee_label"] == "AllianceBody"
    assert hop1["due_at"] and hop1["accept_due_at"]
    assert call("village", "GET", f"/needs/{need['id']}")["status"] == "referred"

    call("township", "POST", f"/tasks/{hop1['id']}/receive")
    call("township", "POST", f"/tasks/{hop1['id']}/accept")
    offered = call("township", "POST", f"/tasks/{hop1['id']}/offer", json={"note": "请认领"}, expect=201)
    hop1_done, hop2 = offered["hops"]
    assert hop1_done["status"] == "completed"
    assert hop2["status"] == "ready" and hop2["assignee_id"] is None
    assert hop2["pool_area_code"] == world.scenario.township

    pool = call("charity1", "GET", "/tasks/pool")
    listed = next(t for t in pool["tasks"] if t["hop"]["id"] == hop2["id"])
    assert listed["need_description"] is None and listed["access"] == ["pool"]
    assert listed["household"]["address"] is None and "address" in listed["household"]["masked"]
    claimed = call("charity1", "POST", f"/tasks/{hop2['id']}/claim")
    assert claimed["hop"]["status"] == "accepted" and claimed["hop"]["assignee_label"] == "Organisation"
    lost = call("charity2", "POST", f"/tasks/{hop2['id']}/claim", expect=409)
    assert "已被" in lost["detail"] and "claimed" in lost["detail"]

    call("charity1", "POST", f"/tasks/{hop2['id']}/start")
    done = call(
        "charity1",
        "POST",
        f"/tasks/{hop2['id']}/complete",
        json={
            "kind": "service",
            "units": 4,
            "unit_name": "次",
            "delivered_on": "2026-11-03",
            "note": "上门4次",
        },
    )
    assert done["hop"]["status"] == "completed" and len(done["hop"]["deliveries"]) == 1
    notes = call("township", "GET", "/notifications")["items"]
    assert {"task_assigned", "verify_requested"} <= {n["kind"] for n in notes}

    closed = call("township", "POST", f"/referrals/{referral['id']}/verify", json={"result": "resolved"})
    assert closed["status"] == "completed" and closed["verified_by"] == "user:township"
    assert closed["completed_at"] and closed["outcomes"][0]["result"] == "resolved"
    assert call("village", "GET", f"/needs/{need['id']}")["status"] == "met"

    trail = call("coordinator", "GET", f"/referrals/{referral['id']}")
    steps = [[(c["from_status"], c["to_status"], c["by"]) for c in h["changes"]] for h in trail["hops"]]
    assert steps == [
        [
            (None, "requested", "user:coordinator"),
            ("requested", "received", "user:township"),
            ("received", "accepted", "user:township"),
            ("accepted", "in-progress", "user:township"),
            ("in-progress", "completed", "user:township"),
        ],
        [
            (None, "ready", "user:township"),
            ("ready", "accepted", "user:charity1"),
            ("accepted", "in-progress", "user:charity1"),
            ("in-progress", "completed", "user:charity1"),
        ],
    ]
    assert all(c["at"] for h in trail["hops"] for c in h["changes"])
    need_changes = world.store.run(
        lambda uow: [
            (c.from_status, c.to_status) for c in uow.find(StatusChange, where(subject_id=need["id"]))
        ],
        write=False,
    )
    assert sorted(need_changes, key=str) == sorted(
        [(None, "open"), ("open", "referred"), ("referred", "met")], key=str
    )


def test_township_rejects_and_the_need_returns_to_the_county(world: World, call: Call) -> None:
    need_id, referral = report_and_dispatch(world, call)
    hop = referral["hops"][0]["id"]
    bad = call(
        "township", "POST", f"/tasks/{hop}/reject", json={"reason_code": "nope", "reason": "x"}, expect=422
    )
    assert bad["errors"]
    call(
        "township", "POST", f"/tasks/{hop}/reject", json={"reason_code": "out_of_area", "reason": "不在本镇"}
    )
    assert call("village", "GET", f"/needs/{need_id}")["status"] == "open"
    assert call("coordinator", "GET", f"/referrals/{referral['id']}")["status"] == "cancelled"
    kinds = {n["kind"] for n in call("coordinator", "GET", "/notifications")["items"]}
    assert "task_returned" in kinds
    again = call("coordinator", "POST", f"/needs/{need_id}/referrals", json={}, expect=201)
    assert again["id"] != referral["id"]


def test_provider_rejects_the_township_routes_again_then_reopens(world: World, call: Call) -> None:
    need_id, referral = report_and_dispatch(world, call)
    hop1 = referral["hops"][0]["id"]
    call("township", "POST", f"/tasks/{hop1}/accept")
    wrong_side = call("charity1", "POST", f"/tasks/{hop1}/accept", expect=404)
    assert "not found" in wrong_side["detail"]
    org1 = world.store.run(lambda uow: pick_charities(uow, world.scenario.village), write=False)[0]
    routed = call("township", "POST", f"/tasks/{hop1}/assign", json={"organisation_id": org1}, expect=201)
    hop2 = routed["hops"][1]
    assert hop2["status"] == "requested" and hop2["assignee_id"] == org1
    # The township may not accept the provider's task for it.
    assert "接收方" in call("township", "POST", f"/tasks/{hop2['id']}/accept", expect=409)["detail"]
    call(
        "charity1",
        "POST",
        f"/tasks/{hop2['id']}/reject",
        json={"reason_code": "no_capacity", "reason": "满员"},
    )
    village_body = world.store.run(
        lambda uow: uow.find(AllianceBody, where(area_code=world.scenario.village))[0].id,
        write=False,
    )
    rerouted = call(
        "township", "POST", f"/tasks/{hop2['id']}/assign", json={"alliance_body_id": village_body}, expect=201
    )
    hop3 = rerouted["hops"][2]
    assert hop3["seq"] == 3 and hop3["assignee_id"] == village_body
    for action in ("accept", "start"):
        call("village", "POST", f"/tasks/{hop3['id']}/{action}")
    call("village", "POST", f"/tasks/{hop3['id']}/hold", json={"note": "等待家属"})
    call("village", "POST", f"/tasks/{hop3['id']}/resume")
    call(
        "village",
        "POST",
        f"/tasks/{hop3['id']}/complete",
        json={"kind": "cash", "amount_fen": 50000, "delivered_on": "2026-11-02"},
    )
    reopened = call(
        "township",
        "POST",
        f"/referrals/{referral['id']}/reopen",
        json={"reason_code": "incomplete", "reason": "金额不足"},
    )
    assert reopened["reopened_count"] == 1 and reopened["hops"][3]["assignee_id"] == village_body
    assert reopened["hops"][3]["changes"][0]["reason_code"] == "incomplete"
    # The referral records its own reopen: it stays active (it was never closed), with the reason.
    own = reopened["changes"][-1]
    assert (own["from_status"], own["to_status"], own["by"]) == ("active", "active", "user:township")
    assert (own["reason"], own["reason_code"]) == ("金额不足", "incomplete") and own["at"]
    timeline = call("township", "GET", f"/needs/{need_id}/trace")["timeline"]
    (shown,) = [e for e in timeline if e["kind"] == "referral_reopened"]
    assert (shown["subject_label"], shown["subject_id"]) == ("Referral", referral["id"])
    assert (shown["actor"], shown["at"], shown["reason"]) == ("user:township", own["at"], "金额不足")
    assert shown["summary_zh"] == "重新办理：办理不到位（金额不足）"
    assert shown["summary_en"] == "Reopened: Not delivered as needed (金额不足)"
    verify = call(
        "township", "POST", f"/referrals/{referral['id']}/verify", json={"result": "partial"}, expect=409
    )
    assert "open" in verify["detail"]


def test_a_provider_gives_a_claimed_task_back_to_the_pool(world: World, call: Call) -> None:
    """交回任务池: only the holder, before starting, with a reason; other providers may claim it again."""
    _need, referral = report_and_dispatch(world, call, urgency="general")
    hop1 = referral["hops"][0]["id"]
    call("township", "POST", f"/tasks/{hop1}/accept")
    hop2 = call("township", "POST", f"/tasks/{hop1}/offer", json={}, expect=201)["hops"][1]["id"]
    call("charity1", "POST", f"/tasks/{hop2}/claim")
    before = call("charity1", "GET", "/tasks/pool")
    why = {"reason_code": "no_capacity", "reason": "本周人手不足"}

    hidden = call("charity2", "POST", f"/tasks/{hop2}/release", json=why, expect=404)
    missing = call("charity2", "POST", "/tasks/01NOSUCHTASK/release", json=why, expect=404)
    assert hidden["detail"] == missing["detail"]
    call("township", "POST", f"/tasks/{hop2}/release", json=why, expect=403)
    call("charity1", "POST", f"/tasks/{hop2}/release", expect=422)  # the reason is required
    refused = call(
        "charity1", "POST", f"/tasks/{hop2}/release", json=why | {"reason_code": "not_started"}, expect=422
    )
    assert "not_started" in refused["detail"]

    released = call("charity1", "POST", f"/tasks/{hop2}/release", json=why)
    task = released["hop"]
    assert task["status"] == "ready" and task["assignee_id"] is None and task["reason_code"] == "no_capacity"
    assert released["access"] == ["pool"] and released["household"]["address"] is None  # masked again
    last = task["changes"][-1]
    assert (last["from_status"], last["to_status"], last["by"]) == ("accepted", "ready", "user:charity1")
    assert (last["reason"], last["reason_code"]) == ("本周人手不足", "no_capacity") and last["at"]
    entry = world.store.run(
        lambda uow: uow.find(AuditEntry, where(object_id=hop2, action="hop_ready")), write=False
    )
    assert [e.actor for e in entry] == ["user:charity1"]

    after = call("charity1", "GET", "/tasks/pool")  # the provider's record shows the give-back
    assert after["given_back"] == before["given_back"] + 1
    assert after["returned_to_pool"] == before["returned_to_pool"]
    notes = call("charity1", "GET", "/notifications")["items"]
    assert any(n["kind"] == "given_back" and n["subject_id"] == hop2 for n in notes)
    seen = call("township", "GET", f"/tasks/{hop2}")["hop"]["changes"][-1]
    assert seen["reason"] == "本周人手不足"

    assert hop2 in {t["hop"]["id"] for t in call("charity2", "GET", "/tasks/pool")["tasks"]}
    call("charity2", "POST", f"/tasks/{hop2}/claim")
    call("charity1", "POST", f"/tasks/{hop2}/release", json=why, expect=404)  # no longer theirs
    call("charity2", "POST", f"/tasks/{hop2}/start")
    started = call("charity2", "POST", f"/tasks/{hop2}/release", json=why, expect=409)
    assert started["title"] == "Invalid transition"


def test_a_pool_task_is_taken_only_by_claiming_it(world: World, call: Call) -> None:
    """Accepting a pool task (instead of claiming it) would take it out of the pool with nobody holding it."""
    _need, referral = report_and_dispatch(world, call)
    hop1 = referral["hops"][0]["id"]
    call("township", "POST", f"/tasks/{hop1}/accept")
    hop2 = call("township", "POST", f"/tasks/{hop1}/offer", json={}, expect=201)["hops"][1]["id"]
    refused = call("charity1", "POST", f"/tasks/{hop2}/accept", expect=409)
    assert "claim" in refused["detail"]
    task = call("township", "GET", f"/tasks/{hop2}")["hop"]
    assert (task["status"], task["assignee_id"], len(task["changes"])) == ("ready", None, 1)
    assert hop2 in {t["hop"]["id"] for t in call("charity2", "GET", "/tasks/pool")["tasks"]}
    claimed = call("charity2", "POST", f"/tasks/{hop2}/claim")["hop"]
    assert claimed["status"] == "accepted" and claimed["assignee_id"] is not None


def test_cancel_withdraw_and_stale_moves(world: World, call: Call) -> None:
    need_id, referral = report_and_dispatch(world, call)
    assert call("village", "POST", f"/needs/{need_id}/withdraw", json={"reason": "x"}, expect=409)
    refused = call(
        "township", "POST", f"/referrals/{referral['id']}/cancel", json={"reason": "x"}, expect=409
    )
    assert "派单方" in refused["detail"]
    cancelled = call(
        "coordinator", "POST", f"/referrals/{referral['id']}/cancel", json={"reason": "重复派单"}
    )
    assert cancelled["status"] == "cancelled" and cancelled["hops"][0]["status"] == "cancelled"
    assert call("village", "GET", f"/needs/{need_id}")["status"] == "open"
    withdrawn = call("village", "POST", f"/needs/{need_id}/withdraw", json={"reason": "家庭已自行解决"})
    assert withdrawn["status"] == "withdrawn" and withdrawn["closed_at"]
    hop = referral["hops"][0]["id"]
    again = call("township", "POST", f"/tasks/{hop}/accept", expect=409)
    assert again["title"] == "Invalid transition" and "cancelled" in again["detail"]


def test_entered_in_error_reaches_every_open_hop(world: World, call: Call) -> None:
    _need, referral = report_and_dispatch(world, call)
    hop1 = referral["hops"][0]["id"]
    call("township", "POST", f"/tasks/{hop1}/accept")
    call("township", "POST", f"/tasks/{hop1}/offer", expect=201)
    plain = call("coordinator", "POST", f"/referrals/{referral['id']}/cancel", json={"reason": "x"})
    assert plain["hops"][1]["status"] == "cancelled"  # ready -> cancelled is the sender's


def test_notifications_are_the_callers_own(
    world: World, call: Call, client: TestClient, headers: Any
) -> None:
    items = call("township", "GET", "/notifications")["items"]
    assert items
    mine = items[0]["id"]
    call("fartownship", "POST", f"/notifications/{mine}/read", expect=404)
    read = call("township", "POST", f"/notifications/{mine}/read")
    assert read["read_at"] is not None
    unread = call("township", "GET", "/notifications?unread=true")["items"]
    assert mine not in {n["id"] for n in unread}


def test_deadlines_come_from_settings(world: World) -> None:
    """ZHULIAN_DEADLINE_* settings set the hop deadlines the API writes (here: urgent 2 days, accept 6 h)."""
    client = world.client(deadline_complete_urgent_days=2, deadline_accept_urgent_days=0.25)

    def call(user: str, method: str, path: str, *, json: Any = None, expect: int = 200) -> Any:
        response = client.request(method, API + path, json=json, headers=login(client, user))
        assert response.status_code == expect, response.text
        return response.json()

    _need, referral = report_and_dispatch(world, call, urgency="urgent")
    hop = world.store.run(lambda uow: uow.require(ReferralHop, referral["hops"][0]["id"]), write=False)
    assert hop.due_at is not None and hop.accept_due_at is not None and hop.requested_at is not None
    assert hop.due_at - hop.requested_at == timedelta(days=2)
    assert hop.accept_due_at - hop.requested_at == timedelta(hours=6)


def test_an_unresolved_evaluation_sends_the_need_back_to_the_open_needs(world: World, call: Call) -> None:
    """Verification closes the referral; only resolved or partly resolved counts the need as met."""
    need_id, referral = report_and_dispatch(world, call, urgency="general")
    hop1 = referral["hops"][0]
    call("township", "POST", f"/tasks/{hop1['id']}/accept")
    hop2 = call("township", "POST", f"/tasks/{hop1['id']}/offer", json={}, expect=201)["hops"][1]
    call("charity1", "POST", f"/tasks/{hop2['id']}/claim")
    call("charity1", "POST", f"/tasks/{hop2['id']}/start")
    delivery = {"kind": "goods", "units": 1, "unit_name": "件", "delivered_on": "2026-11-03"}
    call("charity1", "POST", f"/tasks/{hop2['id']}/complete", json=delivery)
    closed = call("township", "POST", f"/referrals/{referral['id']}/verify", json={"result": "unresolved"})
    assert closed["status"] == "completed" and closed["outcomes"][0]["result"] == "unresolved"
    assert call("village", "GET", f"/needs/{need_id}")["status"] == "open"  # back for a new referral

    def reason(uow: UnitOfWork) -> str | None:
        changes = uow.find(StatusChange, where(subject_id=need_id, to_status="open"))
        return changes[-1].reason if changes else None

    assert "未解决" in (world.store.run(reason, write=False) or "")


def test_the_pool_comes_in_pages_soonest_deadline_first(world: World, call: Call) -> None:
    total = call("charity1", "GET", "/tasks/pool?limit=1")["total"]
    assert total >= 2, "the seeded world has open pool tasks in the provider's area"
    seen: list[dict[str, Any]] = []
    for offset in range(0, total, 2):
        page = call("charity1", "GET", f"/tasks/pool?limit=2&offset={offset}")
        assert page["total"] == total and page["offset"] == offset
        seen += [t["hop"] for t in page["tasks"]]
    assert len({h["id"] for h in seen}) == len(seen) == total  # every task once, no page overlaps
    dues = [h["due_at"] for h in seen]
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated) and dues[: len(dated)] == dated  # soonest first, undated last
    assert call("charity1", "GET", f"/tasks/pool?offset={total}")["tasks"] == []
