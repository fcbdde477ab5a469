"""The assistance chain of a household (一户一条帮扶链) or of one need: timeline and graph.

Discovery (needs and their reports) -> matching (the referral's resource) -> referral -> hops
(sender -> assignee, status changes, escalations) -> delivery -> verification -> effect evaluation.
Area staff see the whole chain of households in their areas; a provider or liaison sees only the
referrals with a task assigned to its organisation, masked per `task_pii`; anything else is 404.
Showing private data unmasked (the head's name, delivered amounts) appends a read_pii audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from graph.errors import NodeNotFound
from graph.model import (
    AllianceBody,
    Area,
    Delivery,
    Household,
    Need,
    NeedReport,
    Node,
    Organisation,
    Outcome,
    Person,
    Referral,
    ReferralHop,
    Resource,
    StatusChange,
)
from graph.model.enums import PiiScope
from graph.model.identity import parent_code
from graph.store import Filter, Op, Order, UnitOfWork, where
from referral.access.policy import Action, Policy
from referral.access.tasks import TaskAccess, task_access, task_pii
from referral.tracking.chain_views import ChainParts, build_graph, build_timeline
from referral.tracking.models import Trace

N = TypeVar("N", bound=Node)
HOUSEHOLD_NOT_FOUND = "户不存在或不在您的范围内 / household not found or outside your scope"
NEED_NOT_FOUND = "需求不存在或不在您的范围内 / need not found or outside your scope"
# Private data a trace can show, and what it hides without it.
_SHOWN = {PiiScope.NAME: "head_name", PiiScope.INCOME: "amounts"}


@dataclass
class _Scope:
    via: str  # "area" or "assignment"
    referral_ids: set[str] = field(default_factory=set)
    pii: frozenset[PiiScope] = frozenset()


def household_trace(uow: UnitOfWork, policy: Policy, household_id: str) -> Trace:
    """Every need of the household with its referrals, as far as the caller may see (404 outside)."""
    policy.require(Action.READ_TRACE)
    household = uow.get(Household, household_id)
    if household is None:
        raise NodeNotFound(HOUSEHOLD_NOT_FOUND)
    needs = uow.find(Need, where(household_id=household.id), order_by=[Order("created_at")])
    referrals = uow.find(Referral, where(household_id=household.id), order_by=[Order("created_at")])
    return _trace(uow, policy, household, needs, referrals, None, HOUSEHOLD_NOT_FOUND)


def need_trace(uow: UnitOfWork, policy: Policy, need_id: str) -> Trace:
    """One need's part of its household's chain (404 when missing or outside the caller's scope)."""
    policy.require(Action.READ_TRACE)
    need = uow.get(Need, need_id)
    household = uow.get(Household, need.household_id) if need else None
    if need is None or household is None:
        raise NodeNotFound(NEED_NOT_FOUND)
    referrals = uow.find(Referral, where(need_id=need.id), order_by=[Order("created_at")])
    return _trace(uow, policy, household, [need], referrals, need.id, NEED_NOT_FOUND)


def _scope(uow: UnitOfWork, policy: Policy, household: Household, hops: list[ReferralHop]) -> _Scope | None:
    """Which referrals the caller may see and which private data unmasked; None: outside scope."""
    if policy.area_staff and policy.covers_area(household.village_code):
        pii = policy.area_pii() | policy.consented(uow, household.id)
        return _Scope("area", {h.referral_id for h in hops}, pii)
    own = [h for h in hops if TaskAccess.ASSIGNEE in task_access(uow, policy, h, household)]
    if not own:
        return None
    pii = task_pii(uow, policy, household, frozenset({TaskAccess.ASSIGNEE}))
    return _Scope("assignment", {h.referral_id for h in own}, pii)


def _in(uow: UnitOfWork, cls: type[N], name: str, keys: list[str]) -> list[N]:
    return uow.find(cls, [Filter(name, Op.IN, keys)]) if keys else []


def _trace(
    uow: UnitOfWork,
    policy: Policy,
    household: Household,
    needs: list[Need],
    referrals: list[Referral],
    need_id: str | None,
    not_found: str,
) -> Trace:
    hops = _in(uow, ReferralHop, "referral_id", [r.id for r in referrals])
    scope = _scope(uow, policy, household, hops)
    if scope is None:
        raise NodeNotFound(not_found)
    referrals = [r for r in referrals if r.id in scope.referral_ids or scope.via == "area"]
    if scope.via != "area":  # only the needs of the caller's own tasks
        shown_needs = {r.need_id for r in referrals}
        needs = [n for n in needs if n.id in shown_needs]
    referral_ids = [r.id for r in referrals]
    hops = sorted((h for h in hops if h.referral_id in referral_ids), key=lambda h: (h.referral_id, h.seq))
    subjects = [n.id for n in needs] + referral_ids + [h.id for h in hops]
    parts = ChainParts(
        household=household,
        needs=needs,
        reports=_in(uow, NeedReport, "need_id", [n.id for n in needs]),
        referrals=referrals,
        hops=hops,
        changes=_in(uow, StatusChange, "subject_id", subjects),
        deliveries=_in(uow, Delivery, "referral_id", referral_ids),
        outcomes=_in(uow, Outcome, "referral_id", referral_ids),
        resources=uow.get_many(Resource, {r.resource_id for r in referrals if r.resource_id}),
        senders={},
        bodies={},
        organisations={},
        now=policy.now,
        show_amounts=PiiScope.INCOME in scope.pii,
    )
    _load_parties(uow, parts)
    head = None
    if PiiScope.NAME in scope.pii and household.head_person_id:
        person = uow.get(Person, household.head_person_id)
        head = person.name if person else None
    township = parent_code(household.village_code) or household.village_code
    areas = uow.get_many(Area, [household.village_code, township])
    shown = {s for s in _SHOWN if s in scope.pii}
    if head is None:
        shown.discard(PiiScope.NAME)
    if not (parts.deliveries or parts.outcomes):
        shown.discard(PiiScope.INCOME)
    policy.log_pii_read(uow, household.id, shown, via="trace")
    return Trace(
        household_id=household.id,
        need_id=need_id,
        access="area" if scope.via == "area" else "assignment",
        head_name=head,
        village_code=household.village_code,
        village_name=areas[household.village_code].name if household.village_code in areas else None,
        township_code=township,
        township_name=areas[township].name if township in areas else None,
        now=policy.now,
        timeline=build_timeline(parts),
        graph=build_graph(parts, head),
        masked=sorted(name for scope_, name in _SHOWN.items() if scope_ not in shown),
    )


def _load_parties(uow: UnitOfWork, parts: ChainParts) -> None:
    """Who sent each hop (SENT_BY) and who it is with (bodies and organisations), by id."""
    sender_refs: dict[str, tuple[str, str]] = {}
    senders = uow.neighbours_many([hop.ref for hop in parts.hops], ["SENT_BY"])
    for hop in parts.hops:
        for found in senders[hop.ref]:
            sender_refs[hop.id] = (found.node.LABEL, found.node.key)
            node = found.node
            if isinstance(node, AllianceBody):
                parts.bodies[node.id] = node
            elif isinstance(node, Organisation):
                parts.organisations[node.id] = node
    parts.senders = sender_refs
    body_ids = {h.assignee_id for h in parts.hops if h.assignee_id and h.assignee_label == "AllianceBody"}
    org_ids = {h.assignee_id for h in parts.hops if h.assignee_id and h.assignee_label == "Organisation"}
    parts.bodies.update(uow.get_many(AllianceBody, body_ids - set(parts.bodies)))
    parts.organisations.update(uow.get_many(Organisation, org_ids - set(parts.organisations)))
