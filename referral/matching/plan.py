"""The one-household plan (一户一策): the policies a household qualifies for and the resources matched
to each of its open needs, stored as a `Plan` node with `PLAN_ITEM` relationships.

A plan records what it was made from: the household's version (`household_version`) and each of its
open needs with the need's version (`open_need_versions`, `<id>:<version>`, sorted). Reading it
regenerates it when either moved since: the household changed, or a need was reported, reported again
(its urgency may rise), referred, met, unmet, withdrawn or sent back to open (each adds, drops or
re-versions an open need: every change to a need raises its version). Otherwise the stored plan is
served; a caller may force regeneration. A plan stored before needs were recorded (an empty list) is
regenerated once when the household has open needs. Every generation is a write with its audit entry.

Plan items carry no member data: reasons name the rules and the resource's values only, so nothing in a
plan needs masking beyond the household's target groups, shown as in the household's detail.
"""

from __future__ import annotations

from graph.model import HasPlan, Household, Need, NodeRef, Plan, PlanItem, Resource, new_id
from graph.model.enums import NeedStatus, NeedType, ResourceKind
from graph.store import Direction, Order, UnitOfWork, where
from referral.access.policy import Action, Policy
from referral.audit import service as audit
from referral.matching.eligibility import HouseholdFacts, check
from referral.matching.models import Exclusion, PlanItemView, PlanView
from referral.matching.pool import Pool, load_facts, load_pool
from referral.matching.service import brief, rank

TOP_PER_NEED = 3


def household_plan(uow: UnitOfWork, policy: Policy, household_id: str, *, force: bool = False) -> PlanView:
    """The household's current plan; generated when there is none, it is stale, or `force`.

    Reading needs `READ_PLAN` (every area role, in its areas); forcing a new one needs `MATCH`. A read
    that finds the stored plan stale makes the current one, as any reader would see it: the plan is
    derived from the household and its needs, so this is a refresh, not a decision of the reader.
    """
    action = Action.MATCH if force else Action.READ_PLAN
    household, _access = policy.load_household(uow, household_id, action)
    # The newest plan; two made at the same moment (a fixed clock) go by their ULIDs (creation order).
    newest = [Order("generated_at", descending=True), Order("id", descending=True)]
    latest = uow.find(Plan, where(household_id=household.id), order_by=newest, limit=1)
    needs = _open_needs(uow, household)
    if latest and not force and is_current(latest[0], household, needs):
        return _view(uow, latest[0], household, needs, regenerated=False)
    return _generate(uow, policy, household, needs)


def need_versions(needs: list[Need]) -> list[str]:
    """The open needs a plan is made from, as stored on it: `<id>:<version>`, sorted."""
    return sorted(f"{n.id}:{n.version}" for n in needs)


def is_current(plan: Plan, household: Household, open_needs: list[Need]) -> bool:
    """Whether a stored plan was made from the household and open needs as they are now."""
    return plan.household_version == household.version and plan.open_need_versions == need_versions(
        open_needs
    )


def _open_needs(uow: UnitOfWork, household: Household) -> list[Need]:
    return uow.find(
        Need, where(household_id=household.id, status=NeedStatus.OPEN), order_by=[Order("created_at")]
    )


def _policy_items(plan: NodeRef, facts: HouseholdFacts, pool: Pool, needs: list[Need]) -> dict[str, PlanItem]:
    """Policies the household qualifies for (or already receives), without a need."""
    items: dict[str, PlanItem] = {}
    for resource in pool.resources:
        if resource.kind is not ResourceKind.POLICY:
            continue
        verdict = check(facts, resource)
        # A benefit the household receives is listed as received, whatever else changed since.
        received = Exclusion.ALREADY_RECEIVED in verdict.reasons
        if not verdict.eligible and not received:
            continue
        if received:
            reason = "已在享受 / already received"
        elif resource.target_groups:
            groups = sorted(facts.groups & set(resource.target_groups))
            reason = f"适用对象 {'、'.join(g.zh for g in groups)} / for {', '.join(groups)}"
        else:
            reason = "面向所有困难家庭 / open to every household in need"
        if verdict.replaces is not None:
            reason += f"；优于现享受的 {verdict.replaces.code} / better than {verdict.replaces.code}"
        items[resource.id] = PlanItem(
            start=plan,
            end=resource.ref,
            need_ids=[n.id for n in needs if n.type in resource.need_types],
            score=None,
            reason=reason,
        )
    return items


def _service_items(
    plan: NodeRef, facts: HouseholdFacts, pool: Pool, needs: list[Need]
) -> dict[str, PlanItem]:
    """For each open need, the best non-policy resources (services, jobs, training, volunteers)."""
    items: dict[str, PlanItem] = {}
    for need in needs:
        offers = [r for r in pool.by_type.get(need.type, []) if r.kind is not ResourceKind.POLICY]
        ranked, _excluded = rank(need, facts, pool, offers)
        for candidate in ranked[:TOP_PER_NEED]:
            reason = f"{need.type.zh}需求匹配，得分 {candidate.score} / matches the {need.type} need"
            found = items.get(candidate.resource.id)
            if found is None:
                items[candidate.resource.id] = PlanItem(
                    start=plan,
                    end=NodeRef(Resource.LABEL, candidate.resource.id),
                    need_ids=[need.id],
                    score=candidate.score,
                    reason=reason,
                )
            else:
                items[candidate.resource.id] = found.model_copy(
                    update={
                        "need_ids": [*found.need_ids, need.id],
                        "score": max(found.score or 0, candidate.score),
                        "reason": f"{found.reason}；{reason}",
                    }
                )
    return items


def _generate(uow: UnitOfWork, policy: Policy, household: Household, needs: list[Need]) -> PlanView:
    pool = load_pool(uow, [household.village_code])
    facts = load_facts(uow, [household], policy.now.date())[household.id]
    plan = Plan(
        id=new_id(),
        household_id=household.id,
        household_version=household.version,
        open_need_versions=need_versions(needs),
        generated_at=policy.now,
        generated_by=policy.principal.actor,
    )
    uow.create(plan)
    uow.relate(HasPlan(start=household.ref, end=plan.ref))
    items = {**_policy_items(plan.ref, facts, pool, needs), **_service_items(plan.ref, facts, pool, needs)}
    for item in items.values():
        uow.relate(item)
    audit.append(
        uow,
        actor=policy.principal.actor,
        action="generate_plan",
        object_label=Plan.LABEL,
        object_id=plan.id,
        at=policy.now,
        changes={
            "household_id": [None, household.id],
            "household_version": [None, household.version],
            "open_needs": [None, len(needs)],
            "items": [None, len(items)],
        },
    )
    return _view(uow, plan, household, needs, regenerated=True)


def _view(
    uow: UnitOfWork, plan: Plan, household: Household, needs: list[Need], *, regenerated: bool
) -> PlanView:
    rels = uow.neighbours(plan.ref, ["PLAN_ITEM"], Direction.OUT, label=Resource.LABEL)
    received = {
        n.node.key for n in uow.neighbours(household.ref, ["RECEIVES"], Direction.OUT, label=Resource.LABEL)
    }
    need_ids = {i for n in rels if isinstance(n.rel, PlanItem) for i in n.rel.need_ids}
    need_types: dict[str, NeedType] = {k: v.type for k, v in uow.get_many(Need, need_ids).items()}
    policies: list[PlanItemView] = []
    services: list[PlanItemView] = []
    for n in rels:
        resource, rel = n.node, n.rel
        if not isinstance(resource, Resource) or not isinstance(rel, PlanItem):
            continue
        view = PlanItemView(
            resource=brief(resource),
            need_ids=rel.need_ids,
            need_types=sorted({need_types[i] for i in rel.need_ids if i in need_types}),
            score=rel.score,
            reason=rel.reason,
            received=resource.id in received,
        )
        (policies if resource.kind is ResourceKind.POLICY else services).append(view)
    policies.sort(key=lambda v: (v.received, v.resource.code))
    services.sort(key=lambda v: (-(v.score or 0), v.resource.code))
    return PlanView(
        id=plan.id,
        household_id=household.id,
        household_version=plan.household_version,
        generated_at=plan.generated_at,
        generated_by=plan.generated_by,
        regenerated=regenerated,
        groups=sorted(household.categories),
        policies=policies,
        services=services,
        open_needs=[n.id for n in needs],
    )
