"""Who is who around a hop: its sender and assignee, a household's alliance bodies, the caller's sides."""

from __future__ import annotations

from graph.model import AllianceBody, Household, Organisation, Referral, ReferralHop
from graph.model.enums import Role
from graph.store import Direction, UnitOfWork, where
from referral.access.policy import Policy
from referral.access.tasks import LoadedTask, TaskAccess, acts_for_body
from referral.routing.workflow import Side

Party = AllianceBody | Organisation
_ORG_ROLES = frozenset({Role.PROVIDER, Role.DEPARTMENT_LIAISON})


def township_of(village_code: str) -> str:
    """The township code of a village (the first 9 digits, padded)."""
    return village_code[:9] + "000"


def county_of(village_code: str) -> str:
    return village_code[:6] + "000000"


def body_at(uow: UnitOfWork, area_code: str) -> AllianceBody | None:
    """The alliance body of an area (AllianceBody.area_code is unique)."""
    found = uow.find(AllianceBody, where(area_code=area_code), limit=1)
    return found[0] if found else None


def sender_of(uow: UnitOfWork, hop: ReferralHop) -> Party | None:
    """The body or organisation that handed this hop on (SENT_BY)."""
    for n in uow.neighbours(hop.ref, ["SENT_BY"], Direction.OUT):
        if isinstance(n.node, (AllianceBody, Organisation)):
            return n.node
    return None


def assignee_of(uow: UnitOfWork, hop: ReferralHop) -> Party | None:
    """The body or organisation the hop is with (None in the open pool)."""
    if hop.assignee_id is None:
        return None
    if hop.assignee_label == "AllianceBody":
        return uow.get(AllianceBody, hop.assignee_id)
    return uow.get(Organisation, hop.assignee_id)


def acts_for(policy: Policy, party: Party | None) -> bool:
    """Whether the caller acts for this body (its level's role, in their areas) or organisation."""
    if party is None:
        return False
    if isinstance(party, AllianceBody):
        return acts_for_body(policy, party)
    org = policy.principal.organisation_id
    return org == party.id and bool(policy.principal.roles & _ORG_ROLES)


def hops_of(uow: UnitOfWork, referral_id: str) -> list[ReferralHop]:
    """A referral's hops in order."""
    return sorted(uow.find(ReferralHop, where(referral_id=referral_id)), key=lambda h: h.seq)


def dispatcher_of(uow: UnitOfWork, referral: Referral) -> Party | None:
    """Who started the referral: the sender of its first hop."""
    hops = hops_of(uow, referral.id)
    return sender_of(uow, hops[0]) if hops else None


def sides_of(uow: UnitOfWork, policy: Policy, task: LoadedTask) -> set[Side]:
    """Where the caller stands with respect to a hop."""
    sides: set[Side] = set()
    if TaskAccess.ASSIGNEE in task.access:
        sides.add(Side.ASSIGNEE)
    if TaskAccess.POOL in task.access:
        sides.add(Side.CLAIMANT)
    if acts_for(policy, sender_of(uow, task.hop)) or acts_for(policy, dispatcher_of(uow, task.referral)):
        sides.add(Side.SENDER)
    return sides


def household_body(uow: UnitOfWork, household: Household, *, county: bool = False) -> AllianceBody | None:
    """The township (or county) alliance body of a household's area."""
    code = county_of(household.village_code) if county else township_of(household.village_code)
    return body_at(uow, code)
