"""Every role x every route of the referrals router x an object in and out of the caller's scope.

A cell is 403 when the role may never do the thing, 404 when the object lies outside the caller's
scope (like a missing one), 409 when the caller sees the task but is not the side the transition
table names (a social worker is no assignee), and the success status otherwise. Each cell gets its
own object, written straight into the store in the state the route acts on, assigned to the
caller's own body or organisation. No response about an out-of-scope object carries the household's
id or a member's name, ID number or phone. `test_matrix_covers_every_route` fails when a route of
the router has no row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient

from graph.model import (
    AllianceBody,
    AssignedTo,
    FirstHop,
    ForNeed,
    HasNeed,
    Household,
    Need,
    Notification,
    Organisation,
    Person,
    Referral,
    ReferralHop,
    SentBy,
    User,
    new_id,
)
from graph.model.enums import HopStatus, NeedStatus, NotificationKind, Role
from graph.store import UnitOfWork, where
from referral.access.tasks import organisation_serves
from tests.api.conftest import USERS, World, api_routes

Scope = Literal["in", "out", "none"]
Target = Literal["need", "open_need", "referral", "hop", "notification", "none"]
ALL_USERS = [u[0] for u in USERS]
ROLE_OF = {u[0]: u[1] for u in USERS}
MISSING = "01NOSUCHOBJECT0000000000000"
S = HopStatus

AREA = {Role.COUNTY_COORDINATOR, Role.TOWNSHIP_OFFICER, Role.VILLAGE_WORKER, Role.SOCIAL_WORKER}
READERS = AREA | {Role.DEPARTMENT_LIAISON, Role.PROVIDER}
WORKERS = READERS  # WORK_TASK (and ROUTE_TASK for alliance staff)
ROUTERS = {Role.COUNTY_COORDINATOR, Role.TOWNSHIP_OFFICER, Role.VILLAGE_WORKER}
DISPATCHERS = {Role.COUNTY_COORDINATOR, Role.TOWNSHIP_OFFICER}
REPORTERS = AREA | {Role.DEPARTMENT_LIAISON}
PROVIDERS = {Role.PROVIDER}
REASON = {"reason_code": "other", "reason": "理由"}
DELIVERY = {"kind": "goods", "units": 1, "unit_name": "箱", "delivered_on": "2026-11-02"}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    roles: set[Role]
    ok: int
    target: Target = "none"
    hop_status: HopStatus | None = None  # the state the route acts on
    body: Any = None
    # Users who see the object but stand on the wrong side of the table (409), or have no area (404).
    conflict: frozenset[str] = frozenset()
    unseen: frozenset[str] = frozenset()
    from_pool: bool = False  # the hop was offered to the pool (and, when assigned, claimed from it)
    extra: dict[str, Any] = field(default_factory=dict)


NOT_SIDE = frozenset({"socialworker"})
NO_AREA = frozenset({"liaison"})

ROWS: list[Row] = [
    Row("POST", "/api/v1/needs", REPORTERS, 201, "none", unseen=NO_AREA),
    Row("GET", "/api/v1/needs/{need_id}", READERS, 200, "need", S.REQUESTED),
    Row(
        "POST",
        "/api/v1/needs/{need_id}/withdraw",
        REPORTERS,
        200,
        "open_need",
        body={"reason": "x"},
        unseen=NO_AREA,
    ),
    Row("POST", "/api/v1/needs/{need_id}/referrals", DISPATCHERS, 201, "open_need", body={}),
    Row("GET", "/api/v1/referrals/{referral_id}", READERS, 200, "referral", S.REQUESTED),
    Row(
        "POST",
        "/api/v1/referrals/{referral_id}/verify",
        DISPATCHERS,
        200,
        "referral",
        S.COMPLETED,
        {"result": "resolved"},
    ),
    Row(
        "POST",
        "/api/v1/referrals/{referral_id}/reopen",
        DISPATCHERS,
        200,
        "referral",
        S.COMPLETED,
        {"reason_code": "incomplete", "reason": "再办"},
    ),
    Row(
        "POST",
        "/api/v1/referrals/{referral_id}/cancel",
        DISPATCHERS,
        200,
        "referral",
        S.REQUESTED,
        {"reason": "取消"},
    ),
    Row("GET", "/api/v1/tasks/pool", PROVIDERS, 200),
    Row("GET", "/api/v1/tasks/{hop_id}", READERS, 200, "hop", S.REQUESTED),
    Row("POST", "/api/v1/tasks/{hop_id}/receive", WORKERS, 200, "hop", S.REQUESTED, conflict=NOT_SIDE),
    Row("POST", "/api/v1/tasks/{hop_id}/accept", WORKERS, 200, "hop", S.REQUESTED, conflict=NOT_SIDE),
    Row("POST", "/api/v1/tasks/{hop_id}/reject", WORKERS, 200, "hop", S.REQUESTED, REASON, conflict=NOT_SIDE),
    Row("POST", "/api/v1/tasks/{hop_id}/start", WORKERS, 200, "hop", S.ACCEPTED, conflict=NOT_SIDE),
    Row("POST", "/api/v1/tasks/{hop_id}/hold", WORKERS, 200, "hop", S.IN_PROGRESS, conflict=NOT_SIDE),
    Row("POST", "/api/v1/tasks/{hop_id}/resume", WORKERS, 200, "hop", S.ON_HOLD, conflict=NOT_SIDE),
    Row("POST", "/api/v1/tasks/{hop_id}/fail", WORKERS, 200, "hop", S.IN_PROGRESS, REASON, conflict=NOT_SIDE),
    Row(
        "POST",
        "/api/v1/tasks/{hop_id}/complete",
        WORKERS,
        200,
        "hop",
        S.IN_PROGRESS,
        DELIVERY,
        conflict=NOT_SIDE,
    ),
    Row("POST", "/api/v1/tasks/{hop_id}/claim", PROVIDERS, 200, "hop", S.READY),
    Row("POST", "/api/v1/tasks/{hop_id}/release", PROVIDERS, 200, "hop", S.ACCEPTED, REASON, from_pool=True),
    Row(
        "POST",
        "/api/v1/tasks/{hop_id}/assign",
        ROUTERS,
        201,
        "hop",
        S.ACCEPTED,
        {"alliance_body_id": MISSING},
    ),
    Row("POST", "/api/v1/tasks/{hop_id}/offer", ROUTERS, 201, "hop", S.ACCEPTED, {}),
    Row("GET", "/api/v1/notifications", READERS, 200),
    Row("POST", "/api/v1/notifications/{notification_id}/read", READERS, 200, "notification"),
    Row("POST", "/api/v1/escalation/run", {Role.COUNTY_COORDINATOR, Role.ADMIN}, 200),
]
MATRIX_TAGS = {"referrals 转介"}
# Routes whose role x scope matrix lives in another module (their answers have another shape).
MATRIX_ELSEWHERE = {
    ("POST", "/api/v1/dispatches"): "tests/api/test_dispatch_board.py::test_dispatch_many_matrix"
}


def expected(row: Row, user: str, scope: Scope) -> int:
    if ROLE_OF[user] not in row.roles:
        return 403
    if scope == "out" or user in row.unseen:
        return 404
    if user in row.conflict:
        return 409
    return row.ok


def _cells() -> Iterator[Any]:
    for row in ROWS:
        for user in ALL_USERS:
            for scope in ["in", "out"] if row.target != "none" or row.path.endswith("/needs") else ["none"]:
                yield pytest.param(row, user, scope, id=f"{row.method} {row.path} {user} {scope}")


@pytest.fixture(scope="module")
def world(copied_world: World) -> World:
    return copied_world


@dataclass
class Places:
    """Each user's own body or organisation, home household, and an out-of-scope household."""

    party: dict[str, AllianceBody | Organisation]
    home: dict[str, Household]
    away: dict[str, Household | None]  # None: everything in the county is in scope
    village_body: dict[str, AllianceBody]  # household id -> its village body
    county_body: AllianceBody
    unserved: dict[str, Household | None]  # provider -> a household its organisation does not serve
    secrets: dict[str, list[str]]  # household id -> member names, ID numbers, phones
    user_ids: dict[str, str]


@pytest.fixture(scope="module")
def places(world: World) -> Places:
    s = world.scenario

    def load(uow: UnitOfWork) -> Places:
        body = {b.area_code: b for b in uow.find(AllianceBody, limit=5_000)}
        org = {
            o: uow.require(Organisation, o) for o in (s.provider_org, s.other_provider_org, s.department_org)
        }
        hh = {k: uow.require(Household, getattr(s, k)) for k in ("hh_provider", "hh_far")}
        party: dict[str, AllianceBody | Organisation] = {
            "coordinator": body[s.county],
            "township": body[s.township],
            "village": body[s.village],
            "socialworker": body[s.township],
            "fartownship": body[s.far_township],
            "auditor": body[s.township],
            "admin": body[s.township],
            "provider": org[s.provider_org],
            "otherprovider": org[s.other_provider_org],
            "liaison": org[s.department_org],
        }
        home = {u: hh["hh_far"] if u == "fartownship" else hh["hh_provider"] for u in ALL_USERS}
        unserved: dict[str, Household | None] = {}
        households = uow.find(Household, limit=2_000)
        for user in ("provider", "otherprovider"):  # households the organisation does and does not serve
            org = party[user]
            assert isinstance(org, Organisation)
            served = [h for h in households if organisation_serves(org, h.village_code)]
            assert served
            home[user] = served[0]
            unserved[user] = next((h for h in households if h not in served), None)
        away: dict[str, Household | None] = dict.fromkeys(ALL_USERS, hh["hh_far"])
        away["coordinator"] = None
        away["fartownship"] = hh["hh_provider"]
        known = [*home.values(), hh["hh_far"], *(h for h in unserved.values() if h)]
        villages = {h.id: body[h.village_code] for h in known}
        secrets = {}
        for h in known:
            members = uow.find(Person, where(household_id=h.id))
            secrets[h.id] = [p.name for p in members if len(p.name) > 1] + [
                v for p in members for v in (p.id_number, p.phone) if v
            ]
        users = {u.username: u.id for u in uow.find(User, limit=1_000)}
        return Places(party, home, away, villages, body[s.county], unserved, secrets, users)

    return world.store.run(load, write=False)


def make_chain(
    uow: UnitOfWork,
    world: World,
    household: Household,
    status: HopStatus,
    assignee: AllianceBody | Organisation | None,
    sender: AllianceBody | Organisation,
    *,
    from_pool: bool = False,
) -> tuple[Need, Referral, ReferralHop]:
    """A referred need with one hop in `status`, written straight into the store (states, not paths).

    A `ready` hop without an assignee is in the open pool; `from_pool` gives an assigned hop the pool
    it was claimed from.
    """
    now = world.clock.now
    need = Need(
        id=new_id(),
        household_id=household.id,
        village_code=household.village_code,
        type="care",  # type: ignore[arg-type]
        urgency="general",
        status=NeedStatus.REFERRED,
        channel="home_visit",
        reported_by="test",  # type: ignore[arg-type]
        created_at=now,
        updated_at=now,
    )
    referral = Referral(
        id=new_id(), need_id=need.id, household_id=household.id, created_by="test", created_at=now
    )
    pool = status is S.READY and assignee is None
    hop = ReferralHop(
        id=new_id(),
        referral_id=referral.id,
        seq=1,
        status=status,
        assignee_id=None if pool or assignee is None else assignee.id,
        assignee_label=None if pool or assignee is None else assignee.LABEL,  # type: ignore[arg-type]
        pool_area_code=household.village_code[:9] + "000" if pool or from_pool else None,
        created_at=now,
        updated_at=now,
        due_at=now + timedelta(days=7),
    )
    for node in (need, referral, hop):
        uow.create(node)
    uow.relate(HasNeed(start=household.ref, end=need.ref))
    uow.relate(ForNeed(start=referral.ref, end=need.ref))
    uow.relate(FirstHop(start=referral.ref, end=hop.ref))
    uow.relate(SentBy(start=hop.ref, end=sender.ref))
    if hop.assignee_id is not None and assignee is not None:
        uow.relate(AssignedTo(start=hop.ref, end=assignee.ref))
    return need, referral, hop


def prepare(world: World, p: Places, row: Row, user: str, scope: Scope) -> tuple[str, Any, str | None]:
    """(path, body, household id) for one cell."""
    if scope == "none":
        return row.path, row.body, None
    household = p.home[user] if scope == "in" else p.away[user]
    status = row.hop_status or S.REQUESTED
    if scope == "out" and row.path.endswith("/claim") and user in p.unserved:
        # A pool task its organisation does not serve; when it serves the whole county, another's task.
        household = p.unserved[user] or household
        status = S.READY if p.unserved[user] else S.REQUESTED
    if household is None:  # the coordinator: nothing in the county is out of scope, so a missing id
        path = row.path.split("{")[0] + MISSING + (row.path.split("}")[1] if "}" in row.path else "")
        body = (
            row.body
            if not row.path.endswith("/needs")
            else {"household_id": MISSING, "type": "care", "urgency": "general"}
        )
        return path, body, None
    party = p.party[user] if scope == "in" else p.village_body[household.id]
    if row.path.endswith("/needs"):
        return row.path, {"household_id": household.id, "type": "care", "urgency": "general"}, household.id

    def build(uow: UnitOfWork) -> dict[str, str]:
        if row.target == "open_need":
            now = world.clock.now
            need = Need(
                id=new_id(),
                household_id=household.id,
                village_code=household.village_code,
                type="care",
                urgency="general",
                channel="home_visit",
                reported_by="test",  # type: ignore[arg-type]
                created_at=now,
                updated_at=now,
            )
            uow.create(need)
            return {"need_id": need.id}
        if row.target == "notification":
            recipient = (
                p.user_ids[user]
                if scope == "in"
                else p.party["fartownship" if user != "fartownship" else "township"].id
            )
            note = Notification(
                id=new_id(),
                recipient_label="User" if scope == "in" else "AllianceBody",
                recipient_id=recipient,
                kind=NotificationKind.TASK_ASSIGNED,
                subject_label="ReferralHop",
                subject_id="x",
                message="m",
                created_at=world.clock.now,
            )
            uow.create(note)
            return {"notification_id": note.id}
        assignee = None if status is S.READY else party
        sender = p.county_body
        if row.path.endswith("/cancel") and user in ("township", "fartownship"):
            sender = p.party[user]  # the township dispatched it itself
        need, referral, hop = make_chain(
            uow, world, household, status, assignee, sender, from_pool=row.from_pool
        )
        return {"need_id": need.id, "referral_id": referral.id, "hop_id": hop.id}

    ids = world.store.run(build)
    body = row.body
    if row.path.endswith("/referrals") and user != "coordinator":
        body = {"pool": True}
    if row.path.endswith("/assign"):
        body = {"alliance_body_id": p.village_body[household.id].id}
    return row.path.format(**ids), body, household.id


@pytest.mark.parametrize(("row", "user", "scope"), list(_cells()))
def test_cell(
    row: Row,
    user: str,
    scope: Scope,
    world: World,
    places: Places,
    client: TestClient,
    headers: Callable[[str], dict[str, str]],
) -> None:
    path, body, household_id = prepare(world, places, row, user, scope)
    response = client.request(row.method, path, json=body, headers=headers(user))
    want = expected(row, user, scope)
    assert response.status_code == want, response.text
    if want >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    if household_id and (scope == "out" or want in (403, 404)):
        text = response.text.replace(path, "")
        assert household_id not in text
        for secret in places.secrets.get(household_id, []):
            assert secret not in text, f"{secret!r} leaked to {user}"
    if ROLE_OF[user] is Role.PROVIDER and household_id and want < 300:  # masked unless consented
        for secret in places.secrets.get(household_id, []):
            assert secret not in response.text, f"{secret!r} shown to {user}"


def test_matrix_covers_every_route(world: World) -> None:
    routes = {
        (method, route.path)
        for route in api_routes(world.app())
        if route.path.startswith("/api/v1") and set(route.original_route.tags) & MATRIX_TAGS
        for method in route.methods
    }
    rows = {(row.method, row.path) for row in ROWS}
    assert routes == rows | set(MATRIX_ELSEWHERE)
