"""The households generator: deterministic, valid, and shaped like a county's low-income registry."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from stdnum.cn import ric

from graph.model import Area, Household, KinOf, MemberOf, NeighbourOf, Node, Person, Rel
from graph.model.enums import (
    MONITORING_GROUPS,
    HealthStatus,
    KinRelation,
    LabourAbility,
    RelationToHead,
    SchoolingStage,
    Sex,
    TargetGroup,
)
from seeds import people_tables as t
from seeds.context import SeedContext, load_areas
from seeds.people import HouseholdBundle, PeopleGenerator

NOW = datetime(2026, 11, 1, tzinfo=UTC)
AREAS = load_areas("360783")
SAMPLE = 3_000
INVERSE = {
    KinRelation.SPOUSE: KinRelation.SPOUSE,
    KinRelation.SIBLING: KinRelation.SIBLING,
    KinRelation.OTHER_RELATIVE: KinRelation.OTHER_RELATIVE,
    KinRelation.PARENT: KinRelation.CHILD,
    KinRelation.CHILD: KinRelation.PARENT,
    KinRelation.GRANDPARENT: KinRelation.GRANDCHILD,
    KinRelation.GRANDCHILD: KinRelation.GRANDPARENT,
}
UNABLE = {LabourAbility.NONE, LabourAbility.LOST}
STUDENTS = {
    SchoolingStage.PRIMARY,
    SchoolingStage.JUNIOR,
    SchoolingStage.SENIOR,
    SchoolingStage.VOCATIONAL,
    SchoolingStage.UNDERGRADUATE,
}


def generate(n: int, seed: int = 1) -> list[HouseholdBundle]:
    return list(PeopleGenerator(SeedContext(seed=seed, now=NOW, areas=AREAS)).households(n))


def age(person: Person) -> int:
    assert person.birth_date is not None
    born, today = person.birth_date, NOW.date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def monthly_guarantee(household: Household) -> int:
    return t.URBAN_GUARANTEE_FEN if household.urban else t.RURAL_GUARANTEE_FEN


def counted_income(household: Household) -> int:
    """Yearly income counted by the social-assistance standard, before deductions (fen)."""
    h = household
    return h.income_wage_fen + h.income_operating_fen + h.income_property_fen + h.income_transfer_fen


def rigid_expenditure(household: Household) -> int:
    h = household
    return h.expense_medical_fen + h.expense_disability_fen + h.expense_schooling_fen + h.expense_job_fen


@pytest.fixture(scope="module")
def sample() -> list[HouseholdBundle]:
    return generate(SAMPLE)


def share(sample: list[HouseholdBundle], *groups: TargetGroup) -> float:
    hits = sum(1 for b in sample if any(g in b.household.categories for g in groups))
    return hits / len(sample)


def test_same_seed_and_clock_give_the_same_items_and_another_seed_does_not() -> None:
    first, again, other = generate(150), generate(150), generate(150, seed=2)

    assert [b.items for b in first] == [b.items for b in again]
    assert [b.household.id for b in first] != [b.household.id for b in other]
    assert [b.members[0].name for b in first] != [b.members[0].name for b in other]


def test_households_stream_lazily() -> None:
    stream = PeopleGenerator(SeedContext(seed=1, now=NOW, areas=AREAS)).households(10**12)

    assert isinstance(next(stream), HouseholdBundle)


def test_every_id_number_is_valid_and_agrees_with_the_person(sample: list[HouseholdBundle]) -> None:
    people = [p for b in sample for p in b.members]
    numbers = [p.id_number for p in people]

    assert len(set(numbers)) > 0.99 * len(numbers)
    for person in people:
        assert person.id_number is not None and ric.is_valid(person.id_number), person.id_number
        assert ric.get_birth_date(person.id_number) == person.birth_date
        assert (int(person.id_number[16]) % 2 == 1) == (person.sex is Sex.MALE)


@pytest.mark.parametrize(
    ("groups", "low", "high"),
    [
        ((TargetGroup.DIBAO,), 0.48, 0.58),
        ((TargetGroup.TEKUN,), 0.09, 0.14),
        ((TargetGroup.DIBAO_EDGE,), 0.11, 0.16),
        ((TargetGroup.RIGID_EXPENDITURE,), 0.045, 0.085),
        (tuple(MONITORING_GROUPS), 0.11, 0.16),
        ((TargetGroup.LEFT_DIBAO_RECENT,), 0.02, 0.045),
        ((TargetGroup.DISABLED,), 0.18, 0.27),
        ((TargetGroup.ORPHAN, TargetGroup.UNSUPPORTED_CHILD), 0.002, 0.02),
    ],
)
def test_target_groups_come_in_a_registrys_shares(
    sample: list[HouseholdBundle], groups: tuple[TargetGroup, ...], low: float, high: float
) -> None:
    assert low <= share(sample, *groups) <= high


def test_households_are_small_as_in_a_low_income_registry(sample: list[HouseholdBundle]) -> None:
    sizes = Counter(len(b.members) for b in sample)
    persons = sum(size * count for size, count in sizes.items())

    assert 1.8 <= persons / len(sample) <= 2.3
    assert sizes[1] / len(sample) > 0.35  # many live alone
    assert max(sizes) >= 5
    tekun = [b for b in sample if TargetGroup.TEKUN in b.household.categories]
    assert sum(len(b.members) == 1 for b in tekun) / len(tekun) > 0.95


def test_counted_income_fits_each_target_group(sample: list[HouseholdBundle]) -> None:
    for bundle in sample:
        h, n = bundle.household, len(bundle.members)
        monthly = counted_income(h) / n / 12
        guarantee = monthly_guarantee(h)
        groups = set(h.categories)
        if groups & {TargetGroup.DIBAO, TargetGroup.TEKUN}:
            assert monthly < guarantee, h
        if TargetGroup.DIBAO_EDGE in groups:
            assert guarantee <= monthly < 1.5 * guarantee, h
        if TargetGroup.LEFT_DIBAO_RECENT in groups:
            assert monthly >= guarantee, h
        if TargetGroup.RIGID_EXPENDITURE in groups:
            assert monthly >= guarantee > (counted_income(h) - rigid_expenditure(h)) / n / 12, h
        if groups & MONITORING_GROUPS and TargetGroup.DIBAO not in groups:
            yearly = (counted_income(h) + h.income_pension_fen) / n
            assert 0.5 * t.ANTI_POVERTY_LINE_FEN <= yearly <= 2 * t.ANTI_POVERTY_LINE_FEN, h


def test_income_and_expenditure_follow_the_members(sample: list[HouseholdBundle]) -> None:
    for bundle in sample:
        h, people = bundle.household, bundle.members
        assert h.income_wage_fen == sum(p.income_wage_fen for p in people)
        assert all(p.income_wage_fen == 0 for p in people if not p.employed)
        assert (h.income_pension_fen > 0) == any(age(p) >= 60 for p in people)
        ill = any(p.health is not HealthStatus.HEALTHY for p in people)
        assert (h.expense_medical_fen > 0) == ill
        assert h.expense_disability_fen == 0 or any(p.disability_grade for p in people)
        assert (h.expense_schooling_fen > 0) == any(p.schooling in STUDENTS for p in people)
        assert (h.expense_job_fen > 0) == any(p.works_outside_city for p in people)
        amounts = [h.income_wage_fen, h.income_transfer_fen, h.income_excluded_fen, h.deposits_fen]
        assert all(a >= 0 and a % 100 == 0 for a in amounts)
        if TargetGroup.TEKUN in h.categories:
            assert not any(p.employed for p in people)


def test_members_are_consistent_people(sample: list[HouseholdBundle]) -> None:
    phone = re.compile(r"^1[3-9][0-9]{9}$")
    for bundle in sample:
        h, people = bundle.household, bundle.members
        assert people[0].relation_to_head is RelationToHead.HEAD
        assert h.head_person_id == people[0].id and h.member_count == len(people)
        assert people[0].phone is not None and phone.match(people[0].phone)
        assert all(p.phone is None for p in people[1:])
        assert (TargetGroup.DISABLED in h.categories) == any(p.disability_grade for p in people)
        for p in people:
            years = age(p)
            assert p.household_id == h.id and h.created_at <= p.created_at <= p.updated_at <= NOW
            assert bool(p.illnesses) == (p.health is not HealthStatus.HEALTHY)
            assert all(re.fullmatch(r"[\u4e00-\u9fff0-9]+", i) for i in p.illnesses + p.skills)
            assert (p.labour_ability is None) == (years < 16)
            if p.skills:
                assert 16 <= years < 65 and p.labour_ability in (LabourAbility.FULL, LabourAbility.WEAK)
            if 7 <= years <= 14:
                expected = {SchoolingStage.PRIMARY, SchoolingStage.JUNIOR, SchoolingStage.LEFT_SCHOOL}
                assert p.schooling in expected
            if years < 6:
                assert p.schooling is SchoolingStage.NOT_SCHOOL_AGE
        if h.categories[0] is TargetGroup.TEKUN and TargetGroup.ORPHAN not in h.categories:
            assert age(people[0]) >= 60 or people[0].labour_ability in UNABLE


def test_a_few_children_have_left_school(sample: list[HouseholdBundle]) -> None:
    children = [p for b in sample for p in b.members if 6 <= age(p) < 18]
    left = [p for p in children if p.schooling is SchoolingStage.LEFT_SCHOOL]

    assert 0 < len(left) < 0.05 * len(children)


def test_households_are_urban_in_communities_and_rural_in_villages(sample: list[HouseholdBundle]) -> None:
    names = {a.code: a.name for a in AREAS}
    for bundle in sample:
        name = names[bundle.household.village_code]
        assert bundle.household.urban == (name.endswith(("社区", "居委会")) or "社区" in name)
        assert bundle.household.created_at >= NOW - timedelta(days=3 * 366)
        assert bundle.household.created_at <= bundle.household.updated_at <= NOW
    assert 0.05 < sum(b.household.urban for b in sample) / len(sample) < 0.5


def test_every_relationship_joins_nodes_loaded_before_it(sample: list[HouseholdBundle]) -> None:
    loaded = {a.ref for a in AREAS}
    for bundle in sample:
        for item in bundle.items:
            if isinstance(item, Node):
                assert item.ref not in loaded
                loaded.add(item.ref)
            else:
                assert isinstance(item, Rel)
                assert item.start in loaded and item.end in loaded, item
    assert bundle.items[0] == bundle.household


def test_every_member_is_member_of_its_household(sample: list[HouseholdBundle]) -> None:
    for bundle in sample:
        member_of = {(r.start, r.relation_to_head) for r in bundle.items if isinstance(r, MemberOf)}
        assert all(r.end == bundle.household.ref for r in bundle.items if isinstance(r, MemberOf))
        assert member_of == {(p.ref, p.relation_to_head) for p in bundle.members}


def test_kin_ties_are_stored_once_per_pair_and_fit_ages_read_either_way(
    sample: list[HouseholdBundle],
) -> None:
    stored = [(r.start, r.end, r.relation) for b in sample for r in b.items if isinstance(r, KinOf)]
    pairs = [frozenset((start, end)) for start, end, _ in stored]
    assert len(pairs) == len(set(pairs))
    # Read from the other end, a tie says the inverse (what the start person is to the end person).
    ties = stored + [(end, start, INVERSE[relation]) for start, end, relation in stored]
    people = {p.ref: p for b in sample for p in b.members}

    for start, end, relation in ties:
        if relation is KinRelation.CHILD:
            assert age(people[start]) - age(people[end]) >= 17
        if relation is KinRelation.GRANDCHILD:
            assert age(people[start]) - age(people[end]) >= 36
        if relation is KinRelation.SPOUSE:
            assert people[start].sex is not people[end].sex
            assert people[start].household_id == people[end].household_id


def test_some_relatives_and_every_neighbour_live_in_the_same_village(sample: list[HouseholdBundle]) -> None:
    village = {b.household.ref: b.household.village_code for b in sample}
    home = {p.ref: village[b.household.ref] for b in sample for p in b.members}
    across = 0
    for bundle in sample:
        here = bundle.household.village_code
        neighbours = [r for r in bundle.items if isinstance(r, NeighbourOf)]
        assert len(neighbours) <= 3
        assert all(village[r.end] == here and r.distance_m and r.distance_m > 0 for r in neighbours)
        own = {p.ref for p in bundle.members}
        kin_away = [r for r in bundle.items if isinstance(r, KinOf) and r.start in own and r.end not in own]
        assert all(home[r.end] == here for r in kin_away)
        across += bool(kin_away)
    assert 0.05 < across / len(sample) < 0.15
    assert sum(isinstance(r, NeighbourOf) for b in sample for r in b.items) > len(sample)


def test_a_county_without_villages_is_refused() -> None:
    county = [a for a in AREAS if a.code == "360783000000"]
    assert isinstance(county[0], Area)

    with pytest.raises(ValueError, match="no villages"):
        PeopleGenerator(SeedContext(seed=1, now=NOW, areas=county))


def test_other_counties_generate_too() -> None:
    areas = load_areas("511112")
    bundles = list(PeopleGenerator(SeedContext(seed=3, now=NOW, areas=areas)).households(200))

    assert {b.household.village_code[:6] for b in bundles} == {"511112"}
    assert all(p.id_number and ric.is_valid(p.id_number) for b in bundles for p in b.members)
    assert date(1900, 1, 1) < min(p.birth_date or NOW.date() for b in bundles for p in b.members)
