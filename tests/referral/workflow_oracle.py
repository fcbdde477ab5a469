"""Decision 0007 as the state machine's oracle: one case read from the store, what each actor may do
to it, and what must hold of it whatever was done.

`read_case` loads everything one state-machine example created (its needs, their referrals, hops and
status changes, who sent and holds each hop, outcomes and escalations). `legal_moves` lists, from the
decision's table alone, every (actor, action, target) that must succeed in that state and what it must
change; anything not listed must be refused, and `near_misses` names the refusals worth trying (a
wrong action or a wrong actor on the live case). `check_case` asserts the invariants of the domain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from graph.model import AuditEntry, Need, Outcome, Referral, ReferralHop, StatusChange
from graph.model.cases import HOP_STATUS_TIMESTAMP
from graph.model.enums import HopStatus, NeedStatus, OutcomeResult, ReferralStatus
from graph.store import Direction, UnitOfWork, where
from referral.routing.workflow import (
    NEED_TRANSITIONS,
    OPEN,
    REFERRAL_TRANSITIONS,
    TRANSITIONS,
    Side,
    allowed_sides,
)

S = HopStatus
Key = tuple[str, str, str]  # (actor, action, id of the hop, referral or need acted on)

# The holder's actions on an open hop: the status each moves it to and, for the two that share one
# (start and resume), the only status it moves from. Whether the holder may is the table's business.
HOLDER_ACTIONS: dict[str, tuple[HopStatus, HopStatus | None]] = {
    "receive": (S.RECEIVED, None),
    "accept": (S.ACCEPTED, None),
    "start": (S.IN_PROGRESS, S.ACCEPTED),
    "hold": (S.ON_HOLD, None),
    "resume": (S.IN_PROGRESS, S.ON_HOLD),
    "reject": (S.REJECTED, None),
    "fail": (S.FAILED, None),
    "complete": (S.COMPLETED, None),
}
# Where routing sends the case: the action, and who the new hop is with (None: the open pool).
ROUTES: tuple[tuple[str, str | None], ...] = (
    ("assign", "charity0"),
    ("assign_village", "village"),
    ("offer", None),
)
CHARITIES = ("charity0", "charity1")
VERIFIERS = ("township", "county")
REPORTERS = ("county", "township", "village")
MET_RESULTS = frozenset({OutcomeResult.RESOLVED, OutcomeResult.PARTIAL})


@dataclass(frozen=True)
class Parties:
    """The actors' names for the alliance bodies and organisations around the household."""

    by_id: dict[str, str]  # party id -> actor name ("county", "township", "village", "charity0", ...)

    def actor(self, party_id: str | None) -> str | None:
        return self.by_id.get(party_id) if party_id is not None else None


@dataclass(frozen=True)
class Case:
    """Everything one example created, as stored."""

    needs: tuple[Need, ...]  # in the order reported; the last is the current one
    referrals: tuple[Referral, ...]  # of those needs, by creation
    hops: dict[str, tuple[ReferralHop, ...]]  # referral id -> its hops by seq
    changes: dict[str, tuple[StatusChange, ...]]  # subject id -> its StatusChanges (unordered)
    senders: dict[str, str | None]  # hop id -> SENT_BY party id
    assigned: dict[str, frozenset[str]]  # hop id -> ASSIGNED_TO party ids
    escalations: dict[str, int]  # hop id -> hop_escalated audit entries
    outcomes: dict[str, tuple[OutcomeResult, ...]]  # referral id -> its outcomes

    @property
    def need(self) -> Need:
        return self.needs[-1]

    def all_hops(self) -> list[ReferralHop]:
        return [h for r in self.referrals for h in self.hops[r.id]]

    def subjects(self) -> dict[str, Need | Referral | ReferralHop]:
        found: dict[str, Need | Referral | ReferralHop] = {n.id: n for n in self.needs}
        found |= {r.id: r for r in self.referrals}
        return found | {h.id: h for h in self.all_hops()}

    def active(self) -> Referral | None:
        """The referral in progress (at most one: checked by `check_case`)."""
        return next((r for r in self.referrals if r.status is ReferralStatus.ACTIVE), None)


Edges = dict[tuple[str, int], tuple[str | None, frozenset[str]]]


def read_case(uow: UnitOfWork, need_ids: Sequence[str], edges: Edges) -> Case:
    """The needs with these ids and everything hanging off them.

    `edges` remembers each hop's SENT_BY and ASSIGNED_TO ends by (hop id, version), read again only
    when the hop changed: the services raise a hop's version with every change, its edges included
    (and a refused action is also checked against the store's relationship counts).
    """
    needs = tuple(uow.require(Need, n) for n in need_ids)
    referrals = tuple(
        sorted(uow.find(Referral, where(need_id__in=list(need_ids))), key=lambda r: (r.created_at, r.id))
    )
    by_referral: dict[str, list[ReferralHop]] = {r.id: [] for r in referrals}
    for hop in uow.find(ReferralHop, where(referral_id__in=list(by_referral))):
        by_referral[hop.referral_id].append(hop)
    hops = {r: tuple(sorted(found, key=lambda h: h.seq)) for r, found in by_referral.items()}
    hop_list = [h for found in hops.values() for h in found]
    ids = [*need_ids, *by_referral, *(h.id for h in hop_list)]
    changes: dict[str, list[StatusChange]] = {i: [] for i in ids}
    for change in uow.find(StatusChange, where(subject_id__in=ids)):
        changes[change.subject_id].append(change)
    escalations = dict.fromkeys((h.id for h in hop_list), 0)
    for entry in uow.find(AuditEntry, where(object_id__in=list(escalations), action="hop_escalated")):
        escalations[entry.object_id] += 1
    outcomes: dict[str, list[OutcomeResult]] = {r: [] for r in by_referral}
    for outcome in uow.find(Outcome, where(referral_id__in=list(by_referral))):
        outcomes[outcome.referral_id].append(outcome.result)

    def ends(hop: ReferralHop) -> tuple[str | None, frozenset[str]]:
        key = (hop.id, hop.version)
        if key not in edges:
            sent = [n.rel.end.key for n in uow.neighbours(hop.ref, ["SENT_BY"], Direction.OUT)]
            held = [n.rel.end.key for n in uow.neighbours(hop.ref, ["ASSIGNED_TO"], Direction.OUT)]
            assert len(sent) == 1 and len(held) == len(set(held)), (hop.id, sent, held)
            edges[key] = (sent[0], frozenset(held))
        return edges[key]

    return Case(
        needs=needs,
        referrals=referrals,
        hops=hops,
        changes={i: tuple(sorted(c, key=lambda x: x.id)) for i, c in changes.items()},
        senders={h.id: ends(h)[0] for h in hop_list},
        assigned={h.id: ends(h)[1] for h in hop_list},
        escalations=escalations,
        outcomes={r: tuple(sorted(o)) for r, o in outcomes.items()},
    )


# -- what may be done ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expect:
    """What an allowed action must change (statuses not named here must stay as they were)."""

    statuses: dict[str, str] = field(default_factory=dict)  # subject id -> its status afterwards
    opens: HopStatus | None = None  # a new hop in this status (on the acted-on referral, or a new one)
    opens_for: str | None = None  # ... held by this actor (None: in the pool)
    holds: tuple[str, str | None] | None = None  # (hop id, the actor holding it afterwards)
    new_need: bool = False  # a new need is reported


def _returned(case: Case, parties: Parties, referral: Referral, hop: ReferralHop) -> dict[str, str]:
    """A rejected or failed first hop from the county ends its referral and reopens the need."""
    if hop.seq == 1 and parties.actor(case.senders[hop.id]) == "county":
        return {referral.id: ReferralStatus.CANCELLED.value, referral.need_id: NeedStatus.OPEN.value}
    return {}


def _hop_moves(case: Case, parties: Parties, referral: Referral) -> dict[Key, Expect]:
    moves: dict[Key, Expect] = {}
    hops = case.hops[referral.id]
    for hop in hops:
        holder = parties.actor(hop.assignee_id)
        for action, (to, only) in HOLDER_ACTIONS.items():
            if holder is None or only not in (None, hop.status):
                continue
            if Side.ASSIGNEE in allowed_sides(hop.status, to):
                returned = _returned(case, parties, referral, hop) if to in (S.REJECTED, S.FAILED) else {}
                moves[(holder, action, hop.id)] = Expect({hop.id: to.value, **returned})
        if hop.status is S.ACCEPTED and hop.pool_area_code is not None and holder in CHARITIES:
            moves[(holder, "release", hop.id)] = Expect({hop.id: S.READY.value}, holds=(hop.id, None))
        if hop.status is S.READY and hop.assignee_id is None:
            for charity in CHARITIES:
                moves[(charity, "claim", hop.id)] = Expect(
                    {hop.id: S.ACCEPTED.value}, holds=(hop.id, charity)
                )
        # Routing on: the body holding an accepted task (its hop is done), or the sender of a returned one.
        router, done = None, {}
        if hop.assignee_label == "AllianceBody" and hop.status in (S.ACCEPTED, S.IN_PROGRESS):
            router, done = holder, {hop.id: S.COMPLETED.value}
        elif hop is hops[-1] and hop.status in (S.REJECTED, S.FAILED):
            router = parties.actor(case.senders[hop.id])
        if router is not None:
            for action, target in ROUTES:
                opens = S.REQUESTED if target else S.READY
                moves[(router, action, hop.id)] = Expect(dict(done), opens=opens, opens_for=target)
    return moves


def _referral_moves(case: Case, parties: Parties, referral: Referral) -> dict[Key, Expect]:
    moves: dict[Key, Expect] = {}
    hops = case.hops[referral.id]
    need_open = {referral.need_id: NeedStatus.OPEN.value}
    dispatcher = parties.actor(case.senders[hops[0].id])
    open_hops = [h for h in hops if h.status in OPEN]
    for action, to in (("cancel", S.CANCELLED), ("error", S.ENTERED_IN_ERROR)):
        # Every open hop closes with the referral, so each must allow the dispatcher (its sender) that move.
        closed = {h.id: to.value for h in open_hops}
        if dispatcher is not None and all(Side.SENDER in allowed_sides(h.status, to) for h in open_hops):
            moves[(dispatcher, action, referral.id)] = Expect(
                closed | {referral.id: ReferralStatus.CANCELLED.value} | need_open
            )
    last = hops[-1]
    if open_hops:
        return moves
    for verifier in VERIFIERS:
        if last.status is S.COMPLETED:
            done = {referral.id: ReferralStatus.COMPLETED.value}
            moves[(verifier, "verify", referral.id)] = Expect(done | {referral.need_id: NeedStatus.MET.value})
            moves[(verifier, "verify_unresolved", referral.id)] = Expect(done | need_open)
        if last.status in (S.COMPLETED, S.FAILED) and last.assignee_id is not None:
            moves[(verifier, "reopen", referral.id)] = Expect(
                opens=S.REQUESTED, opens_for=parties.actor(last.assignee_id)
            )
    return moves


def legal_moves(case: Case, parties: Parties) -> dict[Key, Expect]:
    """Every action the decision allows in this state, by whom, and what it must change."""
    need = case.need
    moves: dict[Key, Expect] = {}
    if need.status is NeedStatus.OPEN:
        referred = {need.id: NeedStatus.REFERRED.value}
        moves[("county", "dispatch", need.id)] = Expect(referred, opens=S.REQUESTED, opens_for="township")
        moves[("township", "dispatch_pool", need.id)] = Expect(referred, opens=S.READY)
    elif need.status is not NeedStatus.REFERRED:
        for reporter in REPORTERS:  # the next need (any area staff may report one)
            moves[(reporter, "report", need.id)] = Expect(new_need=True)
    active = case.active()
    if active is not None:
        moves |= _hop_moves(case, parties, active) | _referral_moves(case, parties, active)
    return moves


# The status the pool's actions move a hop to.
POOL_ACTIONS: dict[str, HopStatus] = {"claim": S.ACCEPTED, "release": S.READY}
CLOSING = ("verify", "verify_unresolved", "reopen", "cancel", "error")


def near_misses(case: Case, parties: Parties, moves: dict[Key, Expect], *, row: bool) -> list[Key]:
    """Wrong moves at the right time, by any actor with a part in the case whom the decision does not
    allow that move now.

    `row`: the moves of the live hop's row of the table (each action that moves a hop in its status
    somewhere, for some side). Otherwise: routing on and closing the referral in progress, or, with
    none in progress, dispatching the need.
    """
    active = case.active()
    hops = case.hops[active.id] if active else ()
    hop = hops[-1] if hops else None
    targets: list[tuple[str, str]] = []
    if row and hop is not None and hop.status in OPEN:
        rows = {to for (from_status, to) in TRANSITIONS if from_status is hop.status}
        actions = [a for a, (to, _) in HOLDER_ACTIONS.items() if to in rows]
        targets = [(a, hop.id) for a in actions + [a for a, to in POOL_ACTIONS.items() if to in rows]]
    elif not row and active is not None and hop is not None:
        targets = [(a, hop.id) for a, _ in ROUTES] + [(a, active.id) for a in CLOSING]
    elif not row:
        targets = [(a, case.need.id) for a in ("dispatch", "dispatch_pool")]
    actors = sorted(set(parties.by_id.values()))
    return [(who, a, t) for a, t in targets for who in actors if (who, a, t) not in moves]


# -- what must hold -------------------------------------------------------------------------------------
def replay(changes: Iterable[StatusChange]) -> list[StatusChange]:
    """The changes as one chain from creation: by time, and within one moment each continuing the last.

    Several moves of one action share their time (route onward: accepted -> in-progress -> completed),
    so the chain, not the order of writing, decides among them; a change that continues nothing fails.
    """
    left = sorted(changes, key=lambda c: c.at)
    chain: list[StatusChange] = []
    while left:
        current = chain[-1].to_status if chain else None
        moment = [c for c in left if c.at == left[0].at]
        step = next((c for c in moment if c.from_status == current), None)
        assert step is not None, f"no change continues {current!r} among {moment}"
        chain.append(step)
        left.remove(step)
    return chain


def _from(change: StatusChange) -> str:
    """The status a change after the first one moved from (only creation comes from nothing)."""
    assert change.from_status is not None, change
    return change.from_status


def _check_hop(case: Case, hop: ReferralHop) -> None:
    chain = replay(case.changes[hop.id])
    assert chain[0].to_status in (S.REQUESTED, S.READY), hop.id
    for change in chain[1:]:
        assert (S(_from(change)), S(change.to_status)) in TRANSITIONS, (hop.id, change)
    # No lost status change: every version step is a recorded change or a recorded escalation.
    assert S(chain[-1].to_status) is hop.status, (hop.id, chain[-1], hop.status)
    assert hop.version == len(chain) + case.escalations[hop.id], (hop.id, hop.version, len(chain))
    assert getattr(hop, HOP_STATUS_TIMESTAMP[hop.status]) == chain[-1].at, hop.id
    # At most one holder: ASSIGNED_TO points at the assignee and nowhere else.
    assert case.assigned[hop.id] == ({hop.assignee_id} if hop.assignee_id else set()), hop.id
    # A task is either in the pool, with nobody, or with exactly one body or organisation.
    if hop.status is S.READY:
        assert hop.assignee_id is None and hop.pool_area_code is not None, hop.id
    elif hop.status in OPEN:
        assert hop.assignee_id is not None, (hop.id, hop.status)
    assert (hop.escalation_level is None) == (hop.escalated_at is None), hop.id
    if hop.status is S.ACCEPTED and hop.pool_area_code is not None:
        assert hop.assignee_label == "Organisation" and hop.accept_due_at is not None, hop.id


def _check_referral(case: Case, referral: Referral) -> None:
    chain = replay(case.changes[referral.id])
    assert chain[0].to_status == ReferralStatus.ACTIVE.value, referral.id
    reopens = 0
    for change in chain[1:]:
        pair = (ReferralStatus(_from(change)), ReferralStatus(change.to_status))
        if pair[0] is pair[1] is ReferralStatus.ACTIVE:  # the reopen's own record
            assert change.reason_code is not None and change.reason, change
            reopens += 1
        else:
            assert pair in REFERRAL_TRANSITIONS, change
    assert ReferralStatus(chain[-1].to_status) is referral.status, referral.id
    assert referral.version == len(chain) and referral.reopened_count == reopens, referral.id
    hops = case.hops[referral.id]
    open_hops = [h for h in hops if h.status in OPEN]
    assert len(open_hops) <= 1 and (not open_hops or open_hops[0] is hops[-1]), [h.status for h in hops]
    if referral.status is not ReferralStatus.ACTIVE:
        assert not open_hops, referral.id
    if referral.status is ReferralStatus.COMPLETED:
        assert hops[-1].status is S.COMPLETED and len(case.outcomes[referral.id]) == 1, referral.id
        assert referral.verified_by and referral.completed_at, referral.id
    else:
        assert not case.outcomes[referral.id], referral.id


def _check_need(case: Case, need: Need) -> None:
    chain = replay(case.changes[need.id])
    assert chain[0].to_status == NeedStatus.OPEN.value, need.id
    for change in chain[1:]:
        assert (NeedStatus(_from(change)), NeedStatus(change.to_status)) in NEED_TRANSITIONS, change
    assert NeedStatus(chain[-1].to_status) is need.status and need.version == len(chain), need.id
    referrals = [r for r in case.referrals if r.need_id == need.id]
    active = [r for r in referrals if r.status is ReferralStatus.ACTIVE]
    assert len(active) <= 1, need.id
    assert (need.status is NeedStatus.REFERRED) == bool(active), (need.id, need.status)
    if need.status is NeedStatus.MET:
        # Resolved only when every hop is closed and a verification found it (partly) resolved.
        assert all(h.status not in OPEN for r in referrals for h in case.hops[r.id]), need.id
        assert any(MET_RESULTS & set(case.outcomes[r.id]) for r in referrals), need.id


def check_case(case: Case) -> None:
    """The domain's invariants over everything the example created."""
    for need in case.needs:
        _check_need(case, need)
    for referral in case.referrals:
        _check_referral(case, referral)
        for hop in case.hops[referral.id]:
            _check_hop(case, hop)
    assert sum(r.status is ReferralStatus.ACTIVE for r in case.referrals) <= 1
    assert all(n.status is not NeedStatus.OPEN for n in case.needs[:-1]), "an earlier need left open"


def new_changes(before: Case, after: Case) -> list[StatusChange]:
    """The StatusChanges written between two readings."""
    old = {c.id for found in before.changes.values() for c in found}
    return [c for found in after.changes.values() for c in found if c.id not in old]


def transitions(changes: Iterable[StatusChange]) -> set[tuple[str, str | None, str]]:
    """(subject label, from, to) of each change."""
    return {(c.subject_label, c.from_status, c.to_status) for c in changes}
