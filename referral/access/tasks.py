"""Who may see and act on a referral task (a hop): the task half of the policy layer.

A hop is visible
- to area staff when the household lives in their areas (`area`);
- to the organisation it is assigned to, and to the staff acting for the alliance body it is
  assigned to: a county body by county coordinators, a township body by township officers, a
  village body by village workers, each within their areas (`assignee`);
- to a provider whose organisation's service area covers the household while the task is in the
  open pool (`pool`), with private data masked unless consent covers that organisation.
Anything else answers 404 like a missing task.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from graph.errors import NodeNotFound
from graph.model import AllianceBody, Household, Organisation, Referral, ReferralHop
from graph.model.enums import AllianceLevel, HopStatus, PiiScope, Role
from graph.model.identity import subtree_prefix
from graph.store import UnitOfWork
from referral.access.policy import ROLE_PII, Action, Policy

TASK_NOT_FOUND = "任务不存在或不在您的范围内 / task not found or outside your scope"

# Which role acts for an alliance body of each level.
BODY_ROLE: dict[AllianceLevel, Role] = {
    AllianceLevel.COUNTY: Role.COUNTY_COORDINATOR,
    AllianceLevel.TOWNSHIP: Role.TOWNSHIP_OFFICER,
    AllianceLevel.VILLAGE: Role.VILLAGE_WORKER,
}


class TaskAccess(enum.StrEnum):
    AREA = "area"
    ASSIGNEE = "assignee"
    POOL = "pool"


@dataclass(frozen=True, slots=True)
class LoadedTask:
    """A hop with its referral and household, and how the caller may see it."""

    hop: ReferralHop
    referral: Referral
    household: Household
    access: frozenset[TaskAccess]
    pii: frozenset[PiiScope]


def acts_for_body(policy: Policy, body: AllianceBody) -> bool:
    """Whether the caller acts for this alliance body (its level's role, within their areas)."""
    return BODY_ROLE[body.level] in policy.principal.roles and policy.covers_area(body.area_code)


def organisation_serves(organisation: Organisation, village_code: str) -> bool:
    """Whether a village lies in the organisation's service area."""
    return organisation.active and any(
        village_code.startswith(subtree_prefix(code)) for code in organisation.service_area_codes
    )


def task_access(
    uow: UnitOfWork, policy: Policy, hop: ReferralHop, household: Household
) -> frozenset[TaskAccess]:
    """Every way the caller may see this hop (empty: not at all)."""
    found: set[TaskAccess] = set()
    roles = policy.principal.roles
    if policy.area_staff and policy.covers_area(household.village_code):
        found.add(TaskAccess.AREA)
    org = policy.principal.organisation_id
    if hop.assignee_label == "Organisation" and org is not None and hop.assignee_id == org:
        found.add(TaskAccess.ASSIGNEE)
    if hop.assignee_label == "AllianceBody" and hop.assignee_id is not None:
        body = uow.get(AllianceBody, hop.assignee_id)
        if body is not None and acts_for_body(policy, body):
            found.add(TaskAccess.ASSIGNEE)
    if (
        Role.PROVIDER in roles
        and org is not None
        and hop.status is HopStatus.READY
        and hop.assignee_id is None
    ):
        organisation = uow.get(Organisation, org)
        if organisation is not None and organisation_serves(organisation, household.village_code):
            found.add(TaskAccess.POOL)
    return frozenset(found)


def task_pii(
    uow: UnitOfWork, policy: Policy, household: Household, access: frozenset[TaskAccess]
) -> frozenset[PiiScope]:
    """Private data shown unmasked with a task: by area role, by case role when assigned, and by consent."""
    pii: set[PiiScope] = set(policy.consented(uow, household.id))
    if TaskAccess.AREA in access:
        pii |= policy.area_pii()
    if TaskAccess.ASSIGNEE in access:
        for role in policy.principal.roles & {Role.PROVIDER, Role.DEPARTMENT_LIAISON}:
            pii |= ROLE_PII[role]
    return frozenset(pii)


def load_task(uow: UnitOfWork, policy: Policy, hop_id: str, action: Action) -> LoadedTask:
    """A hop the caller may see, with its referral and household; 404 when missing or out of scope."""
    policy.require(action)
    hop = uow.get(ReferralHop, hop_id)
    referral = uow.get(Referral, hop.referral_id) if hop else None
    household = uow.get(Household, referral.household_id) if referral else None
    if hop is None or referral is None or household is None:
        raise NodeNotFound(TASK_NOT_FOUND)
    access = task_access(uow, policy, hop, household)
    if not access:
        raise NodeNotFound(TASK_NOT_FOUND)
    return LoadedTask(hop, referral, household, access, task_pii(uow, policy, household, access))
