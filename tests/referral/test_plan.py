"""The one-household plan: qualifying policies (received ones marked, 就高不就低), matched services per
open need, stored as Plan + PLAN_ITEM, regenerated only when the household's version moved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from graph.model import AuditEntry, HasNeed, Household, Need, Plan, Receives, Resource, new_id
from graph.model.enums import NeedChannel, NeedType, ResourceKind, Role, TargetGroup, Urgency
from graph.sqlite.store import SqliteStore
from graph.store import GraphStore, UnitOfWork, where
from referral.access.policy import Policy, Principal
from referral.matching.plan import household_plan
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


def test_plan_outside_scope_is_not_found(store: GraphStore) -> None:
    from graph.errors import NodeNotFound

    ids = store.run(seed)
    with pytest.raises(NodeNotFound):
        store.run(lambda uow: household_plan(uow, policy(OTHER_VILLAGE), ids["household"]))
