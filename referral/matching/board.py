"""The dispatch board (派单台): an area's needs in one status, urgent first then oldest first, each with
its best candidate resources explained by their score parts (the same ranking as
`GET /needs/{id}/candidates`). Reading it is matching (`Action.MATCH`); dispatching stays with routing.

Head names and need descriptions are private (name, health): shown unmasked only when the caller's
area roles see them, and then one `read_pii_list` entry names the households of the page.
"""

from __future__ import annotations

from graph.model import Area, Household, Need, Person
from graph.model.enums import NeedStatus, PiiScope, Urgency
from graph.model.identity import subtree_prefix
from graph.store import Filter, Op, UnitOfWork
from referral.access.policy import Action, Policy
from referral.matching.models import BoardNeed, Candidate, NeedBoard
from referral.matching.pool import load_facts, load_pool
from referral.matching.service import area_in_scope, rank


def _needs(uow: UnitOfWork, policy: Policy, area_code: str | None, status: NeedStatus) -> list[Need]:
    """Needs in this status in the area (404 outside scope) or in all the caller's areas."""
    prefixes = (
        [subtree_prefix(area_in_scope(uow, policy, area_code).code)] if area_code else policy.area_prefixes
    )
    found: dict[str, Need] = {}
    for prefix in prefixes:
        for need in uow.find(
            Need, [Filter("status", Op.EQ, status), Filter("village_code", Op.PREFIX, prefix)]
        ):
            found[need.id] = need
    return sorted(found.values(), key=lambda n: (n.urgency is not Urgency.URGENT, n.created_at, n.id))


def dispatch_board(
    uow: UnitOfWork,
    policy: Policy,
    *,
    area_code: str | None = None,
    status: NeedStatus = NeedStatus.OPEN,
    limit: int = 20,
    offset: int = 0,
    candidates: int = 3,
) -> NeedBoard:
    """One page of the board; `candidates` best resources per need (0: none, and no matching work)."""
    policy.require(Action.MATCH)
    needs = _needs(uow, policy, area_code, status)
    page = needs[offset : offset + limit]
    households = uow.get_many(Household, {n.household_id for n in page})
    page = [n for n in page if n.household_id in households]
    villages = uow.get_many(Area, {n.village_code for n in page})
    pii = policy.area_pii()
    heads = (
        uow.get_many(Person, [h.head_person_id for h in households.values() if h.head_person_id])
        if PiiScope.NAME in pii
        else {}
    )
    ranked: dict[str, tuple[list[Candidate], int]] = {}
    if candidates and page:
        pool = load_pool(uow, {n.village_code for n in page})
        facts = load_facts(uow, households.values(), policy.now.date())
        for need in page:
            found, _excluded = rank(need, facts[need.household_id], pool, pool.by_type.get(need.type, []))
            ranked[need.id] = (found[:candidates], len(found))
    items: list[BoardNeed] = []
    for need in page:
        household = households[need.household_id]
        head = heads.get(household.head_person_id or "")
        described = PiiScope.HEALTH in pii and need.description is not None
        masked = [
            f
            for f, shown in (("head_name", head is not None), ("description", PiiScope.HEALTH in pii))
            if not shown
        ]
        best: list[Candidate] = []
        eligible: int | None = None
        if need.id in ranked:
            best, eligible = ranked[need.id]
        village = villages.get(need.village_code)
        items.append(
            BoardNeed(
                need_id=need.id,
                household_id=household.id,
                village_code=need.village_code,
                village_name=village.name if village else None,
                need_type=need.type,
                need_type_zh=need.type.zh,
                urgency=need.urgency,
                status=need.status,
                report_count=need.report_count,
                created_at=need.created_at,
                head_name=head.name if head else None,
                description=need.description if described else None,
                risk_level=household.risk_level,
                candidates=best,
                eligible=eligible,
                masked=masked,
            )
        )
    shown = {PiiScope.NAME} if heads else set()
    if any(i.description for i in items):
        shown.add(PiiScope.HEALTH)
    policy.log_pii_list_read(
        uow, "dispatch_board", shown, [i.household_id for i in items if i.head_name or i.description]
    )
    return NeedBoard(
        area_code=area_code,
        status=status,
        total=len(needs),
        limit=limit,
        offset=offset,
        generated_at=policy.now,
        items=items,
    )
