"""Referral chains for seeded needs: county -> township -> provider, in every status, some overdue.

A chain is the referral, its hops (FIRST_HOP, NEXT_HOP), who each hop is with (ASSIGNED_TO) and from
(SENT_BY), one StatusChange per transition (RECORDS), and an Outcome when it was completed. Each chain
follows one scenario; together the scenarios reach every FHIR Task status.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from graph.model import (
    AllianceBody,
    AssignedTo,
    Delivered,
    Delivery,
    FirstHop,
    ForNeed,
    HasOutcome,
    Need,
    NextHop,
    Node,
    NodeRef,
    Organisation,
    Outcome,
    Records,
    Referral,
    ReferralHop,
    Rel,
    Resource,
    SentBy,
    StatusChange,
    Uses,
)
from graph.model.cases import HOP_STATUS_TIMESTAMP
from graph.model.enums import (
    DeliveryKind,
    HopReason,
    HopStatus,
    OutcomeResult,
    ReferralStatus,
    ReferralTrack,
    ResourceKind,
    Urgency,
)
from seeds.context import SeedContext

S = HopStatus
# Each scenario: the statuses the county->township hop went through, then (if any) those of the
# township->provider hop, the weight of the scenario, and whether the provider hop is an open task.
SCENARIOS: tuple[tuple[tuple[S, ...], tuple[S, ...], int, bool], ...] = (
    ((S.DRAFT,), (), 2, False),
    ((S.REQUESTED,), (), 8, False),
    ((S.REQUESTED, S.RECEIVED), (), 4, False),
    ((S.REQUESTED, S.RECEIVED, S.ACCEPTED), (), 6, False),
    ((S.REQUESTED, S.ACCEPTED, S.COMPLETED), (S.READY,), 8, True),
    ((S.REQUESTED, S.ACCEPTED, S.COMPLETED), (S.REQUESTED,), 8, False),
    ((S.REQUESTED, S.ACCEPTED, S.COMPLETED), (S.REQUESTED, S.RECEIVED, S.ACCEPTED), 8, False),
    ((S.REQUESTED, S.ACCEPTED, S.COMPLETED), (S.READY, S.ACCEPTED, S.IN_PROGRESS), 10, True),
    ((S.REQUESTED, S.ACCEPTED, S.COMPLETED), (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD), 3, False),
    (
        (S.REQUESTED, S.ACCEPTED, S.COMPLETED),
        (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED),
        30,
        False,
    ),
    ((S.REQUESTED, S.ACCEPTED, S.COMPLETED), (S.READY, S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED), 10, True),
    ((S.REQUESTED, S.ACCEPTED, S.COMPLETED), (S.REQUESTED, S.REJECTED), 3, False),
    ((S.REQUESTED, S.ACCEPTED, S.COMPLETED), (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.FAILED), 2, False),
    ((S.REQUESTED, S.CANCELLED), (), 2, False),
    ((S.REQUESTED, S.ENTERED_IN_ERROR), (), 1, False),
)
_CUM_WEIGHTS = tuple(sum(w for _a, _b, w, _p in SCENARIOS[: i + 1]) for i in range(len(SCENARIOS)))
_TIMESTAMP = HOP_STATUS_TIMESTAMP
# How long each step takes on average, in hours, and how long a hop may take before it is overdue.
_STEP_HOURS = {S.RECEIVED: 4, S.ACCEPTED: 20, S.READY: 2, S.IN_PROGRESS: 30, S.COMPLETED: 120}
_DUE_DAYS = {
    (0, Urgency.URGENT): 3,
    (0, Urgency.GENERAL): 7,
    (1, Urgency.URGENT): 10,
    (1, Urgency.GENERAL): 30,
}
_CLOSED = {S.COMPLETED, S.REJECTED, S.FAILED, S.CANCELLED, S.ENTERED_IN_ERROR}
# Acceptance deadlines (decision 0007): urgent 1 day, general 2 days.
_ACCEPT_DAYS = {Urgency.URGENT: 1, Urgency.GENERAL: 2}
# Why hops come back, with the words a handler writes.
_RETURN_REASONS: tuple[tuple[HopReason, str], ...] = (
    (HopReason.NO_CAPACITY, "本月服务名额已满"),
    (HopReason.UNREACHABLE, "三次电话未接通，上门无人"),
    (HopReason.NOT_ELIGIBLE, "家庭收入超出项目条件"),
    (HopReason.DECLINED, "家属表示暂不需要"),
)
_DELIVERY_KIND = {
    ResourceKind.POLICY: DeliveryKind.POLICY,
    ResourceKind.SERVICE: DeliveryKind.SERVICE,
    ResourceKind.JOB: DeliveryKind.JOB,
    ResourceKind.TRAINING: DeliveryKind.TRAINING,
    ResourceKind.VOLUNTEER: DeliveryKind.SERVICE,
    ResourceKind.DONATION: DeliveryKind.GOODS,
}


@dataclass(frozen=True)
class Scenario:
    """The statuses the two hops of a chain went through (the second may be empty)."""

    first: tuple[S, ...]
    second: tuple[S, ...]
    pool: bool

    @property
    def final(self) -> S:
        return (self.second or self.first)[-1]

    @property
    def expected_days(self) -> float:
        """How long the chain's steps take on average, in days."""
        steps = self.first[1:] + self.second
        return sum(_STEP_HOURS.get(status, 24) for status in steps) / 24 + 1

    @property
    def closed(self) -> bool:
        """Whether the chain ended (completed, or stopped for good)."""
        return self.final in _CLOSED and (self.final is not S.COMPLETED or bool(self.second))


@dataclass(frozen=True)
class Handler:
    """Who a provider hop goes to: a body or organisation, and the resource it delivers."""

    node: AllianceBody | Organisation
    resource: Resource | None


class ReferralChains:
    """Builds the chain of one referral for a need."""

    def __init__(self, ctx: SeedContext) -> None:
        self.ctx = ctx
        self.rng: random.Random = ctx.rng("referrals")

    def _id(self) -> str:
        return self.ctx.new_id("referrals")

    def scenario(self) -> Scenario:
        """Draw the statuses a chain went through."""
        first, second, _weight, pool = self.rng.choices(SCENARIOS, cum_weights=_CUM_WEIGHTS)[0]
        return Scenario(first, second, pool)

    def chain(
        self,
        need: Need,
        county_body: AllianceBody,
        township_body: AllianceBody,
        handler: Handler,
        track: ReferralTrack,
        start: datetime,
        scenario: Scenario,
    ) -> Iterator[Node | Rel]:
        """The referral, hops, transitions and outcome for `need`, starting at `start`."""
        first, second, pool = scenario.first, scenario.second, scenario.pool
        actor = f"seed:{county_body.id}"
        referral_id = self._id()
        hops: list[ReferralHop] = []
        items: list[Node | Rel] = []
        clock = start
        plan: list[tuple[int, AllianceBody, AllianceBody | Organisation, tuple[S, ...]]] = [
            (0, county_body, township_body, first)
        ]
        if second:
            plan.append((1, township_body, handler.node, second))
        for index, sender, assignee, statuses in plan:
            if clock > self.ctx.now:
                break  # the township has not passed it on yet
            hop_id = self._id()
            created = clock
            times: dict[str, datetime] = {}
            previous: S | None = None
            reached = clock
            reason: tuple[HopReason, str] | None = None
            for status in statuses:
                if previous is not None:
                    clock += timedelta(hours=self.rng.expovariate(1 / _STEP_HOURS.get(status, 24)))
                if clock > self.ctx.now:
                    break  # the chain has not got further yet
                reached = clock
                if status in _TIMESTAMP:
                    times[_TIMESTAMP[status]] = clock
                if status in (S.REJECTED, S.FAILED):
                    reason = self.rng.choice(_RETURN_REASONS)
                change = StatusChange(
                    id=self._id(),
                    subject_label="ReferralHop",
                    subject_id=hop_id,
                    from_status=previous.value if previous else None,
                    to_status=status.value,
                    by=actor if index == 0 else f"seed:{township_body.id}",
                    at=clock,
                    reason=reason[1] if reason and status in (S.REJECTED, S.FAILED) else None,
                    reason_code=reason[0] if reason and status in (S.REJECTED, S.FAILED) else None,
                )
                items += [change, Records(start=change.ref, end=NodeRef("ReferralHop", hop_id))]
                previous = status
            assert previous is not None
            open_pool = pool and index == 1 and previous is S.READY
            accept_days = timedelta(days=_ACCEPT_DAYS[need.urgency])
            # A claimed task must start within the acceptance deadline of its claim.
            claimed = pool and index == 1 and "accepted_at" in times
            accept_due = (times["accepted_at"] if claimed else created) + accept_days
            hop = ReferralHop(
                id=hop_id,
                referral_id=referral_id,
                seq=index + 1,
                status=previous,
                assignee_id=None if open_pool else assignee.id,
                assignee_label=None if open_pool else assignee.LABEL,
                pool_area_code=township_body.area_code if (pool and index == 1) else None,
                created_at=created,
                updated_at=reached,
                due_at=created + timedelta(days=_DUE_DAYS[(index, need.urgency)]),
                accept_due_at=None if open_pool else accept_due,
                reason_code=reason[0] if reason else None,
                **times,
            )
            hops.append(hop)
            items.insert(0, hop)  # nodes before the relationships that join them
            items.append(SentBy(start=hop.ref, end=sender.ref))
            if not open_pool:
                items.append(AssignedTo(start=hop.ref, end=assignee.ref))
            clock = reached + timedelta(hours=self.rng.uniform(1, 12))
            if previous is not plan[index][3][-1]:
                break  # this hop stopped early (it is now), so no later hop has started
        last = hops[-1]
        done = last.status is S.COMPLETED and len(hops) == 2
        cancelled = last.status in (S.CANCELLED, S.ENTERED_IN_ERROR)
        referral = Referral(
            id=referral_id,
            need_id=need.id,
            household_id=need.household_id,
            status=ReferralStatus.COMPLETED
            if done
            else ReferralStatus.CANCELLED
            if cancelled
            else ReferralStatus.ACTIVE,
            track=track,
            resource_id=handler.resource.id if handler.resource else None,
            created_by=actor,
            created_at=start,
            completed_at=last.completed_at if done else None,
            verified_by=f"seed:{township_body.id}" if done else None,
        )
        yield referral
        yield ForNeed(start=referral.ref, end=need.ref)
        if handler.resource is not None:
            yield Uses(start=referral.ref, end=handler.resource.ref)
        yield from items
        yield FirstHop(start=referral.ref, end=hops[0].ref)
        for before, after in itertools.pairwise(hops):
            yield NextHop(start=before.ref, end=after.ref)
        if done:
            assert last.completed_at is not None
            delivery = self._delivery(last, handler)
            yield delivery
            yield Delivered(start=last.ref, end=delivery.ref)
            result = self.rng.choices(list(OutcomeResult), cum_weights=(70, 85, 95, 100))[0]
            outcome = Outcome(
                id=self._id(),
                referral_id=referral_id,
                result=result,
                delivered=handler.resource.name if handler.resource else "上门服务",
                amount_fen=handler.resource.benefit_amount_fen if handler.resource else None,
                evaluated_by=f"seed:{township_body.id}",
                evaluated_at=min(self.ctx.now, last.completed_at + timedelta(days=self.rng.uniform(1, 10))),
            )
            yield outcome
            yield HasOutcome(start=referral.ref, end=outcome.ref)

    def _delivery(self, hop: ReferralHop, handler: Handler) -> Delivery:
        """What the provider recorded when it completed its hop."""
        assert hop.completed_at is not None
        resource = handler.resource
        kind = _DELIVERY_KIND[resource.kind] if resource is not None else DeliveryKind.SERVICE
        amount = resource.benefit_amount_fen if resource is not None else None
        units = None if amount is not None else self.rng.randint(1, 6)
        return Delivery(
            id=self._id(),
            hop_id=hop.id,
            referral_id=hop.referral_id,
            kind=kind,
            amount_fen=amount,
            units=units,
            unit_name="次" if units is not None else None,
            delivered_on=hop.completed_at.date(),
            note=resource.name if resource is not None else "上门探访与生活照料",
            recorded_by=f"seed:{hop.assignee_id}",
            recorded_at=hop.completed_at,
        )

    @staticmethod
    def is_closed(status: HopStatus) -> bool:
        """Whether a hop in this status needs nothing more."""
        return status in _CLOSED
