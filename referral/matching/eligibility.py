"""Eligibility as pure functions: is a resource open to a household (for a need), and if not, why.

Every rule gives an `Exclusion` code and a bilingual detail naming the rule and its values. The
household is seen through `HouseholdFacts` (built once by `facts_of`): its target groups, village,
risk level, urban flag, living members and the benefits it currently receives (RECEIVES).

Rules, in the order they are checked:
- the resource is inactive; it does not serve the need's type (only with a need);
- target groups: a resource with groups is open to a household in at least one of them (a member with
  a disability grade puts the household in `disabled`); empty groups: open to all in need;
- urban/rural: the shipped pool tells urban from rural guarantee variants only by the code suffix
  (`-URBAN`, `-RURAL`), the model has no field for it (a gap, see docs/architecture.md);
- person conditions (age range, disability, labour ability, required skills) need one living member
  meeting all of them; when each holds for someone but never together: `person_conditions`;
- service area: the household's village lies in the subtree of one of `service_area_codes` (empty:
  anywhere); the seeds write the same areas as AVAILABLE_IN;
- stacking (就高不就低、不重复享受): the household already receives this resource, or one of the same
  stacking group with an equal or higher benefit; a better one may replace the received one;
- capacity: the remaining capacity (capacity minus live referrals minus this batch's assignments).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from graph.model import Household, Person, Resource
from graph.model.enums import LabourAbility, NeedType, PiiScope, SchoolingStage, TargetGroup
from graph.model.identity import subtree_prefix
from referral.matching.models import Exclusion

_URBAN_SUFFIX, _RURAL_SUFFIX = "-URBAN", "-RURAL"


@dataclass(frozen=True, slots=True)
class Member:
    """What eligibility needs of a living member."""

    age: int | None
    disabled: bool
    labour_ability: LabourAbility | None
    skills: frozenset[str]
    schooling: SchoolingStage | None


@dataclass(frozen=True, slots=True)
class Received:
    """A benefit the household currently receives."""

    resource_id: str
    code: str
    name: str
    stacking_group: str | None
    rank: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    household_id: str
    village_code: str
    groups: frozenset[TargetGroup]
    risk_level: int | None
    urban: bool
    members: tuple[Member, ...]
    received: tuple[Received, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule that failed: the code, a bilingual detail, and the private data the detail reveals."""

    reason: Exclusion
    detail: str
    scope: PiiScope | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of checking one resource: eligible when no rule failed."""

    failed: tuple[Rule, ...]
    replaces: Received | None = None

    @property
    def eligible(self) -> bool:
        return not self.failed

    @property
    def reasons(self) -> tuple[Exclusion, ...]:
        return tuple(rule.reason for rule in self.failed)


def age_on(birth: date | None, day: date) -> int | None:
    """Age in whole years on `day` (None when the birth date is unknown)."""
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def benefit_rank(resource: Resource) -> tuple[int, int, int, int]:
    """How good a benefit is, for comparing within a stacking group: rate, amount, deductible, cap.

    A higher rate wins, then a higher amount, then a lower deductible, then a higher yearly cap (no cap
    is the highest). Unknown rate or amount rank lowest.
    """
    return (
        -1 if resource.benefit_rate_pct is None else resource.benefit_rate_pct,
        -1 if resource.benefit_amount_fen is None else resource.benefit_amount_fen,
        -(resource.deductible_fen or 0),
        2**62 if resource.yearly_cap_fen is None else resource.yearly_cap_fen,
    )


def received_of(resource: Resource) -> Received:
    return Received(
        resource.id, resource.code, resource.name, resource.stacking_group, benefit_rank(resource)
    )


def member_of(person: Person, day: date) -> Member:
    return Member(
        age=age_on(person.birth_date, day),
        disabled=person.disability_grade is not None,
        labour_ability=person.labour_ability,
        skills=frozenset(person.skills),
        schooling=person.schooling,
    )


def facts_of(
    household: Household, persons: Iterable[Person], receives: Iterable[Resource], day: date
) -> HouseholdFacts:
    """The facts of a household on `day`: deceased members left out; `receives` are its live benefits."""
    members = tuple(member_of(p, day) for p in persons if p.deceased_on is None or p.deceased_on > day)
    groups = set(household.categories)
    if any(m.disabled for m in members):
        groups.add(TargetGroup.DISABLED)
    return HouseholdFacts(
        household_id=household.id,
        village_code=household.village_code,
        groups=frozenset(groups),
        risk_level=household.risk_level,
        urban=household.urban,
        members=members,
        received=tuple(received_of(r) for r in receives),
    )


# -- the rules ------------------------------------------------------------------------------------
def _names(values: Iterable[object]) -> str:
    return "、".join(sorted(getattr(v, "zh", str(v)) for v in values)) or "-"


def _range(low: int | None, high: int | None) -> str:
    return f"{'0' if low is None else low}–{'∞' if high is None else high}"


@dataclass(frozen=True, slots=True)
class _PersonCondition:
    reason: Exclusion
    holds: Callable[[Member], bool]
    detail: str
    scope: PiiScope | None


def _person_conditions(resource: Resource) -> list[_PersonCondition]:
    conditions: list[_PersonCondition] = []
    if resource.min_age is not None or resource.max_age is not None:
        low, high = resource.min_age or 0, 150 if resource.max_age is None else resource.max_age
        span = _range(resource.min_age, resource.max_age)
        conditions.append(
            _PersonCondition(
                Exclusion.AGE,
                lambda m: m.age is not None and low <= m.age <= high,
                f"要求成员年龄 {span} 岁，无成员符合 / needs a member aged {span}, none is",
                PiiScope.ID_NUMBER,  # ages come from birth dates
            )
        )
    if resource.requires_disability:
        conditions.append(
            _PersonCondition(
                Exclusion.DISABILITY,
                lambda m: m.disabled,
                "要求有持证残疾成员，无 / needs a member with a disability grade, none has",
                PiiScope.HEALTH,
            )
        )
    if resource.labour_abilities:
        accepted = frozenset(resource.labour_abilities)
        names = _names(accepted)
        conditions.append(
            _PersonCondition(
                Exclusion.LABOUR_ABILITY,
                lambda m: m.labour_ability in accepted,
                f"要求劳动能力为 {names}，无成员符合 / needs labour ability {names}, no member has it",
                None,
            )
        )
    if resource.required_skills:
        skills = frozenset(resource.required_skills)
        names = _names(skills)
        conditions.append(
            _PersonCondition(
                Exclusion.SKILLS,
                lambda m: skills <= m.skills,
                f"要求技能 {names}，无成员具备 / needs the skills {names}, no member has them",
                None,
            )
        )
    return conditions


def person_rules(facts: HouseholdFacts, resource: Resource) -> list[Rule]:
    """Person-level conditions: one living member must meet all of them."""
    conditions = _person_conditions(resource)
    if not conditions:
        return []
    failed = [
        Rule(c.reason, c.detail, c.scope) for c in conditions if not any(c.holds(m) for m in facts.members)
    ]
    if failed:
        return failed
    if not any(all(c.holds(m) for c in conditions) for m in facts.members):
        names = "、".join(c.reason.zh for c in conditions)
        return [
            Rule(
                Exclusion.PERSON_CONDITIONS,
                f"各项条件({names})分别有成员符合，但无同一成员全部符合 / "
                "each condition holds for some member, never all for one",
                PiiScope.ID_NUMBER,
            )
        ]
    return []


def in_service_area(service_area_codes: Sequence[str], village_code: str) -> bool:
    """Whether a village lies in the subtree of one of the codes (no codes: anywhere)."""
    return not service_area_codes or any(
        village_code.startswith(subtree_prefix(code)) for code in service_area_codes
    )


def household_rules(facts: HouseholdFacts, resource: Resource) -> list[Rule]:
    """Rules about the household alone (no need, no capacity): groups, settlement, persons, area."""
    failed: list[Rule] = []
    if resource.target_groups and not facts.groups & set(resource.target_groups):
        wanted = _names(resource.target_groups)
        failed.append(
            Rule(
                Exclusion.TARGET_GROUP,
                f"适用对象为 {wanted}；本户为 {_names(facts.groups)} / "
                f"for {', '.join(sorted(resource.target_groups))}; the household is in "
                f"{', '.join(sorted(facts.groups)) or 'no group'}",
            )
        )
    code = resource.code.upper()
    if (code.endswith(_URBAN_SUFFIX) and not facts.urban) or (code.endswith(_RURAL_SUFFIX) and facts.urban):
        side = "城镇" if code.endswith(_URBAN_SUFFIX) else "农村"
        failed.append(
            Rule(Exclusion.URBAN_RURAL, f"仅限{side}家庭 / for {'urban' if side == '城镇' else 'rural'} only")
        )
    failed += person_rules(facts, resource)
    if not in_service_area(resource.service_area_codes, facts.village_code):
        areas = ", ".join(resource.service_area_codes)
        failed.append(
            Rule(
                Exclusion.OUT_OF_AREA,
                f"服务范围 {areas}，本户所在村 {facts.village_code} 不在其中 / "
                f"serves {areas}; village {facts.village_code} is outside",
            )
        )
    return failed


def stacking_rule(facts: HouseholdFacts, resource: Resource) -> tuple[Rule | None, Received | None]:
    """就高不就低、不重复享受: (the rule that failed, or None; the received benefit this one betters)."""
    for got in facts.received:
        if got.resource_id == resource.id:
            return Rule(Exclusion.ALREADY_RECEIVED, f"本户已在享受 {got.name} / already receives it"), None
    if resource.stacking_group is None:
        return None, None
    rank = benefit_rank(resource)
    replaces: Received | None = None
    for got in facts.received:
        if got.stacking_group != resource.stacking_group:
            continue
        if rank <= got.rank:
            return (
                Rule(
                    Exclusion.STACKING,
                    f"已享受同组({resource.stacking_group})的 {got.name}({got.code})，待遇不低于本项 / "
                    f"already receives {got.code} of group {resource.stacking_group}, equal or better",
                ),
                None,
            )
        replaces = got
    return None, replaces


def check(
    facts: HouseholdFacts,
    resource: Resource,
    *,
    need_type: NeedType | None = None,
    remaining: int | None = None,
) -> Verdict:
    """Every rule a resource fails for the household (and a need of `need_type`, when given).

    `remaining` is the resource's capacity left (None: not limited).
    """
    failed: list[Rule] = []
    if not resource.active:
        failed.append(Rule(Exclusion.INACTIVE, f"{resource.code} 已停用 / is inactive"))
    if need_type is not None and need_type not in resource.need_types:
        served = _names(resource.need_types)
        failed.append(
            Rule(
                Exclusion.NEED_TYPE,
                f"提供 {served}，不含 {need_type.zh} / "
                f"serves {', '.join(resource.need_types)}, not {need_type}",
            )
        )
    failed += household_rules(facts, resource)
    stacking, replaces = stacking_rule(facts, resource)
    if stacking is not None:
        failed.append(stacking)
    if remaining is not None and remaining <= 0:
        failed.append(
            Rule(
                Exclusion.NO_CAPACITY,
                f"容量 {resource.capacity}，剩余 {remaining} / "
                f"capacity {resource.capacity}, {remaining} left",
            )
        )
    return Verdict(tuple(failed), replaces if not failed else None)
