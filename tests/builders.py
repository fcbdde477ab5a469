"""Small builders for tests: valid nodes with keyword-only overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.model import Area, Household, LivesIn, MemberOf, NodeRef, PartOf, Person, new_id
from graph.model.enums import AreaLevel, RelationToHead
from graph.store import UnitOfWork

T0 = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
COUNTY = "360783000000"
TOWNSHIP = "360783100000"
VILLAGE = "360783100201"
OTHER_VILLAGE = "360783101200"
OTHER_TOWNSHIP = "360783101000"


def make_areas(uow: UnitOfWork) -> list[Area]:
    """A county with two townships and a village in each, joined by PART_OF."""
    areas = [
        Area(code=COUNTY, level=AreaLevel.COUNTY, name="龙南市"),
        Area(code=TOWNSHIP, level=AreaLevel.TOWNSHIP, name="龙南镇", parent_code=COUNTY),
        Area(code=OTHER_TOWNSHIP, level=AreaLevel.TOWNSHIP, name="武当镇", parent_code=COUNTY),
        Area(code=VILLAGE, level=AreaLevel.VILLAGE, name="金塘村委会", parent_code=TOWNSHIP),
        Area(code=OTHER_VILLAGE, level=AreaLevel.VILLAGE, name="大坝村委会", parent_code=OTHER_TOWNSHIP),
    ]
    for area in areas:
        uow.upsert(area)
    for area in areas:
        if area.parent_code:
            uow.relate(PartOf(start=area.ref, end=NodeRef(Area.LABEL, area.parent_code)))
    return areas


def household(*, village: str = VILLAGE, **overrides: Any) -> Household:
    values: dict[str, Any] = {"id": new_id(), "village_code": village, "created_at": T0, "updated_at": T0}
    return Household(**(values | overrides))


def person(household_id: str, **overrides: Any) -> Person:
    values: dict[str, Any] = {
        "id": new_id(),
        "household_id": household_id,
        "name": "王秀英",
        "created_at": T0,
        "updated_at": T0,
    }
    return Person(**(values | overrides))


def make_household(
    uow: UnitOfWork, *, village: str = VILLAGE, members: int = 2, **overrides: Any
) -> tuple[Household, list[Person]]:
    """A household living in `village` with `members` people (the first is the head)."""
    h = household(village=village, member_count=members, **overrides)
    people = [
        person(
            h.id, name=f"成员{i}", relation_to_head=RelationToHead.HEAD if i == 0 else RelationToHead.CHILD
        )
        for i in range(members)
    ]
    uow.upsert(h)
    uow.relate(LivesIn(start=h.ref, end=NodeRef(Area.LABEL, village)))
    for p in people:
        uow.upsert(p)
        uow.relate(MemberOf(start=p.ref, end=h.ref, relation_to_head=p.relation_to_head))
    return h, people
