"""The one-household plan: qualifying policies (received ones marked, 就高不就低), matched services per
open need, stored as Plan + PLAN_ITEM, regenerated only when the household's version or its open needs
(added, changed or closed) moved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph.model import AuditEntry, HasNeed, Household, Need, Plan, Receives, Resource, new_id
from graph.model.enums import NeedChannel, NeedStatus, NeedType, ResourceKind, Role, TargetGroup, Urgency
from graph.sqlite.store import SqliteStore
from graph.store import GraphStore, UnitOfWork, where
from referral.access.policy import Policy, Principal
from referral.matching.plan import household_plan, is_current, need_versions
from tests.builders import COUNTY, OTHER_VILLAGE, T0, make_areas, make_household

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def res(code: str, kind: ResourceKind = ResourceKind.POLICY, **overrides: Any) -> Resource:
    values: dict[str, Any] = {
        "id": new_id(),
        "code": code,
        "kind": kind,
        "name": code,
        "need_types": [NeedType.MEDICAL],
        "created_at": T0,
    }
    return Resource(**(values | overrides))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GraphStore]:
    s = SqliteStore(tmp_path / "plan.db", create=True)
    s.ensure_schema()
    yield s
    s.close()


def policy(area: str = COUNTY) -> Policy:
    return Policy(Principal("u1", "sw", frozenset({Role.SOCIAL_WORKER}), (area,)), NOW)


def seed(uow: UnitOfWork) -> dict[str, str]:
    make_areas(uow)
    household, _members = make_household(uow, categories=[TargetGroup.DIBAO], urban=False)
    ids: dict[str, str] = {"household": household.id}
    resources = [
        res(
            "DIBAO-RURAL",
            need_types=[NeedType.BASIC_LIVING],
            target_groups=[TargetGroup.DIBAO],
            stacking_group="basic_living",
            benefit_amount_fen=52100,
        ),
        res(
            "DIBAO-URBAN",
            need_types=[NeedType.BASIC_LIVING],
            target_groups=[TargetGroup.DIBAO],
            stacking_group="basic_living",
            benefit_amount_fen=71400,
        ),
        res("MA-MONITOR", target_groups=[TargetGroup.EDGE_AT_RISK], stacking_group="ma", benefit_rate_pct=60),
        res("MA-DIBAO", target_groups=[TargetGroup.DIBAO], stacking_group="ma", benefit_rate_pct=75),
        res("SVC-NEAR", ResourceKind.SERVICE, capacity=3),
        res("SVC-FAR", ResourceKind.SERVICE, capacity=3, service_area_codes=[OTHER_VILLAGE]),
    ]
    for r in resources:
        uow.upsert(r)
        ids[r.code] = r.id
    uow.relate(Receives(start=household.ref, end=resources[0].ref, since=date(2026, 1, 1)))
    need = Need(
        id=new_id(),
        household_id=household.id,
        village_code=household.village_code,
        type=NeedType.MEDICAL,
        urgency=Urgency.URGENT,
        channel=NeedChannel.HOME_VISIT,
        reported_by="t",
        created_at=T0,
        updated_at=T0,
    )
    uow.create(need)
    uow.relate(HasNeed(start=household.ref, end=need.ref))
    ids["need"] = need.id
    return ids


def test_plan_contents(store: GraphStore) -> None:
    ids = store.run(seed)
    plan = store.run(lambda uow: household_plan(uow, policy(), ids["household"]))
    policies = {p.resource.code: p for p in plan.policies}
    assert set(policies) == {"DIBAO-RURAL", "MA-DIBAO"}  # urban variant and other groups' terms left out
    assert policies["DIBAO-RURAL"].received and not policies["MA-DIBAO"].received
    assert policies["MA-DIBAO"].need_ids == [ids["need"]]
    assert [s.resource.code for s in plan.services] == ["SVC-NEAR"]  # the far one is out of its area
    assert plan.services[0].need_ids == [ids["need"]] and plan.services[0].score
    assert plan.open_needs == [ids["need"]] and plan.regenerated


def test_plan_stored_and_regenerated_when_stale(store: GraphStore) -> None:
    ids = store.run(seed)
    first = store.run(lambda uow: household_plan(uow, policy(), ids["household"]))
    same = store.run(lambda uow: household_plan(uow, policy(), ids["household"]))
    assert same.id == first.id and not same.regenerated
    assert [p.resource.code for p in same.policies] == [p.resource.code for p in first.policies]

    def bump(uow: UnitOfWork) -> None:
        h = uow.require(Household, ids["household"])
        assert uow.update_if(h.model_copy(update={"version": h.version + 1}), {"version": h.version})

    store.run(bump)
    fresh = store.run(lambda uow: household_plan(uow, policy(), ids["household"]))
    assert fresh.id != first.id and fresh.household_version == first.household_version + 1
    forced = store.run(lambda uow: household_plan(uow, policy(), ids["household"], force=True))
    assert forced.id != fresh.id
    plans = store.run(lambda uow: uow.find(Plan, where(household_id=ids["household"])), write=False)
    assert len(plans) == 3
    entries = store.run(lambda uow: uow.find(AuditEntry, where(action="generate_plan")), write=False)
    assert sorted(e.object_id for e in entries) == sorted(p.id for p in plans)


def _add_need(uow: UnitOfWork, household_id: str, kind: NeedType) -> str:
    household = uow.require(Household, household_id)
    need = Need(
        id=new_id(),
        household_id=household.id,
        village_code=household.village_code,
        type=kind,
        urgency=Urgency.GENERAL,
        channel=NeedChannel.HOME_VISIT,
        reported_by="t",
        created_at=T0 + timedelta(days=1),  # after the seeded need
        updated_at=T0 + timedelta(days=1),
    )
    uow.create(need)
    uow.relate(HasNeed(start=household.ref, end=need.ref))
    return need.id


def _change_need(store: GraphStore, need_id: str, **update: Any) -> None:
    def write(uow: UnitOfWork) -> None:
        need = uow.require(Need, need_id)
        moved = need.model_copy(update={**update, "version": need.version + 1})
        assert uow.update_if(moved, {"version": need.version})

    store.run(write)


def test_plan_follows_the_open_needs(store: GraphStore) -> None:
    """A new need, a changed one and a closed one each make the stored plan stale; nothing else does."""
    ids = store.run(seed)
    hid = ids["household"]
    store.run(lambda uow: uow.upsert(res("SVC-CARE", ResourceKind.SERVICE, need_types=[NeedType.CARE])))
    first = store.run(lambda uow: household_plan(uow, policy(), hid))
    assert "SVC-CARE" not in {s.resource.code for s in first.services}  # no care need yet
    assert store.run(lambda uow: household_plan(uow, policy(), hid)).id == first.id

    care = store.run(lambda uow: _add_need(uow, hid, NeedType.CARE))
    added = store.run(lambda uow: household_plan(uow, policy(), hid))
    assert added.regenerated and added.household_version == first.household_version
    assert added.open_needs == [ids["need"], care]
    assert [s.need_ids for s in added.services if s.resource.code == "SVC-CARE"] == [[care]]
    stored = store.run(lambda uow: uow.require(Plan, added.id), write=False)
    assert stored.open_need_versions == sorted([f"{ids['need']}:1", f"{care}:1"])
    assert store.run(lambda uow: household_plan(uow, policy(), hid)).id == added.id

    _change_need(store, care, urgency=Urgency.URGENT)  # reported again, more urgent
    raised = store.run(lambda uow: household_plan(uow, policy(), hid))
    assert raised.regenerated and raised.id != added.id

    _change_need(store, care, status=NeedStatus.MET)
    closed = store.run(lambda uow: household_plan(uow, policy(), hid))
    assert closed.regenerated and closed.open_needs == [ids["need"]]
    assert "SVC-CARE" not in {s.resource.code for s in closed.services}


def test_a_plan_is_current_only_for_the_same_household_and_open_needs() -> None:
    need = Need(
        id="N1",
        household_id="H1",
        village_code="360783100001",
        type=NeedType.CARE,
        urgency=Urgency.GENERAL,
        channel=NeedChannel.HOME_VISIT,
        reported_by="t",
        created_at=T0,
        updated_at=T0,
        version=2,
    )
    plan = Plan(
        id="P1",
        household_id="H1",
        household_version=3,
        open_need_versions=["N1:2"],
        generated_at=T0,
        generated_by="t",
    )
    household = Household.model_construct(
        id="H1", village_code="360783100001", version=3, created_at=T0, updated_at=T0
    )
    assert need_versions([need]) == ["N1:2"] and is_current(plan, household, [need])
    assert not is_current(plan, household.model_copy(update={"version": 4}), [need])
    assert not is_current(plan, household, [need.model_copy(update={"version": 3})])
    assert not is_current(plan, household, [])
    assert not is_current(plan.model_copy(update={"open_need_versions": []}), household, [need])


def test_plan_outside_scope_is_not_found(store: GraphStore) -> None:
    from graph.errors import NodeNotFound

    ids = store.run(seed)
    with pytest.raises(NodeNotFound):
        store.run(lambda uow: household_plan(uow, policy(OTHER_VILLAGE), ids["household"]))
