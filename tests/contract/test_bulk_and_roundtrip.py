"""Contract: bulk loads in batches, and property values that survive the round trip unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.errors import ConstraintViolation
from graph.model import Area, Household, LivesIn, MemberOf, NodeRef, Person, new_id
from graph.model.enums import HealthStatus, LabourAbility, RelationToHead, Sex, TargetGroup
from graph.store import GraphStore, LoadProgress, where
from tests.builders import VILLAGE, household, make_areas, person


def stream(n: int) -> list[Household | Person | LivesIn | MemberOf]:
    items: list[Household | Person | LivesIn | MemberOf] = []
    for _ in range(n):
        h = household()
        p = person(h.id)
        items += [
            h,
            LivesIn(start=h.ref, end=NodeRef("Area", VILLAGE)),
            p,
            MemberOf(start=p.ref, end=h.ref, relation_to_head=RelationToHead.HEAD),
        ]
    return items


@pytest.fixture
def with_areas(store: GraphStore) -> GraphStore:
    with store.unit_of_work() as uow:
        make_areas(uow)
        uow.commit()
    return store


def test_bulk_load_reports_progress_per_batch_and_loads_everything(with_areas: GraphStore) -> None:
    seen: list[LoadProgress] = []
    done = with_areas.bulk_load(stream(25), batch_size=20, progress=seen.append)
    assert done == LoadProgress(nodes=50, rels=50, batches=5)
    assert [p.batches for p in seen] == [1, 2, 3, 4, 5]
    assert seen[-1] == done
    counts = with_areas.counts()
    assert counts.nodes["Household"] == 25 and counts.nodes["Person"] == 25
    assert counts.rels["LIVES_IN"] == 25 and counts.rels["MEMBER_OF"] == 25


def test_loading_the_same_stream_twice_changes_nothing(with_areas: GraphStore) -> None:
    items = stream(10)
    with_areas.bulk_load(items, batch_size=7)
    before = with_areas.counts()
    with_areas.bulk_load(items, batch_size=3)
    assert with_areas.counts() == before


def test_a_failing_batch_is_rolled_back_whole_and_earlier_batches_stay(with_areas: GraphStore) -> None:
    good = stream(5)  # 20 items: batches 1 and 2 of 10
    orphan = person("no-household")
    bad_batch = [*stream(2)[:4], orphan, MemberOf(start=orphan.ref, end=NodeRef("Household", "missing"))]
    with pytest.raises(ConstraintViolation):
        with_areas.bulk_load([*good, *bad_batch], batch_size=10)
    with with_areas.unit_of_work(write=False) as uow:
        assert uow.count(Household) == 5
        assert uow.get(Person, orphan.id) is None


unicode_text = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60)
    .map(str.strip)
    .filter(bool)
)
money = st.integers(min_value=-(2**53), max_value=2**53)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    address=st.one_of(st.none(), unicode_text),
    categories=st.lists(st.sampled_from(list(TargetGroup)), unique=True, max_size=4),
    wage=money,
    risk=st.one_of(st.none(), st.integers(1, 3)),
    safe=st.one_of(st.none(), st.booleans()),
    when=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_household_properties_round_trip(
    with_areas: GraphStore,
    address: str | None,
    categories: list[TargetGroup],
    wage: int,
    risk: int | None,
    safe: bool | None,
    when: datetime,
) -> None:
    h = household(
        address=address,
        categories=categories,
        income_wage_fen=wage,
        risk_level=risk,
        housing_safe=safe,
        created_at=when,
        updated_at=when,
    )
    with_areas.run(lambda uow: uow.upsert(h))
    assert with_areas.run(lambda uow: uow.get(Household, h.id), write=False) == h


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=unicode_text.filter(lambda s: len(s) <= 100),
    skills=st.lists(unicode_text, max_size=5),
    sex=st.one_of(st.none(), st.sampled_from(list(Sex))),
    health=st.sampled_from(list(HealthStatus)),
    labour=st.one_of(st.none(), st.sampled_from(list(LabourAbility))),
    born=st.one_of(st.none(), st.dates()),
)
def test_person_properties_round_trip_and_are_found_by_exact_name(
    with_areas: GraphStore,
    name: str,
    skills: list[str],
    sex: Sex | None,
    health: HealthStatus,
    labour: LabourAbility | None,
    born: object,
) -> None:
    p = person(
        new_id(), name=name, skills=skills, sex=sex, health=health, labour_ability=labour, birth_date=born
    )
    with_areas.run(lambda uow: uow.upsert(p))
    with with_areas.unit_of_work(write=False) as uow:
        assert uow.get(Person, p.id) == p
        assert p.id in {q.id for q in uow.find(Person, where(name=p.name))}


@pytest.mark.parametrize(
    "name",
    [
        "里仁镇新圳村委会",
        "𠀀𠀁 (CJK extension B)",
        "Zoë ﬁ ǅ",
        "e\u0301 combining",
        "'; DROP TABLE nodes; --",
        "$key}) //",
    ],
)
def test_awkward_unicode_names_are_stored_exactly(with_areas: GraphStore, name: str) -> None:
    area = Area(code="360783100299", level="village", name=name, parent_code="360783100000")
    with_areas.run(lambda uow: uow.upsert(area))
    with with_areas.unit_of_work(write=False) as uow:
        assert uow.require(Area, area.code).name == name
        assert [a.code for a in uow.find(Area, where(name=name))] == [area.code]
