"""The network built with numpy is the one the module doc describes, arc for arc: a plain-Python
builder written from that description (the solver's previous code) gives the same arrays, and solving
its network gives the same assignment, costs, unmet needs and dropped groups, in the same order."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.graph.python import min_cost_flow

from referral.matching.solver import SINK, SOURCE, Problem, build_network, solve


@dataclass
class Reference:
    nodes: int
    tails: list[int] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    capacities: list[int] = field(default_factory=list)
    costs: list[int] = field(default_factory=list)
    direct: dict[int, tuple[int, int]] = field(default_factory=dict)  # arc -> (need, resource)
    into_group: dict[int, tuple[int, int]] = field(default_factory=dict)  # arc -> (need, group node)
    out_of_group: dict[int, tuple[int, int]] = field(default_factory=dict)  # arc -> (group node, resource)
    dropped: dict[int, set[int]] = field(default_factory=dict)

    def add(self, tail: int, head: int, capacity: int, cost: int) -> int:
        self.tails.append(tail)
        self.heads.append(head)
        self.capacities.append(capacity)
        self.costs.append(cost)
        return len(self.tails) - 1


def reference_network(problem: Problem) -> Reference:
    """The network, one arc at a time, as the solver module doc describes it."""
    by_key: dict[tuple[int, int], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, (n, r) in enumerate(zip(problem.arc_need, problem.arc_resource, strict=True)):
        g = problem.group[r]
        if g is not None:
            by_key[(problem.need_household[n], g)][n].append(i)
    dropped: dict[int, set[int]] = {}
    kept: dict[tuple[int, int], dict[int, list[int]]] = {}
    for key, needs in by_key.items():
        lead = min(needs, key=lambda n: (problem.need_cost[n], n))

        def signature(arcs: list[int]) -> frozenset[tuple[int, int]]:
            return frozenset((problem.arc_resource[i], problem.arc_cost[i]) for i in arcs)

        kept[key] = {}
        for n, arcs in needs.items():
            if signature(arcs) == signature(needs[lead]):
                kept[key][n] = arcs
            else:
                dropped.setdefault(n, set()).add(key[1])
    n_needs, n_resources = len(problem.need_cost), len(problem.capacity)
    need_node, resource_node = 2, 2 + n_needs
    group_node = resource_node + n_resources
    net = Reference(nodes=group_node + 2 * len(kept), dropped=dropped)
    for n in range(n_needs):
        net.add(SOURCE, need_node + n, 1, 0)
        net.add(need_node + n, SINK, 1, problem.unmet_cost)
    for i, (n, r) in enumerate(zip(problem.arc_need, problem.arc_resource, strict=True)):
        if problem.group[r] is None:
            arc = net.add(need_node + n, resource_node + r, 1, problem.need_cost[n] + problem.arc_cost[i])
            net.direct[arc] = (n, r)
    for k, needs in enumerate(kept.values()):
        inside, outside = group_node + 2 * k, group_node + 2 * k + 1
        net.add(inside, outside, 1, 0)
        resources: dict[int, int] = {}
        for n, arcs in needs.items():
            net.into_group[net.add(need_node + n, inside, 1, problem.need_cost[n])] = (n, inside)
            for i in arcs:
                resources[problem.arc_resource[i]] = problem.arc_cost[i]
        for r, cost in sorted(resources.items()):
            net.out_of_group[net.add(outside, resource_node + r, 1, cost)] = (inside, r)
    for r, capacity in enumerate(problem.capacity):
        net.add(resource_node + r, SINK, n_needs if capacity is None else min(capacity, n_needs), 0)
    return net


def reference_solve(problem: Problem) -> tuple[list[tuple[int, int]], list[tuple[int, int]], int]:
    """Solve the reference network and read it arc by arc: (need, resource), (need, cost), total."""
    net = reference_network(problem)
    flow = min_cost_flow.SimpleMinCostFlow()
    for arc in zip(net.tails, net.heads, net.capacities, net.costs, strict=True):
        flow.add_arc_with_capacity_and_unit_cost(*arc)
    for node in range(net.nodes):
        flow.set_node_supply(node, 0)
    flow.set_node_supply(SOURCE, len(problem.need_cost))
    flow.set_node_supply(SINK, -len(problem.need_cost))
    assert flow.solve() == flow.OPTIMAL
    assigned: list[tuple[int, int]] = []
    cost: list[tuple[int, int]] = []
    entered: dict[int, int] = {}
    left: dict[int, tuple[int, int]] = {}
    for arc in range(len(net.tails)):
        if flow.flow(arc) == 0:
            continue
        if arc in net.direct:
            n, r = net.direct[arc]
            assigned.append((n, r))
            cost.append((n, net.costs[arc]))
        elif arc in net.into_group:
            n, node = net.into_group[arc]
            entered[node] = n
        elif arc in net.out_of_group:
            node, r = net.out_of_group[arc]
            left[node] = (r, net.costs[arc])
    for node, n in entered.items():
        r, pair = left[node]
        assigned.append((n, r))
        cost.append((n, problem.need_cost[n] + pair))
    return assigned, cost, flow.optimal_cost()


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    """Small problems with many ties: few households, groups and cost values; arcs in any order."""
    needs = draw(st.integers(0, 12))
    resources = draw(st.integers(0, 6))
    households = draw(st.integers(1, 4))
    need_household = draw(st.lists(st.integers(0, households - 1), min_size=needs, max_size=needs))
    pair_costs = draw(st.booleans())  # cost by (household, resource), or any cost per arc
    arcs: list[tuple[int, int, int]] = []
    for n in range(needs):
        eligible = draw(st.sets(st.integers(0, resources - 1), max_size=resources)) if resources else set()
        for r in sorted(eligible):
            cost = (need_household[n] * 7 + r * 3) % 4 if pair_costs else draw(st.integers(0, 3))
            arcs.append((n, r, cost))
    arcs = draw(st.permutations(arcs))
    return Problem(
        need_household=need_household,
        need_cost=draw(st.lists(st.sampled_from([0, 15, 40]), min_size=needs, max_size=needs)),
        capacity=draw(st.lists(st.sampled_from([None, 0, 1, 2, 20]), min_size=resources, max_size=resources)),
        group=draw(st.lists(st.sampled_from([None, 0, 1, 5]), min_size=resources, max_size=resources)),
        arc_need=[n for n, _, _ in arcs],
        arc_resource=[r for _, r, _ in arcs],
        arc_cost=[c for _, _, c in arcs],
    )


def assert_same_network(problem: Problem) -> None:
    net, ref = build_network(problem), reference_network(problem)
    assert net.nodes == ref.nodes
    assert net.tails.tolist() == ref.tails
    assert net.heads.tolist() == ref.heads
    assert net.capacities.tolist() == ref.capacities
    assert net.costs.tolist() == ref.costs
    assert net.dropped == ref.dropped
    assert list(net.dropped) == list(ref.dropped)


def assert_same_solution(problem: Problem) -> None:
    solution = solve(problem)
    assigned, cost, total = reference_solve(problem)
    assert list(solution.assigned.items()) == assigned
    assert list(solution.arc_cost.items()) == cost
    assert solution.total_cost == total
    assert solution.unmet == [n for n in range(len(problem.need_cost)) if n not in dict(assigned)]
    assert solution.dropped == reference_network(problem).dropped


@settings(max_examples=300, deadline=None)
@given(problems())
def test_network_and_solution_match_the_description(problem: Problem) -> None:
    assert_same_network(problem)
    assert_same_solution(problem)


def test_larger_random_instances_match() -> None:
    for seed in range(3):
        rng = random.Random(seed)
        needs, resources, households = 600, 60, 450
        need_household = sorted(rng.randrange(households) for _ in range(needs))
        pair: dict[tuple[int, int], int] = {}
        arc_need, arc_resource, arc_cost = [], [], []
        for n in range(needs):
            for r in rng.sample(range(resources), k=rng.randint(0, 8)):
                arc_need.append(n)
                arc_resource.append(r)
                arc_cost.append(pair.setdefault((need_household[n], r), rng.randint(0, 300)))
        problem = Problem(
            need_household=need_household,
            need_cost=[rng.choice((0, 15, 30, 40, 55, 70)) for _ in range(needs)],
            capacity=[None if rng.random() < 0.1 else rng.randint(0, 5) for _ in range(resources)],
            group=[rng.randrange(4) if rng.random() < 0.4 else None for _ in range(resources)],
            arc_need=arc_need,
            arc_resource=arc_resource,
            arc_cost=arc_cost,
        )
        assert_same_network(problem)
        assert_same_solution(problem)
