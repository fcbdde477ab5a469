"""Matching services: candidates for one need, and the batch proposal for an area.

Functions take the unit of work and the caller's policy, never commit, and go through the policy
(`Action.MATCH`; 404 for a need or area outside the caller's scope, exactly as for a missing one).
A batch proposal is not dispatched: it is returned for the coordinator to act on (routing).
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date

from graph.errors import NodeNotFound
from graph.model import Area, Household, Need, Resource
from graph.model.enums import AreaLevel, NeedStatus, PiiScope
from graph.model.identity import subtree_prefix
from graph.store import Filter, Op, UnitOfWork
from referral.access.policy import Action, Policy
from referral.matching.eligibility import HouseholdFacts, Rule, Verdict, check
from referral.matching.models import (
    Assignment,
    BatchProposal,
    Candidate,
    CandidateList,
    Excluded,
    Exclusion,
    Finding,
    ResourceBrief,
    UnmetNeed,
    UnmetReason,
)
from referral.matching.pool import Pool, load_facts, load_pool
from referral.matching.scoring import cost_parts, need_cost, pair_cost, score_parts
from referral.matching.solver import Problem, solve

_NEED_NOT_FOUND = "需求不存在或不在您的范围内 / need not found or outside your scope"
_AREA_NOT_FOUND = "区域不存在或不在您的范围内 / area not found or outside your scope"


def brief(resource: Resource) -> ResourceBrief:
    return ResourceBrief(
        id=resource.id,
        code=resource.code,
        name=resource.name,
        kind=resource.kind,
        provider_id=resource.provider_id,
        stacking_group=resource.stacking_group,
        benefit=resource.benefit,
    )


def finding(rule: Rule, pii: frozenset[PiiScope]) -> Finding:
    """A failed rule as the caller may see it: a detail about members needs the matching scope."""
    shown = rule.scope is None or rule.scope in pii
    return Finding(
        reason=rule.reason,
        label_zh=rule.reason.zh,
        label_en=rule.reason.en,
        detail=rule.detail if shown else None,
        masked=not shown,
    )


def rank(
    need: Need, facts: HouseholdFacts, pool: Pool, resources: list[Resource]
) -> tuple[list[Candidate], list[tuple[Resource, Verdict]]]:
    """Eligible resources for a need, best first, and the excluded ones with their verdicts."""
    candidates: list[Candidate] = []
    excluded: list[tuple[Resource, Verdict]] = []
    for resource in resources:
        remaining = pool.remaining(resource)
        verdict = check(facts, resource, need_type=need.type, remaining=remaining)
        if not verdict.eligible:
            excluded.append((resource, verdict))
            continue
        km, load = pool.distance_km(facts.village_code, resource), pool.load(resource)
        parts = score_parts(need.type, need.urgency, facts.risk_level, km, load, resource)
        candidates.append(
            Candidate(
                resource=brief(resource),
                score=sum(parts.values()),
                parts=parts,
                distance_km=km,
                provider_load=load,
                remaining_capacity=remaining,
                replaces=verdict.replaces.code if verdict.replaces else None,
            )
        )
    candidates.sort(key=lambda c: (-c.score, c.resource.code))
    return candidates, excluded


def candidates(uow: UnitOfWork, policy: Policy, need_id: str, limit: int = 10) -> CandidateList:
    """Ranked candidate resources for one need, and the excluded ones of its type with the reasons."""
    policy.require(Action.MATCH)
    need = uow.get(Need, need_id)
    if need is None:
        raise NodeNotFound(_NEED_NOT_FOUND)
    try:
        household, access = policy.load_household(uow, need.household_id, Action.MATCH)
    except NodeNotFound:
        raise NodeNotFound(_NEED_NOT_FOUND) from None
    today = policy.now.date()
    pool = load_pool(uow, [household.village_code])
    facts = load_facts(uow, [household], today)[household.id]
    serving = pool.by_type.get(need.type, [])
    ranked, excluded = rank(need, facts, pool, serving)
    shown: set[PiiScope] = set()
    for _resource, verdict in excluded:
        shown |= {r.scope for r in verdict.failed if r.scope is not None and r.scope in access.pii}
    policy.log_pii_read(uow, household.id, shown)
    return CandidateList(
        need_id=need.id,
        household_id=household.id,
        need_type=need.type,
        urgency=need.urgency,
        candidates=ranked[:limit],
        excluded=[
            Excluded(resource=brief(r), findings=[finding(rule, access.pii) for rule in v.failed])
            for r, v in sorted(excluded, key=lambda rv: rv[0].code)
        ],
        not_serving_type=len(pool.resources) - len(serving),
    )


# -- batch ----------------------------------------------------------------------------------------
def area_in_scope(uow: UnitOfWork, policy: Policy, area_code: str) -> Area:
    """The area, when the caller may match and it lies in their areas (404 otherwise, as if missing)."""
    policy.require(Action.MATCH)
    area = uow.get(Area, area_code)
    if area is None or not policy.covers_area(area.code):
        raise NodeNotFound(_AREA_NOT_FOUND)
    return area


def _unmet_reason(seen: Counter[Exclusion]) -> UnmetReason:
    """Why a need with no eligible resource is unmet: full, stacking, or not eligible at all."""
    if seen and set(seen) <= {Exclusion.NO_CAPACITY}:
        return UnmetReason.CAPACITY
    if seen and set(seen) <= {Exclusion.STACKING, Exclusion.ALREADY_RECEIVED}:
        return UnmetReason.STACKING
    return UnmetReason.NO_ELIGIBLE


def batch(uow: UnitOfWork, policy: Policy, area_code: str) -> BatchProposal:
    """The optimal assignment of the area's open needs to eligible resources (a proposal)."""
    area = area_in_scope(uow, policy, area_code)
    prefix = subtree_prefix(area.code)
    villages = (
        [area.code]
        if area.level is AreaLevel.VILLAGE
        else [
            a.code
            for a in uow.find(
                Area, [Filter("level", Op.EQ, AreaLevel.VILLAGE), Filter("code", Op.PREFIX, prefix)]
            )
        ]
    )
    needs = uow.find(
        Need, [Filter("status", Op.EQ, NeedStatus.OPEN), Filter("village_code", Op.PREFIX, prefix)]
    )
    needs.sort(key=lambda n: (n.created_at, n.id))
    households = uow.get_many(Household, {n.household_id for n in needs})
    needs = [n for n in needs if n.household_id in households]
    today: date = policy.now.date()
    pool = load_pool(uow, villages)
    facts = load_facts(uow, households.values(), today)
    return propose(area.code, needs, facts, pool, policy)


def propose(
    area_code: str, needs: list[Need], facts: dict[str, HouseholdFacts], pool: Pool, policy: Policy
) -> BatchProposal:
    """Build the flow problem from eligibility and costs, solve it, and explain every unmet need."""
    resources = [r for r in pool.resources if r.active]
    index = {r.id: i for i, r in enumerate(resources)}
    group_ids: dict[str, int] = {}
    household_ids: dict[str, int] = {}
    arc_need: list[int] = []
    arc_resource: list[int] = []
    arc_cost: list[int] = []
    seen: list[Counter[Exclusion]] = []
    replaces: dict[tuple[int, int], str] = {}
    for n, need in enumerate(needs):
        hf = facts[need.household_id]
        household_ids.setdefault(need.household_id, len(household_ids))
        reasons: Counter[Exclusion] = Counter()
        for resource in pool.by_type.get(need.type, []):
            # Capacity is left to the flow (remaining capacity is the resource's arc capacity).
            verdict = check(hf, resource, need_type=need.type)
            if not verdict.eligible:
                reasons.update(verdict.reasons)
                continue
            remaining = pool.remaining(resource)
            if remaining is not None and remaining <= 0:
                reasons[Exclusion.NO_CAPACITY] += 1
                continue
            r = index[resource.id]
            arc_need.append(n)
            arc_resource.append(r)
            arc_cost.append(pair_cost(pool.distance_km(hf.village_code, resource), pool.load(resource)))
            if verdict.replaces:
                replaces[(n, r)] = verdict.replaces.code
        if not pool.by_type.get(need.type):
            reasons[Exclusion.NEED_TYPE] += 1
        seen.append(reasons)
    problem = Problem(
        need_household=[household_ids[n.household_id] for n in needs],
        need_cost=[need_cost(n.urgency, facts[n.household_id].risk_level) for n in needs],
        capacity=[max(0, rem) if (rem := pool.remaining(r)) is not None else None for r in resources],
        group=[
            None if r.stacking_group is None else group_ids.setdefault(r.stacking_group, len(group_ids))
            for r in resources
        ],
        arc_need=arc_need,
        arc_resource=arc_resource,
        arc_cost=arc_cost,
    )
    started = time.perf_counter()
    solution = solve(problem)
    solver_ms = (time.perf_counter() - started) * 1000
    need_groups: dict[int, set[int | None]] = {}
    for n, r in zip(arc_need, arc_resource, strict=True):
        need_groups.setdefault(n, set()).add(problem.group[r])
    used_groups = {(problem.need_household[n], problem.group[r]) for n, r in solution.assigned.items()}
    assignments = []
    for n, r in sorted(solution.assigned.items()):
        need, resource, hf = needs[n], resources[r], facts[needs[n].household_id]
        km, load = pool.distance_km(hf.village_code, resource), pool.load(resource)
        parts = cost_parts(score_parts(need.type, need.urgency, hf.risk_level, km, load, resource))
        assignments.append(
            Assignment(
                need_id=need.id,
                household_id=need.household_id,
                village_code=need.village_code,
                need_type=need.type,
                urgency=need.urgency,
                resource=brief(resource),
                cost=solution.arc_cost[n],
                cost_parts=parts,
                distance_km=km,
                replaces=replaces.get((n, r)),
            )
        )
    unmet = []
    for n in solution.unmet:
        need = needs[n]
        if n not in need_groups:
            reason = _unmet_reason(seen[n])
        elif n in solution.dropped or any(
            (problem.need_household[n], g) in used_groups for g in need_groups[n] if g is not None
        ):
            reason = UnmetReason.STACKING
        else:
            reason = UnmetReason.CAPACITY
        unmet.append(
            UnmetNeed(
                need_id=need.id,
                household_id=need.household_id,
                village_code=need.village_code,
                need_type=need.type,
                urgency=need.urgency,
                reason=reason,
                reasons_seen=dict(sorted(seen[n].items())),
            )
        )
    assigned_cost = sum(solution.arc_cost.values())
    return BatchProposal(
        area_code=area_code,
        generated_at=policy.now,
        needs=len(needs),
        resources=len(resources),
        arcs=len(arc_need),
        assigned=len(assignments),
        total_cost=solution.total_cost,
        assigned_cost=assigned_cost,
        unmet_cost_each=problem.unmet_cost,
        solver_ms=round(solver_ms, 2),
        assignments=assignments,
        unmet=unmet,
        unmet_by_reason=dict(sorted(Counter(u.reason for u in unmet).items())),
    )
