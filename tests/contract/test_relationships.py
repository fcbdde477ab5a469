"""Contract: relationships, neighbours, variable-length paths and the networkx export."""

from __future__ import annotations

import itertools

import pytest

from graph.errors import ConstraintViolation, InvalidQuery
from graph.model import (
    AllianceBody,
    AssignedTo,
    FirstHop,
    KinOf,
    MemberOf,
    NextHop,
    NodeRef,
    Organisation,
    Referral,
    ReferralHop,
    SentBy,
    new_id,
)
from graph.model.enums import AllianceLevel, HopStatus, KinRelation, OrganisationKind, RelationToHead
from graph.store import Direction, GraphStore
from tests.builders import COUNTY, T0, TOWNSHIP, VILLAGE, make_areas, make_household


@pytest.fixture
def family(store: GraphStore) -> tuple[str, list[str]]:
    with store.unit_of_work() as uow:
        make_areas(uow)
        h, people = make_household(uow, members=3)
        uow.commit()
    return h.id, [p.id for p in people]


def test_household_area_path_runs_up_to_the_county(store: GraphStore, family: tuple[str, list[str]]) -> None:
    hid, _ = family
    with store.unit_of_work(write=False) as uow:
        paths = uow.paths(NodeRef("Household", hid), ["LIVES_IN", "PART_OF"], max_depth=6)
    assert [[n.key for n in p.nodes] for p in paths] == [
        [hid, VILLAGE],
        [hid, VILLAGE, TOWNSHIP],
        [hid, VILLAGE, TOWNSHIP, COUNTY],
    ]
    longest = paths[-1]
    assert [r.TYPE for r in longest.rels] == ["LIVES_IN", "PART_OF", "PART_OF"]
    assert longest.rels[0].start == NodeRef("Household", hid)


def test_paths_respect_depth_bounds_and_end_label(store: GraphStore, family: tuple[str, list[str]]) -> None:
    _, people = family
    start = NodeRef("Person", people[0])
    with store.unit_of_work(write=False) as uow:
        exact = uow.paths(start, ["MEMBER_OF", "LIVES_IN", "PART_OF"], min_depth=3, max_depth=3)
        to_area = uow.paths(start, ["MEMBER_OF", "LIVES_IN", "PART_OF"], max_depth=9, end_label="Area")
        with_start = uow.paths(start, ["MEMBER_OF"], min_depth=0, max_depth=1)
    assert [p.end.key for p in exact] == [TOWNSHIP]
    assert [p.end.key for p in to_area] == [VILLAGE, TOWNSHIP, COUNTY]
    assert [len(p) for p in with_start] == [0, 1]


def test_incoming_paths_find_all_members_of_a_village(
    store: GraphStore, family: tuple[str, list[str]]
) -> None:
    _, people = family
    with store.unit_of_work(write=False) as uow:
        paths = uow.paths(NodeRef("Area", VILLAGE), ["LIVES_IN", "MEMBER_OF"], Direction.IN, 2, 2)
    assert sorted(p.end.key for p in paths) == sorted(people)


def test_referral_chain_follows_hops_in_order(store: GraphStore) -> None:
    ref = Referral(id=new_id(), need_id=new_id(), household_id=new_id(), created_by="u1", created_at=T0)
    hops = [
        ReferralHop(id=new_id(), referral_id=ref.id, seq=i + 1, status=s, created_at=T0, updated_at=T0)
        for i, s in enumerate([HopStatus.COMPLETED, HopStatus.ACCEPTED, HopStatus.REQUESTED])
    ]
    with store.unit_of_work() as uow:
        uow.upsert(ref)
        for hop in hops:
            uow.upsert(hop)
        uow.relate(FirstHop(start=ref.ref, end=hops[0].ref))
        for a, b in itertools.pairwise(hops):
            uow.relate(NextHop(start=a.ref, end=b.ref))
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        chain = uow.paths(ref.ref, ["FIRST_HOP", "NEXT_HOP"], max_depth=12)[-1]
    assert [n.key for n in chain.nodes[1:]] == [h.id for h in hops]
    assert [n.status for n in chain.nodes[1:] if isinstance(n, ReferralHop)] == [h.status for h in hops]


def test_paths_never_reuse_a_relationship(store: GraphStore) -> None:
    """A kinship triangle walked both ways: each path uses each tie at most once (as Cypher does)."""
    with store.unit_of_work() as uow:
        make_areas(uow)
        _, people = make_household(uow, members=3)
        a, b, c = (NodeRef("Person", p.id) for p in people)
        for x, y in ((a, b), (b, c), (c, a)):
            uow.relate(KinOf(start=x, end=y, relation=KinRelation.SIBLING))
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        paths = uow.paths(a, ["KIN_OF"], Direction.BOTH, 1, 5)
    assert sorted(len(p) for p in paths) == [1, 1, 2, 2, 3, 3]
    for p in paths:
        used = [(r.start, r.end) for r in p.rels]
        assert len(used) == len(set(used))


def test_neighbours_by_type_direction_and_label(store: GraphStore, family: tuple[str, list[str]]) -> None:
    hid, people = family
    hh = NodeRef("Household", hid)
    with store.unit_of_work(write=False) as uow:
        members = uow.neighbours(hh, ["MEMBER_OF"], Direction.IN)
        out = uow.neighbours(hh, ["LIVES_IN", "MEMBER_OF"], Direction.OUT)
        both = uow.neighbours(hh, ["LIVES_IN", "MEMBER_OF"], Direction.BOTH)
        only_people = uow.neighbours(hh, ["LIVES_IN", "MEMBER_OF"], Direction.BOTH, label="Person")
    assert sorted(nb.node.key for nb in members) == sorted(people)
    assert all(isinstance(nb.rel, MemberOf) and nb.rel.end == hh for nb in members)
    assert {nb.rel.relation_to_head for nb in members if isinstance(nb.rel, MemberOf)} == {
        RelationToHead.HEAD,
        RelationToHead.CHILD,
    }
    assert [nb.node.key for nb in out] == [VILLAGE]
    assert len(both) == 4
    assert len(only_people) == 3


def test_neighbours_many_is_neighbours_of_each_node_at_once(
    store: GraphStore, family: tuple[str, list[str]]
) -> None:
    """A chain of three hops: sent by the county body, then the township body, then (hop 3) by nobody."""
    hid, people = family
    county = AllianceBody(
        id=new_id(), level=AllianceLevel.COUNTY, area_code=COUNTY, name="龙南市助联体", created_at=T0
    )
    township = AllianceBody(
        id=new_id(), level=AllianceLevel.TOWNSHIP, area_code=TOWNSHIP, name="龙南镇助联体", created_at=T0
    )
    provider = Organisation(
        id=new_id(), kind=OrganisationKind.CHARITY, name="龙南慈善会", home_area_code=COUNTY, created_at=T0
    )
    hops = [
        ReferralHop(
            id=new_id(), referral_id="r", seq=i, status=HopStatus.REQUESTED, created_at=T0, updated_at=T0
        )
        for i in (1, 2, 3)
    ]
    with store.unit_of_work() as uow:
        for node in (county, township, provider, *hops):
            uow.upsert(node)
        uow.relate(SentBy(start=hops[0].ref, end=county.ref))
        uow.relate(AssignedTo(start=hops[0].ref, end=township.ref))
        uow.relate(SentBy(start=hops[1].ref, end=township.ref))
        uow.relate(AssignedTo(start=hops[1].ref, end=provider.ref))
        uow.commit()
    hop_refs = [h.ref for h in hops]
    missing = NodeRef("ReferralHop", "no-such-hop")
    mixed = [NodeRef("Household", hid), *(NodeRef("Person", p) for p in people), NodeRef("Area", VILLAGE)]
    parties = [county.ref, township.ref, provider.ref]
    with store.unit_of_work(write=False) as uow:
        senders = uow.neighbours_many([*hop_refs, hop_refs[0], missing], ["SENT_BY"])
        assert {ref: [nb.node.key for nb in found] for ref, found in senders.items()} == {
            hops[0].ref: [county.id],
            hops[1].ref: [township.id],
            hops[2].ref: [],
            missing: [],
        }
        assert isinstance(senders[hops[0].ref][0].rel, SentBy)
        assert senders[hops[0].ref][0].rel.start == hops[0].ref
        cases = [
            (hop_refs, ["SENT_BY", "ASSIGNED_TO"], Direction.OUT, None),
            (hop_refs, ["SENT_BY", "ASSIGNED_TO"], Direction.OUT, "Organisation"),
            (parties, ["SENT_BY", "ASSIGNED_TO"], Direction.IN, None),
            (parties + hop_refs, ["SENT_BY", "ASSIGNED_TO"], Direction.BOTH, None),
            (mixed, ["MEMBER_OF", "LIVES_IN", "PART_OF"], Direction.BOTH, None),
            (mixed, ["MEMBER_OF", "LIVES_IN", "PART_OF"], Direction.IN, "Person"),
        ]
        for refs, types, direction, label in cases:
            each = {ref: uow.neighbours(ref, types, direction, label) for ref in refs}
            assert uow.neighbours_many(refs, types, direction, label) == each, (types, direction, label)
        assert uow.neighbours_many([], ["SENT_BY"]) == {}
        with pytest.raises(InvalidQuery):
            uow.neighbours_many(hop_refs, ["SENT_BY]->(x) DETACH DELETE x //"])
        with pytest.raises(InvalidQuery):
            uow.neighbours_many([NodeRef("Hop", "x")], ["SENT_BY"])


def test_relate_to_a_missing_node_is_a_constraint_violation(store: GraphStore) -> None:
    hop = ReferralHop(
        id=new_id(), referral_id="r", seq=1, status=HopStatus.REQUESTED, created_at=T0, updated_at=T0
    )
    store.run(lambda uow: uow.upsert(hop))
    with pytest.raises(ConstraintViolation, match="endpoint"):
        store.run(lambda uow: uow.relate(AssignedTo(start=hop.ref, end=NodeRef("AllianceBody", "none"))))
    assert store.run(lambda uow: list(uow.iter_rels(["ASSIGNED_TO"])), write=False) == []


def test_relate_twice_updates_and_unrelate_removes(store: GraphStore, family: tuple[str, list[str]]) -> None:
    hid, people = family
    rel = MemberOf(
        start=NodeRef("Person", people[1]),
        end=NodeRef("Household", hid),
        relation_to_head=RelationToHead.SPOUSE,
    )
    store.run(lambda uow: uow.relate(rel))
    with store.unit_of_work(write=False) as uow:
        rels = [r for r in uow.iter_rels(["MEMBER_OF"]) if r.start == rel.start]
    assert rels == [rel]
    assert store.run(lambda uow: uow.unrelate("MEMBER_OF", rel.start, rel.end)) is True
    assert store.run(lambda uow: uow.unrelate("MEMBER_OF", rel.start, rel.end)) is False


def test_relationship_endpoints_are_checked_by_the_model() -> None:
    with pytest.raises(ValueError, match="cannot join"):
        MemberOf(start=NodeRef("Household", "h"), end=NodeRef("Person", "p"))


def test_unknown_relationship_type_and_bad_depth_are_rejected(store: GraphStore) -> None:
    with store.unit_of_work(write=False) as uow:
        with pytest.raises(InvalidQuery):
            uow.neighbours(NodeRef("Household", "h"), ["LIVES_IN]->(x) DETACH DELETE x //"])
        with pytest.raises(InvalidQuery):
            uow.paths(NodeRef("Household", "h"), ["LIVES_IN"], max_depth=99)


def test_networkx_export_of_labels_and_of_a_neighbourhood(
    store: GraphStore, family: tuple[str, list[str]]
) -> None:
    hid, people = family
    body = AllianceBody(
        id=new_id(), level=AllianceLevel.VILLAGE, area_code=VILLAGE, name="金塘村助联体", created_at=T0
    )
    store.run(lambda uow: uow.upsert(body))
    with store.unit_of_work(write=False) as uow:
        areas = uow.to_networkx(labels=["Area"], rel_types=["PART_OF"])
        around = uow.to_networkx(around=NodeRef("Household", hid), depth=1)
        everything = uow.to_networkx()
    assert areas.number_of_nodes() == 5 and areas.number_of_edges() == 4
    assert areas.nodes[f"Area:{VILLAGE}"]["name"] == "金塘村委会"
    assert set(around.nodes) == {f"Household:{hid}", f"Area:{VILLAGE}", *(f"Person:{p}" for p in people)}
    assert around.number_of_edges() == 4
    assert f"AllianceBody:{body.id}" in everything
    assert everything.number_of_nodes() == 10
