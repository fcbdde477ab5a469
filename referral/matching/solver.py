"""The batch assignment as a min-cost flow (OR-Tools `SimpleMinCostFlow`), exact and global.

The network (decision 0007):

    source -> need (cap 1) -+-> resource (cost a(n) + b(h, r))                         -> sink (cap: capacity)
                            +-> group (h, g) in -> out (cap 1) -> resource (cost b(h, r)) ^
                            +-> sink: unmet (cap 1, cost UNMET_COST)

`a(n)` is the need's cost part (urgency, risk) and `b(h, r)` the household-resource part (distance,
provider load), see scoring.py. A resource with a stacking group is reached only through the node of
(household, group), whose capacity 1 keeps a household from getting two benefits of one group in a
batch (groups already received are excluded by eligibility). The cost of the need's arc into the
group node is `a(n)`, and the group node's arc to the resource costs `b(h, r)`.

A flow path need -> group node -> resource only means "this need gets this resource" when every need
entering a group node may use every resource leaving it. So, per (household, group), only the needs
whose eligible resources in the group (and their costs) equal those of the lead need (the most urgent,
then the first) keep their arcs into the group; the others lose that group in this batch (reported as
`stacking`: a household uses one benefit of a group anyway). With that, the network is exact: its
minimum-cost maximum flow is the optimal assignment, and `to_networkx` gives networkx the same graph.
A resource without a capacity limit gets the number of needs.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]

from referral.matching.scoring import UNMET_COST

SOURCE, SINK = 0, 1


@dataclass(frozen=True, slots=True)
class Problem:
    """Needs, resources and eligible (need, resource) arcs, by index.

    `arc_cost` is the pair part b(h, r) of each arc; the need part is `need_cost`.
    """

    need_household: Sequence[int]
    need_cost: Sequence[int]
    capacity: Sequence[int | None]
    group: Sequence[int | None]  # stacking group id of each resource
    arc_need: Sequence[int]
    arc_resource: Sequence[int]
    arc_cost: Sequence[int]
    unmet_cost: int = UNMET_COST


@dataclass(slots=True)
class Network:
    """The flow network as arrays, and what its arcs stand for."""

    nodes: int
    supply: int
    tails: list[int] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    capacities: list[int] = field(default_factory=list)
    costs: list[int] = field(default_factory=list)
    direct: dict[int, tuple[int, int]] = field(default_factory=dict)  # arc -> (need, resource)
    into_group: dict[int, tuple[int, int]] = field(default_factory=dict)  # arc -> (need, group node)
    out_of_group: dict[int, tuple[int, int]] = field(default_factory=dict)  # arc -> (group node, resource)
    unmet: dict[int, int] = field(default_factory=dict)  # arc -> need
    dropped: dict[int, set[int]] = field(default_factory=dict)  # need -> groups it lost (see module doc)

    def add(self, tail: int, head: int, capacity: int, cost: int) -> int:
        self.tails.append(tail)
        self.heads.append(head)
        self.capacities.append(capacity)
        self.costs.append(cost)
        return len(self.tails) - 1


@dataclass(frozen=True, slots=True)
class Solution:
    assigned: dict[int, int]  # need -> resource
    unmet: list[int]
    total_cost: int
    arc_cost: dict[int, int]  # need -> cost of its assignment (a + b)
    dropped: dict[int, set[int]]
    seconds: float  # the whole call: building the network, solving, reading the flows
    solve_seconds: float  # OR-Tools alone


def _kept_group_arcs(
    problem: Problem,
) -> tuple[dict[tuple[int, int], dict[int, list[int]]], dict[int, set[int]]]:
    """Per (household, group): the needs keeping their arcs into it (need -> arc indices), and drops."""
    by_need_group: dict[tuple[int, int], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, (n, r) in enumerate(zip(problem.arc_need, problem.arc_resource, strict=True)):
        g = problem.group[r]
        if g is not None:
            by_need_group[(problem.need_household[n], g)][n].append(i)
    dropped: dict[int, set[int]] = {}
    kept: dict[tuple[int, int], dict[int, list[int]]] = {}
    for key, needs in by_need_group.items():
        if len(needs) == 1:
            kept[key] = needs
            continue
        lead = min(needs, key=lambda n: (problem.need_cost[n], n))

        def signature(arcs: list[int]) -> frozenset[tuple[int, int]]:
            return frozenset((problem.arc_resource[i], problem.arc_cost[i]) for i in arcs)

        lead_signature = signature(needs[lead])
        kept[key] = {}
        for n, arcs in needs.items():
            if signature(arcs) == lead_signature:
                kept[key][n] = arcs
            else:
                dropped.setdefault(n, set()).add(key[1])
    return kept, dropped


def build_network(problem: Problem) -> Network:
    """The flow network of a problem (both solvers read this one graph)."""
    n_needs, n_resources = len(problem.need_cost), len(problem.capacity)
    need_node = 2
    resource_node = need_node + n_needs
    group_node = resource_node + n_resources
    kept, dropped = _kept_group_arcs(problem)
    net = Network(nodes=group_node + 2 * len(kept), supply=n_needs, dropped=dropped)
    for n in range(n_needs):
        net.add(SOURCE, need_node + n, 1, 0)
        net.unmet[net.add(need_node + n, SINK, 1, problem.unmet_cost)] = n
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


def solve(problem: Problem) -> Solution:
    """The optimal assignment: every need assigned or unmet, at the least total cost."""
    started = time.perf_counter()
    net = build_network(problem)
    flow = min_cost_flow.SimpleMinCostFlow()
    if net.tails:
        flow.add_arcs_with_capacity_and_unit_cost(
            np.asarray(net.tails, dtype=np.int32),
            np.asarray(net.heads, dtype=np.int32),
            np.asarray(net.capacities, dtype=np.int64),
            np.asarray(net.costs, dtype=np.int64),
        )
    flow.set_node_supply(SOURCE, net.supply)
    flow.set_node_supply(SINK, -net.supply)
    for node in range(2, net.nodes):  # make every node known to the solver
        flow.set_node_supply(node, 0)
    solving = time.perf_counter()
    status = flow.solve()
    solve_seconds = time.perf_counter() - solving
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not solve: {status}")
    flows = flow.flows(np.arange(len(net.tails), dtype=np.int32)) if net.tails else np.zeros(0)
    assigned, arc_cost = _decode(problem, net, flows)
    unmet = [n for n in range(len(problem.need_cost)) if n not in assigned]
    return Solution(
        assigned=assigned,
        unmet=unmet,
        total_cost=int(flow.optimal_cost()),
        arc_cost=arc_cost,
        dropped=net.dropped,
        seconds=time.perf_counter() - started,
        solve_seconds=solve_seconds,
    )


def _decode(problem: Problem, net: Network, flows: Any) -> tuple[dict[int, int], dict[int, int]]:
    assigned: dict[int, int] = {}
    cost: dict[int, int] = {}
    entered: dict[int, int] = {}  # group node -> need
    left: dict[int, tuple[int, int]] = {}  # group node -> (resource, cost)
    for arc in np.flatnonzero(flows).tolist():
        if arc in net.direct:
            n, r = net.direct[arc]
            assigned[n], cost[n] = r, net.costs[arc]
        elif arc in net.into_group:
            n, node = net.into_group[arc]
            entered[node] = n
        elif arc in net.out_of_group:
            node, r = net.out_of_group[arc]
            left[node] = (r, net.costs[arc])
    for node, n in entered.items():
        r, pair = left[node]
        assigned[n], cost[n] = r, problem.need_cost[n] + pair
    return assigned, cost


def to_networkx(net: Network) -> Any:
    """The same network as a networkx DiGraph (for `networkx.max_flow_min_cost`): source 0, sink 1."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(range(net.nodes))
    for tail, head, capacity, cost in zip(net.tails, net.heads, net.capacities, net.costs, strict=True):
        graph.add_edge(tail, head, capacity=capacity, weight=cost)
    return graph


def networkx_cost(net: Network) -> int:
    """The optimum networkx finds on the same network (its min-cost maximum flow)."""
    import networkx as nx

    graph = to_networkx(net)
    flow = nx.max_flow_min_cost(graph, SOURCE, SINK)
    return int(nx.cost_of_flow(graph, flow))


def greedy(problem: Problem) -> tuple[dict[int, int], int]:
    """A baseline: the most urgent needs first, each takes its cheapest arc with room left."""
    net_dropped = _kept_group_arcs(problem)[1]
    arcs: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(problem.arc_need):
        arcs[n].append(i)
    left = [len(problem.need_cost) if c is None else c for c in problem.capacity]
    used_groups: set[tuple[int, int]] = set()
    assigned: dict[int, int] = {}
    total = 0
    for n in sorted(range(len(problem.need_cost)), key=lambda n: (problem.need_cost[n], n)):
        best: tuple[int, int] | None = None
        for i in arcs.get(n, ()):
            r, g = problem.arc_resource[i], problem.group[problem.arc_resource[i]]
            if left[r] <= 0 or (g is not None and (problem.need_household[n], g) in used_groups):
                continue
            if g is not None and g in net_dropped.get(n, set()):
                continue
            if best is None or problem.arc_cost[i] < best[1]:
                best = (r, problem.arc_cost[i])
        if best is None:
            total += problem.unmet_cost
            continue
        r, cost = best
        assigned[n] = r
        left[r] -= 1
        if problem.group[r] is not None:
            used_groups.add((problem.need_household[n], problem.group[r]))  # type: ignore[arg-type]
        total += problem.need_cost[n] + cost
    return assigned, total
