"""No sequence of calls reaches an invalid state or loses a status change (issue 5).

A hypothesis state machine drives the routing services (`service`, `closing`, `needs`, `escalation`) as
the county, the township, the village worker, two charities and an officer of another township, on
one household's cases: a need is reported, dispatched, routed, claimed, worked, verified or reopened,
returned, cancelled, and run past its deadlines with a controlled clock; when a need is settled the
next one is reported. Its rules:
- `progress`: one of the moves decision 0007 allows in the current state (`workflow_oracle`), by the
  actor it allows, which must succeed and change exactly what the decision says; often first a move
  it does not allow at that moment (a wrong action, or a wrong actor, on the live case), refused;
- `anyone`: any actor tries any action on any hop, referral or need of the example; it must succeed
  exactly when the decision allows it, and a refusal changes nothing in the store;
- `claim_again`: while a provider holds a task claimed from the pool, a second claim is refused;
- `deadline_check`: the clock moves on and the deadline check runs.
After every step the invariants of `workflow_oracle.check_case` hold. The test then asserts that the
runs together reached the whole lifecycle, so a change that stops them getting anywhere fails.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from graph.errors import ZhulianError
from graph.model import ReferralHop, new_id
from graph.model.enums import AllianceLevel, HopReason, HopStatus, NeedStatus
from referral.routing import escalation
from referral.routing.workflow import OPEN
from tests.api.conftest import World
from tests.referral.test_workflow import actors, routing_template, world  # noqa: F401
from tests.referral.workflow_cast import ACTORS, TRIED, Cast, cast, close_cases
from tests.referral.workflow_oracle import (
    CHARITIES,
    Case,
    Edges,
    Expect,
    check_case,
    legal_moves,
    near_misses,
    new_changes,
    read_case,
    transitions,
)

S = HopStatus
# How much `progress` prefers each action to the others (1: cancel, error and what else is legal):
# moves that take a case forward most, then the loops and detours issue 5 names, so that typical runs
# walk the whole lifecycle instead of being cancelled early.
WEIGHT: dict[str, int] = {
    **dict.fromkeys(("report", "dispatch", "dispatch_pool", "accept", "claim", "start", "complete"), 6),
    **dict.fromkeys(("assign", "offer", "verify"), 6),
    **dict.fromkeys(("reopen", "verify_unresolved"), 5),
    "release": 4,
    **dict.fromkeys(("reject", "fail", "hold", "resume", "receive", "assign_village"), 2),
}
LEVEL_RANK = {None: 0, AllianceLevel.TOWNSHIP: 1, AllianceLevel.COUNTY: 2}

# What the runs reached, across all examples: (subject label, from, to) of every StatusChange written,
# and the milestones of the lifecycle (an action that succeeded, or a refusal that had to happen).
REACHED: set[tuple[str, str | None, str]] = set()
MILESTONES: set[str] = set()


def _overdue(hop: ReferralHop, now: datetime) -> bool:
    """Whether the deadline check must have escalated this open hop by `now`."""
    if hop.due_at is not None and hop.due_at < now:
        return True
    unaccepted = hop.status in (S.REQUESTED, S.RECEIVED)
    return unaccepted and hop.accept_due_at is not None and hop.accept_due_at < now


class Workflow(RuleBasedStateMachine):
    """Decision 0007's workflow on one household's cases, driven through the services."""

    c: ClassVar[Cast]

    # -- reading and acting ------------------------------------------------------------------------
    def refresh(self) -> Case:
        """Read the example's case again, and what the decision allows in it."""
        ids, edges = self.need_ids, self.edges
        self.case = self.c.world.store.run(lambda uow: read_case(uow, ids, edges), write=False)
        self.moves = legal_moves(self.case, self.c.parties)
        return self.case

    def perform(self, actor: str, action: str, target: str, expect: Expect | None, code: int = 0) -> None:
        """Try an action; it must succeed with `expect`'s effects, or (None) be refused changing nothing."""
        self.acted += 1
        self.steps += 1
        self.now += timedelta(minutes=1)
        # The store's counts, to show a refusal wrote nothing (only needed when one is due).
        before, counts = self.case, self.c.world.store.counts() if expect is None else None
        refused: ZhulianError | None = None
        try:
            result = self.c.run(actor, action, target, self.now)
        except ZhulianError as exc:
            refused = exc
        if refused is not None:
            status = refused.status_code
            note(f"{actor} {action}: refused {status} {refused}")
            assert expect is None, f"{actor} {action} refused ({status}: {refused}); allowed: {expect}"
            assert status == code if code else status in (403, 404, 409, 422), refused
            assert self.refresh() == before and self.c.world.store.counts() == counts, (
                f"{actor} {action} wrote"
            )
            return
        note(f"{actor} {action}: done")
        assert expect is not None, f"{actor} {action} on {target} succeeded, which decision 0007 forbids"
        if expect.new_need:
            self.need_ids.append(result.id)
        after = self.refresh()
        self.check_effects(before, after, expect)
        self.check_records(before, after, by=self.c.principals[actor].actor)
        self.milestone(action, before, after, target)

    def check_effects(self, before: Case, after: Case, expect: Expect) -> None:
        """The statuses `expect` names and no others changed; the hop it opens and the holder are right."""
        was, now = before.subjects(), after.subjects()
        for subject_id, status in expect.statuses.items():
            assert now[subject_id].status == status, (now[subject_id], status)
        for subject_id, old in was.items():
            if subject_id not in expect.statuses:
                assert now[subject_id].status == old.status, (old, now[subject_id])
        opened = [h for h in after.all_hops() if h.id not in was]
        if expect.opens is None:
            assert not opened, opened
        else:
            assert [(h.status, self.c.parties.actor(h.assignee_id)) for h in opened] == [
                (expect.opens, expect.opens_for)
            ]
        if expect.holds is not None:
            hop_id, holder = expect.holds
            held = next(h for h in after.all_hops() if h.id == hop_id)
            assert self.c.parties.actor(held.assignee_id) == holder, (held, holder)
        added = [n for n in after.needs if n.id not in was]
        assert [n.status for n in added] == ([NeedStatus.OPEN] if expect.new_need else [])

    def check_records(self, before: Case, after: Case, *, by: str) -> None:
        """Each status change of the step has one StatusChange, with the actor and the time."""
        changes = new_changes(before, after)
        assert changes and all((c.by, c.at) == (by, self.now) for c in changes), changes
        was = before.subjects()
        for subject_id, subject in after.subjects().items():
            old = was.get(subject_id)
            if old is None:
                continue
            written = sum(c.subject_id == subject_id for c in changes)
            escalated = after.escalations.get(subject_id, 0) - before.escalations.get(subject_id, 0)
            assert subject.version - old.version == written + escalated, (subject, written)
        REACHED.update(transitions(changes))
        for label, from_status, to_status in sorted(transitions(changes), key=str):
            event(f"{label}: {from_status} -> {to_status}")

    def milestone(self, action: str, before: Case, after: Case, target: str) -> None:
        """Name what the step achieved in the lifecycle (the coverage test asserts these)."""
        names = {action}
        if action in ("reject", "fail"):
            need_reopened = before.need.status is not after.need.status
            names.add(
                f"{action}: back to the county's queue" if need_reopened else f"{action}: back to the sender"
            )
        hop = before.subjects().get(target)
        if (
            action in ("assign", "assign_village", "offer")
            and hop is not None
            and hop.status in (S.REJECTED, S.FAILED)
        ):
            names.add("routed again by the sender")
        if action == "verify" and after.need.status is NeedStatus.MET:
            names.add("verify: need met")
        MILESTONES.update(names)
        for name in sorted(names):
            event(name)

    # -- the rules -----------------------------------------------------------------------------------
    @initialize()
    def report_first_need(self) -> None:
        self.now = self.started = self.c.world.clock.now + timedelta(days=1)
        self.need_ids: list[str] = []
        self.edges: Edges = {}
        self.acted = 0  # actions since the last deadline check
        self.steps = 0  # actions in this example
        self.tried: set[tuple[str, int]] = set()  # claimed hops (id, version) claimed again
        self.need_ids.append(self.c.run("village", "report", "", self.now).id)
        self.refresh()

    @precondition(lambda self: bool(self.moves))
    @rule(pick=st.integers(0, 255), probe=st.none() | st.integers(0, 255))
    def progress(self, pick: int, probe: int | None) -> None:
        """One of the moves the decision allows now, by the actor it allows; first, unless `probe` is
        None, a move it does not allow at that moment (a wrong action or actor on the live case)."""
        # Hypothesis favours small and boundary values of `pick` and `probe`; offsetting them by the
        # step count spreads that bias over the whole list.
        at = pick + self.steps
        if probe is not None:
            # Half of the probes try the live hop's own row of the table, the others routing and closing.
            first = probe % 2 == 0
            misses = near_misses(self.case, self.c.parties, self.moves, row=first) or near_misses(
                self.case, self.c.parties, self.moves, row=not first
            )
            if misses:
                self.perform(*misses[(probe // 2 + self.steps) % len(misses)], None)
                event("refused: a wrong move at the right time")
        # The action by its weight, then who does it to what.
        names = sorted({a for _, a, _ in self.moves})
        weighted = [a for a in names for _ in range(WEIGHT.get(a, 1))]
        action = weighted[at % len(weighted)]
        keys = sorted(k for k in self.moves if k[1] == action)
        key = keys[at // len(weighted) % len(keys)]
        self.perform(*key, self.moves[key])

    @precondition(lambda self: self.steps % 2 == 0)  # at most every other action: the case must move on
    @rule(actor=st.sampled_from(ACTORS), action=st.sampled_from(TRIED), pick=st.integers(0, 9))
    def anyone(self, actor: str, action: str, pick: int) -> None:
        """Anyone tries anything on anything of the example (the newest first)."""
        on = self.c.actions[action].on
        targets = {
            "hop": [h.id for h in reversed(self.case.all_hops())],
            "referral": [r.id for r in reversed(self.case.referrals)],
            "need": [self.case.need.id],
        }[on] or [new_id()]
        target = targets[pick % len(targets)]
        self.perform(actor, action, target, self.moves.get((actor, action, target)))

    def claimed(self) -> ReferralHop | None:
        """The hop a provider holds after claiming it from the pool, unless claiming it again was tried."""
        for hop in self.case.all_hops():
            claimed = hop.status is S.ACCEPTED and hop.pool_area_code is not None
            if claimed and (hop.id, hop.version) not in self.tried:
                return hop
        return None

    @precondition(lambda self: self.claimed() is not None)
    @rule(charity=st.sampled_from(CHARITIES))
    def claim_again(self, charity: str) -> None:
        """A claimed task cannot be claimed again, by the other provider or by the holder: 409."""
        hop = self.claimed()
        assert hop is not None
        self.tried.add((hop.id, hop.version))
        self.perform(charity, "claim", hop.id, None, code=409)
        holder = self.c.parties.actor(hop.assignee_id)
        name = "second claim refused" if charity != holder else "holder's claim again refused"
        MILESTONES.add(name)
        event(name)

    def time_may_pass(self) -> bool:
        """Whether to run the deadline check: a few actions after the last one, or while a claimed task
        waits to start (the check's own move); and only while a hop is open (else it has nothing to do)."""
        hops = self.case.all_hops()
        waiting = any(h.status is S.ACCEPTED and h.pool_area_code is not None for h in hops)
        return (self.acted >= 3 or waiting) and any(h.status in OPEN for h in hops)

    @precondition(time_may_pass)
    @rule(hours=st.sampled_from([1, 12, 25, 49, 80]))
    def deadline_check(self, hours: int) -> None:
        """Time passes and the deadline check runs: unstarted claims go back, overdue hops escalate."""
        self.now += timedelta(hours=hours)
        self.acted = 0
        now, before = self.now, self.case
        store = self.c.world.store
        report = store.run(lambda uow: escalation.escalate(uow, now))
        after = self.refresh()
        hops = {h.id: h for h in after.all_hops()}
        assert [h.id for h in before.all_hops()] == list(hops), "the deadline check opened a hop"
        for old in before.all_hops():
            new = hops[old.id]
            stale = (
                old.status is S.ACCEPTED
                and old.pool_area_code is not None
                and old.accept_due_at is not None
                and old.accept_due_at < now
            )
            if stale:
                assert (new.status, new.assignee_id, new.reason_code) == (
                    S.READY,
                    None,
                    HopReason.NOT_STARTED,
                )
            else:
                assert (new.status, new.assignee_id) == (old.status, old.assignee_id), (old, new)
            if new.status in OPEN and _overdue(new, now):
                assert new.escalation_level is not None, new
            assert LEVEL_RANK[new.escalation_level] >= LEVEL_RANK[old.escalation_level], (old, new)
        was = before.subjects()
        for subject_id, subject in after.subjects().items():
            if not isinstance(subject, ReferralHop):  # needs and referrals are not the check's business
                assert subject.version == was[subject_id].version, subject
        changes = new_changes(before, after)
        assert all(c.by == escalation.SYSTEM_ACTOR and c.at == now for c in changes), changes
        REACHED.update(transitions(changes))
        mine = set(hops)
        if any(x.hop_id in mine for x in report.actions):
            # Each level is reached once: running again at the same moment does nothing to these hops.
            again = store.run(lambda uow: escalation.escalate(uow, now))
            assert not [x for x in again.actions if x.hop_id in mine], again
            assert self.refresh() == after
        for action in report.actions:
            if action.hop_id in mine:
                name = f"deadline: {action.action}" + (f" to {action.level.value}" if action.level else "")
                MILESTONES.add(name)
                event(name)

    @invariant()
    def domain_holds(self) -> None:
        if self.need_ids:
            check_case(self.case)

    def teardown(self) -> None:
        """Close what the example left open (also after a failure), so the next one starts clean."""
        if hasattr(self, "started"):
            self.now += timedelta(minutes=1)
            close_cases(self.c, since=self.started, now=self.now)
            self.c.world.clock.now = self.now


# What the runs must reach together: the lifecycle of issue 5, including the refusals that matter.
REQUIRED_MILESTONES = {
    "dispatch",
    "dispatch_pool",
    "claim",
    "second claim refused",
    "start",
    "complete",
    "verify: need met",
    "verify_unresolved",
    "reopen",
    "release",
    "reject: back to the county's queue",
    "reject: back to the sender",
    "routed again by the sender",
    "cancel",
    "deadline: returned_to_pool",
    "deadline: escalated to township",
}
REQUIRED_TRANSITIONS = {
    ("ReferralHop", None, "requested"),
    ("ReferralHop", None, "ready"),
    ("ReferralHop", "ready", "accepted"),
    ("ReferralHop", "accepted", "in-progress"),
    ("ReferralHop", "in-progress", "completed"),
    ("ReferralHop", "accepted", "ready"),
    ("ReferralHop", "requested", "rejected"),
    ("ReferralHop", "requested", "cancelled"),
    ("Referral", "active", "completed"),
    ("Referral", "active", "active"),
    ("Referral", "active", "cancelled"),
    ("Need", "referred", "met"),
    ("Need", "referred", "open"),
}


@pytest.fixture
def machine(world: World) -> type[Workflow]:  # noqa: F811
    Workflow.c = cast(world, actors(world))
    return Workflow


def test_no_sequence_of_calls_leaves_the_decision(machine: type[Workflow]) -> None:
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=20,
            stateful_step_count=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # The runs together walked the lifecycle (a change that stops them getting there fails here).
    assert REQUIRED_MILESTONES <= MILESTONES, sorted(REQUIRED_MILESTONES - MILESTONES)
    assert REQUIRED_TRANSITIONS <= REACHED, sorted(REQUIRED_TRANSITIONS - REACHED, key=str)
