"""What happens to seeded households: benefits they receive, support ties, events, warnings, needs
and the referral of those needs through the three-level alliance."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

from graph.model import Event as ChangeEvent
from graph.model import (
    HadEvent,
    HasNeed,
    Household,
    Need,
    Node,
    Organisation,
    Person,
    Raised,
    Receives,
    Referral,
    ReferralHop,
    Rel,
    Resource,
    RiskWarning,
    Supports,
    Triggered,
    WarnsAbout,
)
from graph.model.enums import (
    AssistanceKind,
    EventType,
    HealthStatus,
    HopStatus,
    LabourAbility,
    NeedChannel,
    NeedStatus,
    NeedType,
    OrganisationKind,
    ReferralStatus,
    ReferralTrack,
    ResourceKind,
    SchoolingStage,
    SourceSystem,
    SupportKind,
    TargetGroup,
    Urgency,
    WarningStatus,
)
from seeds.context import SeedContext, World, serves
from seeds.referrals import Handler, ReferralChains

NEED_RATE = 0.45  # share of households with at least one need on record
WARNING_RATE = 0.06
SUPPORT_RATE = 0.12
GUARANTEE_GROUPS = {TargetGroup.DIBAO, TargetGroup.TEKUN}
_DESCRIPTIONS = {
    NeedType.BASIC_LIVING: "家庭收入下降，基本生活困难",
    NeedType.MEDICAL: "家庭成员患病，医疗费用自付部分较高",
    NeedType.EDUCATION: "子女上学费用负担重",
    NeedType.HOUSING: "住房存在安全隐患，需要修缮",
    NeedType.EMPLOYMENT: "有劳动能力，希望就近就业",
    NeedType.DISASTER: "遭受暴雨灾害，房屋和庄稼受损",
    NeedType.TEMPORARY: "突发困难，急需临时救助",
    NeedType.CARE: "老人独居，日常生活需要照护",
    NeedType.PSYCHOLOGICAL: "家庭变故后情绪低落，需要心理疏导",
    NeedType.SOCIAL_INTEGRATION: "长期独居，与邻里往来少",
}


class CaseGenerator:
    """Cases for each generated household, after areas, organisations and resources are loaded."""

    def __init__(self, ctx: SeedContext, world: World) -> None:
        self.ctx = ctx
        self.world = world
        self.rng: random.Random = ctx.rng("cases")
        self.chains = ReferralChains(ctx)
        self._by_need: dict[NeedType, list[Resource]] = {}
        for resource in world.resources:
            for need_type in resource.need_types:
                self._by_need.setdefault(need_type, []).append(resource)
        self._organisations: dict[str, Organisation] = {
            org.id: org for org in (*world.departments.values(), *world.providers)
        }
        # What a household's village and groups are offered: the same for every household alike.
        self._candidates: dict[tuple[NeedType, frozenset[TargetGroup], str], list[Resource]] = {}
        self._teams: dict[str, list[Organisation]] = {}

    def _id(self) -> str:
        return self.ctx.new_id("cases")

    # -- what a household needs ------------------------------------------------------------------
    def need_types(self, household: Household, members: list[Person]) -> list[NeedType]:
        """Plausible needs of a household, most pressing first."""
        types: list[NeedType] = []
        if any(m.health is not HealthStatus.HEALTHY for m in members) or household.expense_medical_fen:
            types.append(NeedType.MEDICAL)
        if any(
            m.schooling
            in (
                SchoolingStage.SENIOR,
                SchoolingStage.VOCATIONAL,
                SchoolingStage.UNDERGRADUATE,
                SchoolingStage.LEFT_SCHOOL,
            )
            for m in members
        ):
            types.append(NeedType.EDUCATION)
        if household.housing_safe is False:
            types.append(NeedType.HOUSING)
        if any(m.labour_ability is LabourAbility.FULL and not m.employed for m in members):
            types.append(NeedType.EMPLOYMENT)
        if len(members) == 1 and (members[0].birth_date is None or members[0].birth_date.year < 1961):
            types.append(NeedType.CARE)
        types += [NeedType.BASIC_LIVING, NeedType.TEMPORARY, NeedType.PSYCHOLOGICAL]
        return types

    def _handler(self, need: Need, categories: list[TargetGroup]) -> Handler:
        """Who the township passes a need to: a fitting resource's provider, or the village body."""
        groups = frozenset(categories)
        cached = (need.type, groups, need.village_code)
        candidates = self._candidates.get(cached)
        if candidates is None:
            candidates = self._candidates[cached] = [
                r
                for r in self._by_need.get(need.type, [])
                if (not r.target_groups or groups & set(r.target_groups))
                and (not r.service_area_codes or serves(r.service_area_codes, need.village_code))
                and r.provider_id in self._organisations
            ]
        if candidates:
            resource = self.rng.choice(candidates)
            return Handler(self._organisations[str(resource.provider_id)], resource)
        return Handler(self.world.bodies[need.village_code], None)

    # -- the household's cases --------------------------------------------------------------------
    def for_household(self, household: Household, members: list[Person]) -> Iterator[Node | Rel]:
        """Benefits, support ties, events, warnings, needs and referrals of one household."""
        yield from self._benefits(household)
        if self.rng.random() < SUPPORT_RATE:
            yield from self._support(household)
        warning: RiskWarning | None = None
        if self.rng.random() < WARNING_RATE:
            event, warning = self._event_and_warning(household, members)
            yield from event
        if self.rng.random() < NEED_RATE or warning is not None:
            types = self.need_types(household, members)
            count = 1 if self.rng.random() < 0.8 else 2
            for need_type in dict.fromkeys(types[: count + self.rng.randint(0, 1)][:count]):
                yield from self._need(household, need_type, warning)
                warning = None

    def _benefits(self, household: Household) -> Iterator[Node | Rel]:
        for resource in self._by_need.get(NeedType.BASIC_LIVING, []):
            if (
                resource.kind is ResourceKind.POLICY
                and resource.assistance_kind is AssistanceKind.BASIC_LIVING
                and set(resource.target_groups) & set(household.categories)
            ):
                since = (household.created_at - timedelta(days=self.rng.randint(0, 365))).date()
                yield Receives(
                    start=household.ref, end=resource.ref, since=since, amount_fen=resource.benefit_amount_fen
                )
                return  # benefits of one kind are not stacked (就高不就低)

    def _support(self, household: Household) -> Iterator[Node | Rel]:
        teams = self._teams.get(household.village_code)
        if teams is None:
            teams = self._teams[household.village_code] = [
                p
                for p in self.world.providers_serving(household.village_code)
                if p.kind in (OrganisationKind.VOLUNTEER_TEAM, OrganisationKind.COMMUNITY)
            ]
        if teams:
            team = self.rng.choice(teams)
            kind = (
                SupportKind.VOLUNTEER
                if team.kind is OrganisationKind.VOLUNTEER_TEAM
                else SupportKind.ORGANISATION
            )
            yield Supports(
                start=team.ref,
                end=household.ref,
                kind=kind,
                since=(self.ctx.now - timedelta(days=self.rng.randint(30, 900))).date(),
            )

    def _event_and_warning(
        self, household: Household, members: list[Person]
    ) -> tuple[list[Node | Rel], RiskWarning]:
        kind = self.rng.choice(
            [
                EventType.SERIOUS_ILLNESS,
                EventType.MEDICAL_SELFPAY,
                EventType.JOB_LOSS,
                EventType.DISASTER,
                EventType.DEATH,
                EventType.SCHOOL_DROPOUT,
            ]
        )
        occurred = self.ctx.now - timedelta(days=self.rng.uniform(0, 40))
        person = self.rng.choice(members)
        event = ChangeEvent(
            id=self._id(),
            household_id=household.id,
            person_id=person.id,
            type=kind,
            occurred_on=occurred.date(),
            amount_fen=self.rng.randrange(1_600_000, 8_000_000, 100)
            if kind is EventType.MEDICAL_SELFPAY
            else None,
            description=f"{person.name}{kind.zh}",
            source=SourceSystem.MEDICAL_INSURANCE
            if kind is EventType.MEDICAL_SELFPAY
            else SourceSystem.GRID_VISIT,
            reported_by=f"seed:{household.village_code}",
            recorded_at=occurred + timedelta(hours=6),
        )
        urgent = kind in (EventType.SERIOUS_ILLNESS, EventType.DEATH, EventType.DISASTER)
        raised = occurred + timedelta(hours=8)
        verified = raised + timedelta(days=self.rng.uniform(0.5, 8))
        done = verified < self.ctx.now and self.rng.random() < 0.7
        warning = RiskWarning(
            id=self._id(),
            household_id=household.id,
            township_code=household.village_code[:9] + "000",
            level=Urgency.URGENT if urgent else Urgency.GENERAL,
            status=WarningStatus.CONFIRMED if done else WarningStatus.OPEN,
            reason=f"{kind.zh}：{person.name}",
            raised_at=raised,
            due_at=raised + timedelta(days=3 if urgent else 7),
            priority=self.rng.randint(1, 100),
            verified_at=verified if done else None,
            verified_by=f"seed:{household.village_code[:9]}" if done else None,
        )
        items: list[Node | Rel] = [
            event,
            HadEvent(start=household.ref, end=event.ref),
            warning,
            Triggered(start=event.ref, end=warning.ref),
            WarnsAbout(start=warning.ref, end=household.ref),
        ]
        return items, warning

    def _need(
        self, household: Household, need_type: NeedType, warning: RiskWarning | None
    ) -> Iterator[Node | Rel]:
        scenario = self.chains.scenario() if self.rng.random() < 0.7 else None
        # Finished chains started weeks or months ago, open ones mostly days ago: so a minority of
        # open hops is overdue, as on a working county's board.
        if scenario is None:
            age = self.rng.expovariate(1 / 20)
        else:
            age = scenario.expected_days * self.rng.uniform(1.2, 2.5)
            age += self.rng.expovariate(1 / (60 if scenario.closed else 3))
        created = (
            (warning.verified_at or warning.raised_at) if warning else (self.ctx.now - timedelta(days=age))
        )
        created = min(created, self.ctx.now - timedelta(minutes=5))
        urgent = (warning is not None and warning.level is Urgency.URGENT) or self.rng.random() < 0.2
        channel = (
            NeedChannel.WARNING
            if warning
            else self.rng.choices(list(NeedChannel)[:3], cum_weights=(60, 80, 100))[0]
        )
        values = {
            "id": self._id(),
            "household_id": household.id,
            "village_code": household.village_code,
            "type": need_type,
            "urgency": Urgency.URGENT if urgent else Urgency.GENERAL,
            "status": NeedStatus.OPEN,
            "channel": channel,
            "description": _DESCRIPTIONS[need_type],
            "reported_by": f"seed:{household.village_code}",
            "created_at": created,
            "updated_at": created,
        }
        chain: list[Node | Rel] = []
        if scenario is None and self.rng.random() < 0.03:  # the household withdrew its request
            values["status"] = NeedStatus.WITHDRAWN
            values["closed_at"] = values["updated_at"] = min(self.ctx.now, created + timedelta(days=2))
        if scenario is not None:  # referred: the chain's end decides the need's status
            need = Need(**values)
            handler = self._handler(need, household.categories)
            track = (
                ReferralTrack.JOINT_HANDLING
                if set(household.categories) & GUARANTEE_GROUPS
                and handler.resource is not None
                and handler.resource.kind is ResourceKind.POLICY
                else ReferralTrack.ALLIANCE
            )
            start = min(created + timedelta(hours=self.rng.uniform(1, 24)), self.ctx.now)
            county_body = self.world.bodies[self.ctx.county.code]
            township_body = self.world.bodies[household.village_code[:9] + "000"]
            chain = list(self.chains.chain(need, county_body, township_body, handler, track, start, scenario))
            referral = chain[0]
            assert isinstance(referral, Referral)
            values["status"] = {
                ReferralStatus.COMPLETED: NeedStatus.MET,
                ReferralStatus.CANCELLED: NeedStatus.OPEN,
            }.get(referral.status, NeedStatus.REFERRED)
            last_hop = max((i for i in chain if isinstance(i, ReferralHop)), key=lambda h: h.seq)
            if last_hop.status is HopStatus.FAILED:
                values["status"] = NeedStatus.UNMET  # a gap the coordinator must fill
            if values["status"] is NeedStatus.MET:
                values["closed_at"] = values["updated_at"] = referral.completed_at
        need = Need(**values)
        yield need
        yield HasNeed(start=household.ref, end=need.ref)
        if warning is not None:
            yield Raised(start=warning.ref, end=need.ref)
        yield from chain
