"""A seeded county, one user per role placed in and out of each other's scope, and an app to call.

`world` is built once per test module: a real county (龙南市 360783) with a few hundred generated
households, its alliance, organisations and referral chains, plus users. `build_world` makes it in
a new embedded store (the default) or in any empty `GraphStore`, through the store interface only;
`neo4j_world` makes it in the configured Neo4j database, and `STORES` lists the kinds a module can
parametrise over (Neo4j only when ZHULIAN_NEO4J_URI is set). `Scenario` names the households each
role may and may not see:
- `hh_provider`: a household with a live task assigned to the provider organisation;
- `hh_department`: a household with a live task assigned to the liaison's department;
- `hh_far`: a household in another township, with no task of either organisation.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.model import Household, Organisation, Referral, ReferralHop, new_id
from graph.model.enums import HopStatus, OrganisationKind, Role
from graph.model.identity import parent_code
from graph.sqlite.store import SqliteStore
from graph.store import GraphStore, UnitOfWork, where
from referral.access.tasks import organisation_serves
from referral.accounts import service as accounts
from seeds.county import generate_county
from tests.contract.conftest import NEO4J_URI, neo4j_store

SEED_NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
PASSWORD = "Correct-Horse-42"  # test accounts only
SECRET = "test-signing-key-" + "k" * 32
LIVE = [
    s for s in HopStatus if s not in (HopStatus.CANCELLED, HopStatus.ENTERED_IN_ERROR, HopStatus.REJECTED)
]
# The stores a module's world can be parametrised over: Neo4j joins only when configured, and
# tests/contract/test_neo4j_configured.py reports the skip once otherwise.
STORES = ["sqlite", *(["neo4j"] if NEO4J_URI else [])]


class Clock:
    """The app's clock, moved by tests (token expiry, consent validity)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Scenario:
    county: str
    township: str  # township of hh_provider
    village: str  # village of hh_provider
    far_township: str
    provider_org: str
    other_provider_org: str
    department_org: str
    hh_provider: str
    hh_department: str
    hh_far: str
    # username -> role; every user's password is PASSWORD
    users: dict[str, Role] = field(default_factory=dict)


@dataclass
class World:
    store: GraphStore
    scenario: Scenario
    clock: Clock
    location: str  # the store as ZHULIAN_STORE names it: the embedded store's file or a neo4j URL

    @property
    def path(self) -> Path:
        """The embedded store's file (copies and tampering tests read it; a Neo4j world has none)."""
        if not isinstance(self.store, SqliteStore):
            raise TypeError(f"not an embedded-store world: {self.location}")
        return Path(self.location)

    def settings(self, **overrides: object) -> Settings:
        return Settings(store=self.location, secret_key=SECRET, **overrides)  # type: ignore[arg-type]

    def app(self, **overrides: object) -> FastAPI:
        return create_app(self.settings(**overrides), store=self.store, clock=self.clock)

    def client(self, **overrides: object) -> TestClient:
        return TestClient(self.app(**overrides), raise_server_exceptions=False)


def _live_assignee_household(uow: UnitOfWork, org_ids: set[str]) -> tuple[str, str]:
    """(organisation id, household id) of a live hop assigned to one of the organisations."""
    for hop in uow.find(ReferralHop, where(status__in=LIVE, assignee_label="Organisation")):
        if hop.assignee_id in org_ids:
            referral = uow.require(Referral, hop.referral_id)
            return hop.assignee_id, referral.household_id
    raise AssertionError("the seed has no live task for these organisations")


def _assigned(uow: UnitOfWork, org_id: str) -> set[str]:
    hops = uow.find(ReferralHop, where(assignee_id=org_id))
    return {r.household_id for r in uow.get_many(Referral, {h.referral_id for h in hops}).values()}


def _scenario(uow: UnitOfWork) -> Scenario:
    providers = uow.find(
        Organisation, where(kind__in=[OrganisationKind.CHARITY, OrganisationKind.SOCIAL_WORK])
    )
    departments = uow.find(Organisation, where(kind=OrganisationKind.DEPARTMENT))
    provider, hh_provider = _live_assignee_household(uow, {o.id for o in providers})
    department, hh_department = _live_assignee_household(uow, {o.id for o in departments})
    home = uow.require(Household, hh_provider)
    township = parent_code(home.village_code)
    assert township is not None
    taken = _assigned(uow, provider) | _assigned(uow, department)
    far = next(
        h
        for h in uow.find(Household, limit=2_000)
        if parent_code(h.village_code) != township and h.id not in taken
    )
    # The other provider: one that neither serves the far household's village nor has a task there,
    # so the far household is out of its reach (which exists depends on what the seed drew).
    others = [o for o in providers if o.id != provider]
    other = next(
        (
            o.id
            for o in others
            if not organisation_serves(o, far.village_code) and far.id not in _assigned(uow, o.id)
        ),
        others[0].id,
    )
    far_township = parent_code(far.village_code)
    assert far_township is not None
    return Scenario(
        county=township[:6] + "000000",
        township=township,
        village=home.village_code,
        far_township=far_township,
        provider_org=provider,
        other_provider_org=other,
        department_org=department,
        hh_provider=hh_provider,
        hh_department=hh_department,
        hh_far=far.id,
    )


# username, role, area (attribute of Scenario), organisation (attribute of Scenario or None)
USERS: list[tuple[str, Role, str, str | None]] = [
    ("coordinator", Role.COUNTY_COORDINATOR, "county", None),
    ("township", Role.TOWNSHIP_OFFICER, "township", None),
    ("village", Role.VILLAGE_WORKER, "village", None),
    ("socialworker", Role.SOCIAL_WORKER, "township", None),
    ("liaison", Role.DEPARTMENT_LIAISON, "county", "department_org"),
    ("provider", Role.PROVIDER, "county", "provider_org"),
    ("otherprovider", Role.PROVIDER, "county", "other_provider_org"),
    ("auditor", Role.AUDITOR, "county", None),
    ("admin", Role.ADMIN, "county", None),
    # Staff of the other township: the far household is theirs, the provider's household is not.
    ("fartownship", Role.TOWNSHIP_OFFICER, "far_township", None),
]


def build_world(target: Path | GraphStore, households: int = 400) -> World:
    """The seeded world in a new embedded store at `target`, or in `target` itself: an empty store.

    Only the store interface is used after the store is opened, so any adapter gets the same world.
    A store passed in stays the caller's to close; one opened here is closed if the build fails.
    """
    if isinstance(target, GraphStore):
        return _seed_world(target, _location(target), households)
    store = SqliteStore(target, create=True)
    try:
        return _seed_world(store, str(target), households)
    except BaseException:
        store.close()
        raise


def _location(store: GraphStore) -> str:
    """The store as ZHULIAN_STORE would name it."""
    if isinstance(store, SqliteStore):
        return str(store.path)
    from graph.neo4j.store import Neo4jStore  # the driver is imported only for Neo4j worlds

    if isinstance(store, Neo4jStore):
        return store.uri
    raise TypeError(f"no location for {store.describe()}")


def _seed_world(store: GraphStore, location: str, households: int) -> World:
    store.ensure_schema()
    store.bulk_load(generate_county("360783", households, seed=3, now=SEED_NOW))
    scenario = store.run(_scenario, write=False)
    clock = Clock(SEED_NOW + timedelta(days=1))

    def add_users(uow: UnitOfWork) -> None:
        for username, role, area, org in USERS:
            accounts.add_user(
                uow,
                username=username,
                display_name=username,
                roles=[role],
                area_codes=[getattr(scenario, area)],
                organisation_id=getattr(scenario, org) if org else None,
                password=PASSWORD,
                actor="test:setup",
                now=clock.now,
            )
            scenario.users[username] = role

    store.run(add_users)
    return World(store, scenario, clock, location)


@contextmanager
def neo4j_world(households: int = 400) -> Iterator[World]:
    """The world in the configured Neo4j database (emptied first); the driver is closed after."""
    store = neo4j_store()
    try:
        yield build_world(store, households)
    finally:
        store.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("api") / "zhulian.db")
    try:
        yield built
    finally:
        built.store.close()


@pytest.fixture(scope="module")
def client(world: World) -> TestClient:
    return world.client()


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for a user (fails the test when sign-in fails)."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def header_cache(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Authorization headers per user name, signed in once through `client`."""
    cache: dict[str, dict[str, str]] = {}

    def get(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = login(client, username)
        return cache[username]

    return get


@pytest.fixture(scope="module")
def headers(client: TestClient, world: World) -> Callable[[str], dict[str, str]]:
    """Cached authorization headers per user name."""
    return header_cache(client)


def copy_world(template: World, path: Path) -> World:
    """A private copy of a built world's store (the SQLite backup API), with its own clock."""
    source = sqlite3.connect(template.path)
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    store = SqliteStore(path)
    scenario = dataclasses.replace(template.scenario, users=dict(template.scenario.users))
    return World(store, scenario, Clock(template.clock.now), str(path))


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    """One world built per test session, for modules that want a fresh copy without the build cost.

    A module opts in by overriding `world` with `copy_world(world_template, ...)`; the template's own
    store stays closed so nothing writes to it.
    """
    built = build_world(tmp_path_factory.mktemp("template") / "zhulian.db")
    built.store.close()
    return built


@pytest.fixture(scope="module")
def copied_world(world_template: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A module's own copy of the session's world (override `world` with it to skip the build)."""
    copied = copy_world(world_template, tmp_path_factory.mktemp("api") / "zhulian.db")
    try:
        yield copied
    finally:
        copied.store.close()


@pytest.fixture
def new_user(world: World) -> Callable[..., str]:
    """Add a throwaway user (for tests that disable, reset or lock out an account); returns its name.

    Keyword arguments: `role` (village worker), `area` (the scenario's village), `password`
    (PASSWORD; None for a one-time password).
    """

    def add(
        *, role: Role = Role.VILLAGE_WORKER, area: str | None = None, password: str | None = PASSWORD
    ) -> str:
        username = f"tmp.{new_id().lower()}"
        world.store.run(
            lambda uow: accounts.add_user(
                uow,
                username=username,
                display_name=username,
                roles=[role],
                area_codes=[area or world.scenario.village],
                organisation_id=None,
                password=password,
                actor="test:setup",
                now=world.clock.now,
            )
        )
        return username

    return add


@pytest.fixture
def clock(world: World) -> Iterator[Clock]:
    """The world's clock, put back where it was after the test (tokens of other tests stay valid)."""
    start = world.clock.now
    try:
        yield world.clock
    finally:
        world.clock.now = start


def api_routes(app: FastAPI) -> list[Any]:
    """The app's effective API routes (included routers flattened, their dependencies merged in).

    Each item has `methods`, `path` and `dependant`; FastAPI >= 0.16x keeps included routers as
    one entry in `app.routes`, so walking `app.routes` alone would miss them.
    """
    return [
        context for context in iter_route_contexts(app.routes) if isinstance(context.original_route, APIRoute)
    ]
