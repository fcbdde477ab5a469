"""One demo account per role, bound to areas and organisations of the seeded county.

The places are chosen so that each account has something to see: the provider's organisation has a
task assigned to it, the village worker's village holds that task's household, and the township
officer's township contains that village. Passwords are random and new on every demo run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from graph.model import Area, Household, Organisation, Referral, ReferralHop
from graph.model.enums import AreaLevel, Department, HopStatus, OrganisationKind, PiiScope, Role
from graph.model.identity import parent_code
from graph.store import GraphStore, UnitOfWork, where
from referral.accounts import service as accounts
from referral.registry import service as registry
from referral.registry.models import ConsentCreate

ACTOR = "system:demo"
_PROVIDER_KINDS = (OrganisationKind.CHARITY, OrganisationKind.SOCIAL_WORK)
_LIVE = [
    HopStatus.IN_PROGRESS,
    HopStatus.ACCEPTED,
    HopStatus.ON_HOLD,
    HopStatus.REQUESTED,
    HopStatus.RECEIVED,
]


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    area_code: str
    area_name: str
    organisation: str | None


def _demo_places(uow: UnitOfWork) -> tuple[Area, Area, Area, Organisation, Organisation, Household]:
    """County, township, village, provider, department and a household with a task of the provider."""
    county = uow.find(Area, where(level=AreaLevel.COUNTY))[0]
    providers = {o.id: o for o in uow.find(Organisation, where(kind__in=list(_PROVIDER_KINDS)))}
    # A task the provider is working on, else any live task of a provider (small demos have few).
    hops = uow.find(ReferralHop, where(assignee_label="Organisation", status__in=_LIVE))
    hops.sort(key=lambda h: (h.status is not HopStatus.IN_PROGRESS, h.id))
    hop = next(h for h in hops if h.assignee_id in providers)
    referral = uow.require(Referral, hop.referral_id)
    household = uow.require(Household, referral.household_id)
    village = uow.require(Area, household.village_code)
    township = uow.require(Area, parent_code(village.code) or village.code)
    departments = uow.find(Organisation, where(kind=OrganisationKind.DEPARTMENT))
    department = next((d for d in departments if d.department is Department.CIVIL_AFFAIRS), departments[0])
    assert hop.assignee_id is not None
    return county, township, village, providers[hop.assignee_id], department, household


def create_demo_users(store: GraphStore, now: datetime) -> list[DemoAccount]:
    """Add the demo accounts (and one consent, so the provider sees what consent opens)."""

    def create(uow: UnitOfWork) -> list[DemoAccount]:
        county, township, village, provider, department, household = _demo_places(uow)
        plan = [
            ("coordinator", Role.COUNTY_COORDINATOR, county, None),
            ("township", Role.TOWNSHIP_OFFICER, township, None),
            ("village", Role.VILLAGE_WORKER, village, None),
            ("socialworker", Role.SOCIAL_WORKER, township, None),
            ("liaison", Role.DEPARTMENT_LIAISON, county, department),
            ("provider", Role.PROVIDER, county, provider),
            ("auditor", Role.AUDITOR, county, None),
            ("admin", Role.ADMIN, county, None),
        ]
        made = []
        for username, role, area, organisation in plan:
            password = accounts.one_time_password()
            accounts.add_user(
                uow,
                username=f"demo.{username}",
                display_name=f"演示 {role.zh}",
                roles=[role],
                area_codes=[area.code],
                organisation_id=organisation.id if organisation else None,
                password=password,
                actor=ACTOR,
                now=now,
            )
            made.append(
                DemoAccount(
                    f"demo.{username}",
                    password,
                    role,
                    area.code,
                    area.name,
                    organisation.name if organisation else None,
                )
            )
        # The household of the provider's task consents to the provider seeing names and phones.
        from referral.access.policy import Policy, Principal

        township_officer = Principal("system", "demo", frozenset({Role.TOWNSHIP_OFFICER}), (township.code,))
        registry.record_consent(
            uow,
            Policy(township_officer, now),
            household.id,
            ConsentCreate(
                organisation_id=provider.id,
                scopes=[PiiScope.NAME, PiiScope.PHONE],
                purpose="上门服务联系 / contact for the home-visit service",
            ),
        )
        return made

    return store.run(create)
