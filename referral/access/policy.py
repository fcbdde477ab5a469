"""The policy layer: the one place that decides what a signed-in user may do, where, and see unmasked.

Every API endpoint obtains a `Policy` for its caller and goes through it: `require` for what a role
may do at all (403), `load_household` for an object in scope (404 outside it, so existence does not
leak), `household_filters` for searches, `pii_for` for what is shown unmasked. The tables below are
the whole of the rules; docs/security.md explains them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from graph.errors import NodeNotFound
from graph.model import Area, Consent, Household, Referral, ReferralHop
from graph.model.enums import AreaLevel, HopStatus, PiiScope, Role
from graph.model.identity import subtree_prefix
from graph.store import Filter, Op, UnitOfWork, where
from referral.access.errors import Forbidden
from referral.audit import service as audit


class Action(enum.StrEnum):
    """What an endpoint does, as the policy sees it."""

    READ_AREAS = "read_areas"
    SEARCH_HOUSEHOLDS = "search_households"
    READ_HOUSEHOLD = "read_household"
    WRITE_HOUSEHOLD = "write_household"
    RECORD_CONSENT = "record_consent"
    READ_FIGURES = "read_figures"
    MANAGE_USERS = "manage_users"
    VERIFY_AUDIT = "verify_audit"
    READ_AUDIT = "read_audit"
    # The referral workflow (issue 5, decision 0007).
    REPORT_NEED = "report_need"  # record a need from a visit, an application, a push or a warning
    MATCH = "match"  # candidate resources for a need, batch matching, regenerating the one-household plan
    READ_PLAN = "read_plan"  # read a household's one-household plan (一户一策) in one's areas
    DISPATCH = "dispatch"  # start a referral (派单) and cancel it
    ROUTE_TASK = (
        "route_task"  # act on a task addressed to an alliance body: receive, accept, reject, assign, offer
    )
    WORK_TASK = (
        "work_task"  # act on a task assigned to one's organisation or body: start, hold, fail, complete
    )
    CLAIM_TASK = "claim_task"  # claim a task from the open pool, or give a claimed one back
    VERIFY = "verify"  # verify and close a referral, or reopen it; record the effect evaluation
    READ_TASKS = "read_tasks"  # queues, open tasks, notifications
    READ_TRACE = "read_trace"  # a household's or a need's assistance chain
    RUN_ESCALATION = "run_escalation"  # run the deadline check by hand


_AREA_STAFF = frozenset(
    {Role.COUNTY_COORDINATOR, Role.TOWNSHIP_OFFICER, Role.VILLAGE_WORKER, Role.SOCIAL_WORKER}
)
_CASE_PARTNERS = frozenset({Role.PROVIDER, Role.DEPARTMENT_LIAISON})
_CASE_WORK = frozenset({Action.READ_TASKS, Action.READ_TRACE})
_FRONT_LINE = frozenset({Action.REPORT_NEED, Action.WORK_TASK})
# What all staff of an area do: the registry of their areas and the cases in it.
_AREA_WORK = (
    frozenset(
        {
            Action.READ_AREAS,
            Action.SEARCH_HOUSEHOLDS,
            Action.READ_HOUSEHOLD,
            Action.WRITE_HOUSEHOLD,
            Action.RECORD_CONSENT,
            # Every area role reads the plan: village workers help deliver it (issue 6, item 4).
            Action.READ_PLAN,
        }
    )
    | _CASE_WORK
    | _FRONT_LINE
)
# Dispatching, routing and closing cases: the county and township alliances.
_ALLIANCE_WORK = frozenset(
    {Action.READ_FIGURES, Action.MATCH, Action.DISPATCH, Action.ROUTE_TASK, Action.VERIFY}
)

# What each role may do at all.
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.COUNTY_COORDINATOR: _AREA_WORK | _ALLIANCE_WORK | {Action.RUN_ESCALATION},
    Role.TOWNSHIP_OFFICER: _AREA_WORK | _ALLIANCE_WORK,
    Role.VILLAGE_WORKER: _AREA_WORK | {Action.READ_FIGURES, Action.ROUTE_TASK},
    Role.SOCIAL_WORKER: _AREA_WORK | {Action.MATCH},
    Role.DEPARTMENT_LIAISON: frozenset(
        {Action.READ_AREAS, Action.READ_HOUSEHOLD, Action.REPORT_NEED, Action.WORK_TASK} | _CASE_WORK
    ),
    Role.PROVIDER: frozenset(
        {Action.READ_AREAS, Action.READ_HOUSEHOLD, Action.WORK_TASK, Action.CLAIM_TASK} | _CASE_WORK
    ),
    Role.AUDITOR: frozenset({Action.READ_AREAS, Action.READ_FIGURES, Action.VERIFY_AUDIT}),
    Role.ADMIN: frozenset(
        {
            Action.READ_AREAS,
            Action.MANAGE_USERS,
            Action.VERIFY_AUDIT,
            Action.READ_AUDIT,
            Action.RUN_ESCALATION,
        }
    ),
}

_ALL_PII = frozenset(PiiScope)
# Private data a role sees unmasked for households within its scope, before any consent.
ROLE_PII: dict[Role, frozenset[PiiScope]] = {
    Role.COUNTY_COORDINATOR: _ALL_PII,
    Role.TOWNSHIP_OFFICER: _ALL_PII,
    Role.SOCIAL_WORKER: _ALL_PII,
    # Grid workers visit and phone the household; they do not need the ID number.
    Role.VILLAGE_WORKER: _ALL_PII - {PiiScope.ID_NUMBER},
    # A department handling a transferred case (转办) identifies the person by name and ID number.
    Role.DEPARTMENT_LIAISON: frozenset({PiiScope.NAME, PiiScope.ID_NUMBER}),
    # Providers see nothing private unless the household's consent covers their organisation.
    Role.PROVIDER: frozenset(),
    Role.AUDITOR: frozenset(),
    Role.ADMIN: frozenset(),
}

_HOUSEHOLD_NOT_FOUND = "户不存在或不在您的范围内 / household not found or outside your scope"

# Hop statuses in which a task still ties its assignee to the household.
_LIVE_HOP_STATUSES = frozenset(HopStatus) - {
    HopStatus.CANCELLED,
    HopStatus.ENTERED_IN_ERROR,
    HopStatus.REJECTED,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user as the policy sees them."""

    user_id: str
    username: str
    roles: frozenset[Role]
    area_codes: tuple[str, ...]
    organisation_id: str | None = None

    @property
    def actor(self) -> str:
        """How audit entries name this user."""
        return f"user:{self.username}"


@dataclass(frozen=True, slots=True)
class HouseholdAccess:
    """Why a caller may see a household and which private data it sees unmasked."""

    via: str  # "area" (the household lives in the caller's areas) or "assignment" (a task of theirs)
    pii: frozenset[PiiScope]


class Policy:
    """Decisions for one caller at one moment."""

    def __init__(self, principal: Principal, now: datetime) -> None:
        self.principal = principal
        self.now = now
        self._prefixes = tuple(sorted({subtree_prefix(code) for code in principal.area_codes}))

    # -- what a role may do ----------------------------------------------------------------------
    def allows(self, action: Action) -> bool:
        return any(action in PERMISSIONS[role] for role in self.principal.roles)

    def require(self, action: Action) -> None:
        """403 when none of the caller's roles may do this at all (not about any one object)."""
        if not self.allows(action):
            raise Forbidden(
                f"角色无权执行此操作 / your role may not do this: {action.value}", action=action.value
            )

    @property
    def area_staff(self) -> bool:
        return bool(self.principal.roles & _AREA_STAFF)

    def area_pii(self) -> frozenset[PiiScope]:
        """Private data the caller's area roles see unmasked in their areas (before any consent)."""
        return frozenset().union(*(ROLE_PII[r] for r in self.principal.roles & _AREA_STAFF))

    # -- where ------------------------------------------------------------------------------------
    @property
    def area_prefixes(self) -> tuple[str, ...]:
        """Code prefixes of the subtrees the caller works in (empty: no area)."""
        return self._prefixes

    def covers_area(self, code: str) -> bool:
        """Whether an area lies in one of the caller's subtrees."""
        return any(code.startswith(p) for p in self._prefixes)

    def sees_area(self, code: str) -> bool:
        """Whether an area is in a subtree or above one (ancestors are shown for context)."""
        return self.covers_area(code) or any(p.startswith(subtree_prefix(code)) for p in self._prefixes)

    def villages_in_scope(self, uow: UnitOfWork) -> list[str]:
        """Codes of the villages in the caller's subtrees."""
        codes: set[str] = set()
        for prefix in self._prefixes:
            if len(prefix) == 12:
                codes.add(prefix)
                continue
            villages = uow.find(
                Area, [Filter("level", Op.EQ, AreaLevel.VILLAGE), Filter("code", Op.PREFIX, prefix)]
            )
            codes.update(v.code for v in villages)
        return sorted(codes)

    def household_filters(self, uow: UnitOfWork) -> list[Filter]:
        """Filters that restrict a household query to the caller's area scope."""
        if not self.area_staff:
            return [Filter("id", Op.IN, [])]
        return [Filter("village_code", Op.IN, self.villages_in_scope(uow))]

    # -- one household ----------------------------------------------------------------------------
    def _has_assigned_task(self, uow: UnitOfWork, household_id: str) -> bool:
        """Whether the household has a live task assigned to the caller's organisation.

        Looked up from the household (its few referrals and their hops), not from the organisation,
        whose tasks grow with its workload.
        """
        org = self.principal.organisation_id
        if org is None or not self.principal.roles & _CASE_PARTNERS:
            return False
        referral_ids = [r.id for r in uow.find(Referral, where(household_id=household_id))]
        if not referral_ids:
            return False
        live = sorted(_LIVE_HOP_STATUSES)
        return (
            uow.count(ReferralHop, where(referral_id__in=referral_ids, assignee_id=org, status__in=live)) > 0
        )

    def household_access(self, uow: UnitOfWork, household: Household) -> HouseholdAccess | None:
        """How the caller may see this household, or None when it is outside their scope."""
        roles = self.principal.roles
        if roles & _AREA_STAFF and self.covers_area(household.village_code):
            return HouseholdAccess("area", self.area_pii() | self.consented(uow, household.id))
        if self._has_assigned_task(uow, household.id):
            pii = frozenset().union(*(ROLE_PII[r] for r in roles & _CASE_PARTNERS))
            return HouseholdAccess("assignment", pii | self.consented(uow, household.id))
        return None

    def consented(self, uow: UnitOfWork, household_id: str) -> frozenset[PiiScope]:
        """Private data the household's active consents open to the caller's organisation."""
        org = self.principal.organisation_id
        if org is None:
            return frozenset()
        consents = uow.find(Consent, where(household_id=household_id, organisation_id=org))
        today = self.now.date()
        scopes: set[PiiScope] = set()
        for consent in consents:
            active = consent.revoked_at is None and (
                consent.valid_until is None or today <= consent.valid_until
            )
            if active and consent.given_at <= self.now:
                scopes.update(consent.scopes)
        return frozenset(scopes)

    def log_pii_read(
        self, uow: UnitOfWork, household_id: str, scopes: Iterable[PiiScope], via: str | None = None
    ) -> None:
        """One audit entry for a response that shows a household's private data unmasked (none if nothing)."""
        shown = sorted({s.value for s in scopes})
        if shown:
            changes: dict[str, object] = {"scopes": shown}
            if via is not None:
                changes["via"] = via
            audit.append(
                uow,
                actor=self.principal.actor,
                action="read_pii",
                object_label=Household.LABEL,
                object_id=household_id,
                at=self.now,
                changes=changes,
            )

    def log_pii_list_read(
        self, uow: UnitOfWork, page: str, scopes: Iterable[PiiScope], household_ids: Iterable[str]
    ) -> None:
        """One audit entry for a list page (search, queue, pool) that shows private data unmasked,
        naming every household it shows them of (none if nothing)."""
        shown, households = sorted({s.value for s in scopes}), sorted(set(household_ids))
        if shown and households:
            audit.append(
                uow,
                actor=self.principal.actor,
                action="read_pii_list",
                object_label=Household.LABEL,
                object_id=page,
                at=self.now,
                changes={"scopes": shown, "households": households},
            )

    def load_household(
        self, uow: UnitOfWork, household_id: str, action: Action
    ) -> tuple[Household, HouseholdAccess]:
        """The household and the caller's access to it; 404 when missing or outside the caller's scope."""
        self.require(action)
        household = uow.get(Household, household_id)
        access = None if household is None else self.household_access(uow, household)
        # The same answer whether it is missing or out of scope, and without echoing the id.
        if household is None or access is None:
            raise NodeNotFound(_HOUSEHOLD_NOT_FOUND)
        if action is not Action.READ_HOUSEHOLD and access.via != "area":
            raise NodeNotFound(_HOUSEHOLD_NOT_FOUND)
        return household, access
