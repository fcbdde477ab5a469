"""Contract: nodes — upsert, create, get, find with filters/order/paging, compare-and-set, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from graph.errors import ConstraintViolation, InvalidQuery, NodeNotFound
from graph.model import Area, Household, Need, NodeRef, User, new_id
from graph.model.enums import NeedChannel, NeedStatus, NeedType, Role, TargetGroup, Urgency
from graph.store import Filter, GraphStore, Op, Order, where
from tests.builders import OTHER_VILLAGE, T0, VILLAGE, household, make_areas


def need(household_id: str, **overrides: object) -> Need:
    values: dict[str, object] = {
        "id": new_id(),
        "household_id": household_id,
        "village_code": VILLAGE,
        "type": NeedType.MEDICAL,
        "urgency": Urgency.GENERAL,
        "channel": NeedChannel.HOME_VISIT,
        "reported_by": "worker-1",
        "created_at": T0,
        "updated_at": T0,
    }
    return Need(**(values | overrides))  # type: ignore[arg-type]


def user(username: str) -> User:
    return User(
        id=new_id(),
        username=username,
        display_name="张三",
        roles=[Role.TOWNSHIP_OFFICER],
        created_at=T0,
        updated_at=T0,
    )


def test_upsert_then_get_returns_an_equal_node(store: GraphStore) -> None:
    h = household(categories=[TargetGroup.DIBAO], income_wage_fen=1_234_500, risk_level=2)
    with store.unit_of_work() as uow:
        uow.upsert(h)
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        assert uow.get(Household, h.id) == h
        assert uow.get(Household, "missing") is None


def test_upsert_twice_keeps_one_node_with_the_new_properties(store: GraphStore) -> None:
    h = household()
    changed = h.model_copy(update={"risk_level": 1, "address": "金塘村12号"})
    for node in (h, changed, changed):
        store.run(lambda uow, n=node: uow.upsert(n))
    with store.unit_of_work(write=False) as uow:
        assert uow.count(Household) == 1
        assert uow.require(Household, h.id) == changed


def test_removed_optional_property_reads_back_as_none(store: GraphStore) -> None:
    h = household(address="金塘村12号")
    store.run(lambda uow: uow.upsert(h))
    store.run(lambda uow: uow.upsert(h.model_copy(update={"address": None})))
    assert store.run(lambda uow: uow.require(Household, h.id).address, write=False) is None


def test_create_of_an_existing_key_raises_constraint_violation(store: GraphStore) -> None:
    h = household()
    store.run(lambda uow: uow.create(h))
    with pytest.raises(ConstraintViolation):
        store.run(lambda uow: uow.create(h))
    assert store.run(lambda uow: uow.count(Household), write=False) == 1


def test_unique_property_is_enforced_on_create_and_upsert(store: GraphStore) -> None:
    store.run(lambda uow: uow.create(user("li.si")))
    with pytest.raises(ConstraintViolation):
        store.run(lambda uow: uow.create(user("li.si")))
    with pytest.raises(ConstraintViolation):
        store.run(lambda uow: uow.upsert(user("li.si")))
    store.run(lambda uow: uow.create(user("wang.wu")))
    assert store.run(lambda uow: uow.count(User), write=False) == 2


def test_require_raises_not_found(store: GraphStore) -> None:
    with store.unit_of_work(write=False) as uow, pytest.raises(NodeNotFound):
        uow.require(Household, "nope")


def test_get_many_returns_only_existing(store: GraphStore) -> None:
    hs = [household() for _ in range(3)]
    store.run(lambda uow: [uow.upsert(h) for h in hs])
    found = store.run(lambda uow: uow.get_many(Household, [hs[0].id, hs[2].id, "x"]), write=False)
    assert found == {hs[0].id: hs[0], hs[2].id: hs[2]}
    assert store.run(lambda uow: uow.get_many(Household, []), write=False) == {}


@pytest.fixture
def needs(store: GraphStore) -> list[Need]:
    hid = new_id()
    items = [
        need(hid, type=NeedType.MEDICAL, urgency=Urgency.URGENT, created_at=T0, description="大病"),
        need(hid, type=NeedType.EDUCATION, created_at=T0 + timedelta(days=1), status=NeedStatus.REFERRED),
        need(
            hid,
            type=NeedType.HOUSING,
            created_at=T0 + timedelta(days=2),
            closed_at=T0 + timedelta(days=9),
            status=NeedStatus.MET,
            village_code=OTHER_VILLAGE,
        ),
        need(hid, type=NeedType.CARE, created_at=T0 + timedelta(hours=5), description="照护老人"),
    ]
    store.run(lambda uow: [uow.upsert(n) for n in items])
    return items


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (where(type=NeedType.MEDICAL), [0]),
        (where(type__ne="medical"), [1, 2, 3]),
        (where(created_at__lt=T0 + timedelta(days=1)), [0, 3]),
        (where(created_at__ge=T0 + timedelta(days=1)), [1, 2]),
        (where(created_at__gt=T0, created_at__le=T0 + timedelta(days=1)), [1, 3]),
        (where(status__in=[NeedStatus.REFERRED, NeedStatus.MET]), [1, 2]),
        (where(village_code__prefix="360783101"), [2]),
        (where(closed_at__is_null=False), [2]),
        (where(closed_at__is_null=True, urgency="general"), [1, 3]),
        (where(description="照护老人"), [3]),
        ([Filter("type", Op.IN, [])], []),
    ],
)
def test_find_and_count_filter_by_properties(
    store: GraphStore, needs: list[Need], filters: list[Filter], expected: list[int]
) -> None:
    with store.unit_of_work(write=False) as uow:
        found = uow.find(Need, filters)
        assert sorted(n.id for n in found) == sorted(needs[i].id for i in expected)
        assert uow.count(Need, filters) == len(expected)


def test_find_contains_matches_list_properties(store: GraphStore) -> None:
    a = household(categories=[TargetGroup.DIBAO, TargetGroup.DISABLED])
    b = household(categories=[TargetGroup.TEKUN])
    store.run(lambda uow: [uow.upsert(h) for h in (a, b)])
    found = store.run(
        lambda uow: uow.find(Household, where(categories__contains=TargetGroup.DISABLED)), write=False
    )
    assert [h.id for h in found] == [a.id]


def test_order_puts_missing_values_last_both_ways(store: GraphStore, needs: list[Need]) -> None:
    with store.unit_of_work(write=False) as uow:
        ascending = uow.find(Need, order_by=[Order("closed_at")])
        descending = uow.find(Need, order_by=[Order("created_at", descending=True)])
    assert ascending[0].id == needs[2].id
    assert [n.id for n in descending] == [needs[i].id for i in (2, 1, 3, 0)]


def test_paging_walks_every_node_once_in_order(store: GraphStore) -> None:
    hs = [household(risk_level=(i % 3) + 1) for i in range(7)]
    store.run(lambda uow: [uow.upsert(h) for h in hs])
    seen: list[str] = []
    with store.unit_of_work(write=False) as uow:
        for offset in range(0, 8, 3):
            seen += [
                h.id for h in uow.find(Household, order_by=[Order("risk_level")], limit=3, offset=offset)
            ]
    assert sorted(seen) == sorted(h.id for h in hs)
    assert len(seen) == 7


def test_unknown_property_is_rejected(store: GraphStore) -> None:
    with store.unit_of_work(write=False) as uow:
        with pytest.raises(InvalidQuery):
            uow.find(Household, where(nonsense=1))
        with pytest.raises(InvalidQuery):
            uow.find(Household, order_by=[Order("id) RETURN n //")])


def test_compare_and_set_writes_only_when_expected_matches(store: GraphStore) -> None:
    hid = new_id()
    n = need(hid)
    store.run(lambda uow: uow.upsert(n))
    referred = n.model_copy(update={"status": NeedStatus.REFERRED})
    assert store.run(lambda uow: uow.update_if(referred, {"status": NeedStatus.OPEN})) is True
    met = n.model_copy(update={"status": NeedStatus.MET})
    assert store.run(lambda uow: uow.update_if(met, {"status": NeedStatus.OPEN})) is False
    assert store.run(lambda uow: uow.update_if(met, {"status": "referred", "closed_at": None})) is True
    assert store.run(lambda uow: uow.require(Need, n.id).status, write=False) is NeedStatus.MET
    ghost = need(hid)
    assert store.run(lambda uow: uow.update_if(ghost, {"status": "open"})) is False
    assert store.run(lambda uow: uow.get(Need, ghost.id), write=False) is None


def test_delete_removes_the_node_and_its_relationships(store: GraphStore) -> None:
    with store.unit_of_work() as uow:
        make_areas(uow)
        uow.commit()
    village = NodeRef("Area", VILLAGE)
    assert store.run(lambda uow: uow.delete(village)) is True
    assert store.run(lambda uow: uow.delete(village)) is False
    with store.unit_of_work(write=False) as uow:
        assert uow.get(Area, VILLAGE) is None
        assert uow.count(Area) == 4
        assert len(list(uow.iter_rels(["PART_OF"]))) == 3
