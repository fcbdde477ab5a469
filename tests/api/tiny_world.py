"""The tiny hand-built county of tests/referral/test_figures.py behind the real app, with known figures.

On top of that county (R1 to R3 in the period, R0 before it; see that module's docstring) R4 sits
exactly on the deadlines: hop 1 completed at its due_at (72 h, on time), hop 2 one second after its
due_at (48 h + 1 s, closed late). Users: one per role that figures concern, in and out of scope.
The clock stands at NOW (T0 + 30 days).

Known answers for the period FROM..TO (referrals created 2026-02-28 to 2026-03-20, UTC days):
- township 龙南镇 (TOWNSHIP): R1, R2, R4; 6 hops, 5 completed (10, 50, 30, 72, 48 h + 1 s), 3 on time
  and 2 closed late, R2's hop 2 open and overdue; the education need not dispatched;
- township 武当镇 (OTHER_TOWNSHIP): R3 cancelled after its only hop was rejected (no_capacity); the
  unmet need (no_resource) and R3's need back to open (returned).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.model import AllianceBody, Organisation
from graph.model.enums import HopStatus, NeedStatus, NeedType, ReferralStatus, Role
from graph.store import UnitOfWork
from referral.accounts import service as accounts
from tests.api.conftest import PASSWORD, SECRET, Clock
from tests.builders import COUNTY, OTHER_TOWNSHIP, T0, TOWNSHIP, VILLAGE, make_household
from tests.referral.test_figures import NOW, Tiny, _hop, _need, _referral, build_tiny

H = timedelta(hours=1)
S = HopStatus
FROM, TO = "2026-02-28", "2026-03-21"
R4_START = T0 + 72 * H
# R2's hop 2 (in progress, no acceptance deadline) is due here: overdue only after this instant.
R2_HOP2_DUE = T0 + 48 * H + 5 * 24 * H

USERS: list[tuple[str, Role, str, bool]] = [  # name, role, area, belongs to the tiny charity
    ("coordinator", Role.COUNTY_COORDINATOR, COUNTY, False),
    ("township", Role.TOWNSHIP_OFFICER, TOWNSHIP, False),
    ("fartownship", Role.TOWNSHIP_OFFICER, OTHER_TOWNSHIP, False),
    ("village", Role.VILLAGE_WORKER, VILLAGE, False),
    ("socialworker", Role.SOCIAL_WORKER, TOWNSHIP, False),
    ("auditor", Role.AUDITOR, COUNTY, False),
    ("provider", Role.PROVIDER, COUNTY, True),
    ("admin", Role.ADMIN, COUNTY, False),
]


@dataclass
class TinyWorld:
    tiny: Tiny
    clock: Clock
    client: TestClient
    r4_hops: tuple[str, str]
    _signed_in: dict[str, dict[str, str]] = field(default_factory=dict)

    def headers(self, username: str) -> dict[str, str]:
        """Authorization headers for a user, signed in once (tokens live 15 minutes of the clock)."""
        if username not in self._signed_in:
            body = {"username": username, "password": PASSWORD}
            response = self.client.post("/api/v1/auth/login", json=body)
            assert response.status_code == 200, response.text
            self._signed_in[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return self._signed_in[username]


def _add_r4(uow: UnitOfWork, tiny: Tiny) -> tuple[str, str]:
    county, town = (uow.require(AllianceBody, tiny.bodies[k]) for k in ("county", "town"))
    org = uow.require(Organisation, tiny.org)
    h3, members = make_household(uow, village=VILLAGE)
    uow.upsert(h3.model_copy(update={"head_person_id": members[0].id}))
    need = _need(
        uow, h3.id, VILLAGE, type=NeedType.EMPLOYMENT, status=NeedStatus.REFERRED, created_at=R4_START
    )
    referral = _referral(uow, need, R4_START, ReferralStatus.ACTIVE)
    due1 = timedelta(days=3)
    hop1 = _hop(
        uow,
        referral,
        1,
        county,
        town,
        [(S.REQUESTED, R4_START, None, None), (S.COMPLETED, R4_START + due1, "requested", None)],
        due1,
    )
    start2, due2 = R4_START + due1 + H, timedelta(days=2)
    hop2 = _hop(
        uow,
        referral,
        2,
        town,
        org,
        [
            (S.REQUESTED, start2, None, None),
            (S.ACCEPTED, start2 + H, "requested", None),
            (S.IN_PROGRESS, start2 + 2 * H, "accepted", None),
            (S.COMPLETED, start2 + due2 + timedelta(seconds=1), "in-progress", None),
        ],
        due2,
        hop1,
    )
    return hop1.id, hop2.id


def build_tiny_world(path: Path) -> TinyWorld:
    tiny = build_tiny(path)
    r4 = tiny.store.run(lambda uow: _add_r4(uow, tiny))
    clock = Clock(NOW)

    def add_users(uow: UnitOfWork) -> None:
        for name, role, area, own_org in USERS:
            accounts.add_user(
                uow,
                username=name,
                display_name=name,
                roles=[role],
                area_codes=[area],
                organisation_id=tiny.org if own_org else None,
                password=PASSWORD,
                actor="test:setup",
                now=NOW,
            )

    tiny.store.run(add_users)
    settings = Settings(store=str(path), secret_key=SECRET, escalation_interval_minutes=0)  # type: ignore[arg-type]
    app = create_app(settings, store=tiny.store, clock=clock)
    return TinyWorld(tiny, clock, TestClient(app, raise_server_exceptions=False), r4)
