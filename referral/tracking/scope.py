"""Which hops a caller's queues and chains draw from, and the audit of private data shown.

Decisions stay in `referral.access` (the policy, `task_access`, `task_pii`); this module only turns
them into store queries: the hops assigned to the caller (their organisation, or an alliance body
they act for) and the hops of households in the caller's areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from graph.model import AllianceBody, Household, Need, Person, Referral, ReferralHop
from graph.model.enums import AllianceLevel, HopStatus, PiiScope
from graph.store import Filter, Op, UnitOfWork
from referral.access.policy import Policy
from referral.access.tasks import BODY_ROLE, acts_for_body


def acted_levels(policy: Policy) -> frozenset[AllianceLevel]:
    """The alliance levels the caller's roles act for (county coordinator: county, ...)."""
    return frozenset(level for level, role in BODY_ROLE.items() if role in policy.principal.roles)


def bodies_acted_for(uow: UnitOfWork, policy: Policy) -> list[AllianceBody]:
    """The alliance bodies the caller acts for (`referral.access.tasks.acts_for_body`)."""
    levels = acted_levels(policy)
    if not levels or not policy.area_prefixes:
        return []
    bodies = uow.find(AllianceBody, [Filter("level", Op.IN, sorted(levels))])
    return [b for b in bodies if acts_for_body(policy, b)]


def assigned_hops(uow: UnitOfWork, policy: Policy, statuses: Iterable[HopStatus]) -> list[ReferralHop]:
    """Hops in these statuses assigned to the caller's organisation or to a body they act for."""
    assignees = [b.id for b in bodies_acted_for(uow, policy)]
    if policy.principal.organisation_id is not None:
        assignees.append(policy.principal.organisation_id)
    if not assignees:
        return []
    return uow.find(
        ReferralHop,
        [Filter("assignee_id", Op.IN, assignees), Filter("status", Op.IN, sorted(statuses))],
    )


def area_referral_ids(uow: UnitOfWork, policy: Policy) -> list[str]:
    """Referrals of households in the caller's areas (none for a caller who is not area staff)."""
    if not policy.area_staff:
        return []
    villages = policy.villages_in_scope(uow)
    needs = uow.find(Need, [Filter("village_code", Op.IN, villages)])
    referrals = uow.find(Referral, [Filter("need_id", Op.IN, [n.id for n in needs])])
    return [r.id for r in referrals]


def area_hops(uow: UnitOfWork, policy: Policy, statuses: Iterable[HopStatus]) -> list[ReferralHop]:
    """Hops in these statuses of households in the caller's areas."""
    referral_ids = area_referral_ids(uow, policy)
    if not referral_ids:
        return []
    return uow.find(
        ReferralHop,
        [Filter("referral_id", Op.IN, referral_ids), Filter("status", Op.IN, sorted(statuses))],
    )


def head_names(
    uow: UnitOfWork, households: Sequence[Household], pii: dict[str, frozenset[PiiScope]]
) -> dict[str, str]:
    """Heads' names of the households whose callers may see names unmasked (others are left out)."""
    wanted = {
        h.head_person_id: h.id
        for h in households
        if h.head_person_id is not None and PiiScope.NAME in pii.get(h.id, frozenset())
    }
    persons = uow.get_many(Person, wanted)
    return {wanted[key]: p.name for key, p in persons.items()}
