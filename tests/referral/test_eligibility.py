"""Eligibility rules as properties: each rule excludes exactly when its condition fails, with its code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.model import Household, Person, Resource, new_id
from graph.model.enums import LabourAbility, NeedType, ResourceKind, TargetGroup
from referral.matching.eligibility import (
    HouseholdFacts,
    Member,
    age_on,
    benefit_rank,
    check,
    facts_of,
    received_of,
)
from referral.matching.models import Exclusion

T0 = datetime(2026, 3, 1, tzinfo=UTC)
TODAY = date(2026, 11, 2)
VILLAGE = "360783100201"
SKILLS = ["电焊", "厨师", "缝纫", "驾驶"]


def resource(**overrides: Any) -> Resource:
    values: dict[str, Any] = {
        "id": new_id(),
        "code": f"R-{new_id()[-8:]}",
        "kind": ResourceKind.SERVICE,
        "name": "资源",
        "need_types": [NeedType.CARE],
        "created_at": T0,
    }
    return Resource(**(values | overrides))


def facts(
    *,
    groups: frozenset[TargetGroup] = frozenset(),
    members: tuple[Member, ...] = (),
    received: tuple[Resource, ...] = (),
    village: str = VILLAGE,
    urban: bool = False,
) -> HouseholdFacts:
    return HouseholdFacts(
        household_id="h",
        village_code=village,
        groups=groups,
        risk_level=2,
        urban=urban,
        members=members,
        received=tuple(received_of(r) for r in received),
    )


members_st = st.builds(
    Member,
    age=st.one_of(st.none(), st.integers(0, 100)),
    disabled=st.booleans(),
    labour_ability=st.one_of(st.none(), st.sampled_from(list(LabourAbility))),
    skills=st.frozensets(st.sampled_from(SKILLS), max_size=3),
    schooling=st.none(),
)
groups_st = st.frozensets(st.sampled_from(list(TargetGroup)), max_size=4)


@given(need=st.sampled_from(list(NeedType)), served=st.lists(st.sampled_from(list(NeedType)), min_size=1))
def test_need_type_not_served(need: NeedType, served: list[NeedType]) -> None:
    verdict = check(facts(), resource(need_types=served), need_type=need)
    assert (Exclusion.NEED_TYPE in verdict.reasons) is (need not in served)


@given(household=groups_st, wanted=groups_st)
def test_target_groups(household: frozenset[TargetGroup], wanted: frozenset[TargetGroup]) -> None:
    verdict = check(facts(groups=household), resource(target_groups=sorted(wanted)))
    excluded = Exclusion.TARGET_GROUP in verdict.reasons
    assert excluded is (bool(wanted) and not household & wanted)
    if excluded:
        detail = next(r.detail for r in verdict.failed if r.reason is Exclusion.TARGET_GROUP)
        assert all(g.zh in detail for g in wanted)  # the detail names the rule's groups


@given(
    members=st.lists(members_st, max_size=4),
    low=st.one_of(st.none(), st.integers(0, 70)),
    span=st.one_of(st.none(), st.integers(0, 40)),
    disability=st.booleans(),
    abilities=st.lists(st.sampled_from(list(LabourAbility)), max_size=2, unique=True),
    skills=st.lists(st.sampled_from(SKILLS), max_size=2, unique=True),
)
def test_person_conditions_need_one_member_meeting_all(
    members: list[Member],
    low: int | None,
    span: int | None,
    disability: bool,
    abilities: list[LabourAbility],
    skills: list[str],
) -> None:
    high = None if span is None else (low or 0) + span
    r = resource(
        min_age=low,
        max_age=high,
        requires_disability=disability,
        labour_abilities=abilities,
        required_skills=skills,
    )

    def age_ok(m: Member) -> bool:
        if low is None and high is None:
            return True
        return m.age is not None and (low or 0) <= m.age <= (150 if high is None else high)

    active = {
        Exclusion.AGE: low is not None or high is not None,
        Exclusion.DISABILITY: disability,
        Exclusion.LABOUR_ABILITY: bool(abilities),
        Exclusion.SKILLS: bool(skills),
    }
    checks = {
        reason: holds
        for reason, holds in {
            Exclusion.AGE: age_ok,
            Exclusion.DISABILITY: lambda m: m.disabled,
            Exclusion.LABOUR_ABILITY: lambda m: m.labour_ability in abilities,
            Exclusion.SKILLS: lambda m: set(skills) <= m.skills,
        }.items()
        if active[reason]
    }
    verdict = check(facts(members=tuple(members)), r)
    for reason in active:
        alone = reason in checks and not any(checks[reason](m) for m in members)
        assert (reason in verdict.reasons) is alone
    eligible = any(all(h(m) for h in checks.values()) for m in members) or not checks
    assert verdict.eligible is eligible
    if not eligible and not any(r in verdict.reasons for r in checks):
        assert verdict.reasons == (Exclusion.PERSON_CONDITIONS,)


@given(
    village=st.sampled_from(["360783100201", "360783101200", "360783200203"]),
    areas=st.lists(
        st.sampled_from(["360783000000", "360783100000", "360783101000", "360783100201", "360783200203"]),
        max_size=2,
    ),
)
def test_service_area_subtrees(village: str, areas: list[str]) -> None:
    verdict = check(facts(village=village), resource(service_area_codes=areas))
    prefixes = {"360783000000": "360783", "360783100000": "360783100", "360783101000": "360783101"}
    inside = not areas or any(village.startswith(prefixes.get(a, a)) for a in areas)
    assert (Exclusion.OUT_OF_AREA in verdict.reasons) is (not inside)


@given(capacity=st.one_of(st.none(), st.integers(0, 5)), live=st.integers(0, 6), taken=st.integers(0, 6))
def test_capacity_left(capacity: int | None, live: int, taken: int) -> None:
    r = resource(capacity=capacity)
    remaining = None if capacity is None else capacity - live - taken
    verdict = check(facts(), r, remaining=remaining)
    assert (Exclusion.NO_CAPACITY in verdict.reasons) is (remaining is not None and remaining <= 0)


benefits_st = st.tuples(
    st.one_of(st.none(), st.integers(0, 100)), st.one_of(st.none(), st.integers(0, 10**6))
)


@given(got=benefits_st, offered=benefits_st, same_group=st.booleans())
def test_stacking_keeps_the_higher_benefit(
    got: tuple[int | None, int | None], offered: tuple[int | None, int | None], same_group: bool
) -> None:
    """就高不就低、不重复享受: equal or worse in the same group is excluded, better may replace."""
    received = resource(stacking_group="g", benefit_rate_pct=got[0], benefit_amount_fen=got[1])
    candidate = resource(
        stacking_group="g" if same_group else "other",
        benefit_rate_pct=offered[0],
        benefit_amount_fen=offered[1],
    )
    verdict = check(facts(received=(received,)), candidate)
    better = benefit_rank(candidate) > benefit_rank(received)
    assert (Exclusion.STACKING in verdict.reasons) is (same_group and not better)
    assert (verdict.replaces is not None) is (same_group and better)


def test_medical_assistance_terms_rank_as_domain() -> None:
    """特困 80% no deductible > 低保 75% no deductible > monitoring 60% above 3,000 yuan, capped."""
    tekun = resource(benefit_rate_pct=80, deductible_fen=0, stacking_group="ma")
    dibao = resource(benefit_rate_pct=75, deductible_fen=0, stacking_group="ma")
    monitor = resource(
        benefit_rate_pct=60, deductible_fen=300_000, yearly_cap_fen=5_000_000, stacking_group="ma"
    )
    assert benefit_rank(tekun) > benefit_rank(dibao) > benefit_rank(monitor)
    # A household in both databases receiving the monitoring terms may move up to 低保 terms, not back.
    assert check(facts(received=(monitor,)), dibao).replaces is not None
    assert Exclusion.STACKING in check(facts(received=(dibao,)), monitor).reasons


def test_already_received_and_inactive() -> None:
    r = resource(active=False)
    assert set(check(facts(received=(r,)), r).reasons) == {Exclusion.INACTIVE, Exclusion.ALREADY_RECEIVED}


@given(urban=st.booleans(), suffix=st.sampled_from(["-URBAN", "-RURAL", ""]))
def test_urban_rural_variants(urban: bool, suffix: str) -> None:
    verdict = check(facts(urban=urban), resource(code=f"360783-DIBAO{suffix}"))
    wrong = (suffix == "-URBAN" and not urban) or (suffix == "-RURAL" and urban)
    assert (Exclusion.URBAN_RURAL in verdict.reasons) is wrong


@settings(max_examples=50)
@given(birth=st.dates(date(1920, 1, 1), date(2026, 11, 2)))
def test_age_on(birth: date) -> None:
    age = age_on(birth, TODAY)
    assert age is not None
    assert age >= 0
    assert (birth.year + age, birth.month, birth.day) <= (TODAY.year, TODAY.month, TODAY.day)
    assert (birth.year + age + 1, birth.month, birth.day) > (TODAY.year, TODAY.month, TODAY.day)


def test_facts_leave_out_the_deceased_and_add_disabled_group() -> None:
    h = Household(id="h", village_code=VILLAGE, created_at=T0, updated_at=T0, categories=[TargetGroup.DIBAO])
    alive = Person(
        id="p1",
        household_id="h",
        name="甲",
        created_at=T0,
        updated_at=T0,
        birth_date=date(1950, 5, 1),
        disability_grade=2,
        disability_kind="physical",
    )
    dead = Person(
        id="p2", household_id="h", name="乙", created_at=T0, updated_at=T0, deceased_on=date(2026, 1, 1)
    )
    f = facts_of(h, [alive, dead], [], TODAY)
    assert len(f.members) == 1 and f.members[0].age == 76
    assert f.groups == {TargetGroup.DIBAO, TargetGroup.DISABLED}
