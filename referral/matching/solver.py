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

The network is built with numpy, a whole column of arcs at a time (a Python loop per arc took as long
as OR-Tools itself on county-sized batches), in the same order and numbering as the plain description
above: source and unmet arc of each need, the direct arcs in the problem's order, then per (household,
group) in order of first appearance its in -> out arc, the kept needs' arcs into it and its arcs to
the resources (by resource), and last each resource's arc to the sink.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]

from referral.matching.scoring import UNMET_COST
from referral.matching.stacking import GroupArcs, Ints, group_arcs

SOURCE, SINK = 0, 1


@dataclass(frozen=True, slots=True)
class Problem:
    """Needs, resources and eligible (need, resource) arcs, by index.

    `arc_cost` is the pair part b(h, r) of each arc; the need part is `need_cost`. A (need, resource)
    pair occurs at most once.
    """

    need_household: Sequence[int]
    need_cost: Sequence[int]
    capacity: Sequence[int | None]
    group: Sequence[int | None]  # stacking group id of each resource
    arc_need: Sequence[int]
    arc_resource: Sequence[int]
    arc_cost: Sequence[int]
    unmet_cost: int = UNMET_COST


@dataclass(frozen=True, slots=True)
class Network:
    """The flow network as arrays (one entry per arc), and what its arcs stand for.

    Group node k is the pair of nodes (in, out) of the k-th (household, group) by first appearance.
    """

    nodes: int
    supply: int
    groups: int  # group nodes (household, group)
    tails: NDArray[np.int32]
    heads: NDArray[np.int32]
    capacities: Ints
    costs: Ints
    direct_arcs: Ints  # need -> resource
    direct_need: Ints
    direct_resource: Ints
    into_arcs: Ints  # need -> group node
    into_need: Ints
    into_group: Ints
    out_arcs: Ints  # group node -> resource
    out_group: Ints
    out_resource: Ints
    dropped: dict[int, set[int]]  # need -> groups it lost (see module doc)


@dataclass(frozen=True, slots=True)
class Solution:
    assigned: dict[int, int]  # need -> resource
    unmet: list[int]
    total_cost: int
    arc_cost: dict[int, int]  # need -> cost of its assignment (a + b)
    dropped: dict[int, set[int]]
    seconds: float  # the whole call: building the network, solving, reading the flows
    solve_seconds: float  # OR-Tools alone


@dataclass(frozen=True, slots=True)
class _Columns:
    """A problem's sequences as arrays; no group is -1, no capacity limit is the number of needs."""

    need_household: Ints
    need_cost: Ints
    capacity: Ints
    group: Ints
    arc_need: Ints
    arc_resource: Ints
    arc_cost: Ints

    @classmethod
    def of(cls, problem: Problem) -> _Columns:
        needs = len(problem.need_cost)
        return cls(
            need_household=_column(problem.need_household),
            need_cost=_column(problem.need_cost),
            capacity=_column([needs if c is None else min(c, needs) for c in problem.capacity]),
            group=_column([-1 if g is None else g for g in problem.group]),
            arc_need=_column(problem.arc_need),
            arc_resource=_column(problem.arc_resource),
            arc_cost=_column(problem.arc_cost),
        )

    def group_arcs(self) -> GroupArcs:
        return group_arcs(
            need_household=self.need_household,
            need_cost=self.need_cost,
            group=self.group,
            arc_need=self.arc_need,
            arc_resource=self.arc_resource,
            arc_cost=self.arc_cost,
        )


def _column(values: Sequence[int]) -> Ints:
    return np.fromiter(values, dtype=np.int64, count=len(values))  # faster than asarray on a list


def _rank_in_run(sorted_keys: Ints, keys: int) -> tuple[Ints, Ints]:
    """Per key, its count in a key-sorted array; per element, its position within its key's run."""
    count = np.bincount(sorted_keys, minlength=keys)
    first = np.cumsum(count) - count
    return count, np.arange(len(sorted_keys)) - first[sorted_keys]


def build_network(problem: Problem) -> Network:
    """The flow network of a problem (both solvers read this one graph)."""
    return _build(_Columns.of(problem), problem.unmet_cost)


def _build(cols: _Columns, unmet_cost: int) -> Network:
    n_needs, n_resources = len(cols.need_cost), len(cols.capacity)
    need_node = 2
    resource_node = need_node + n_needs
    group_node = resource_node + n_resources
    stacking = cols.group_arcs()
    kept_count, kept_rank = _rank_in_run(stacking.kept_key, stacking.keys)
    out_count, out_rank = _rank_in_run(stacking.out_key, stacking.keys)
    direct = np.flatnonzero(cols.group[cols.arc_resource] < 0)
    block = 1 + kept_count + out_count  # per key: in -> out, arcs into it, arcs out of it
    direct_start = 2 * n_needs
    group_start = direct_start + len(direct)
    block_start = group_start + np.cumsum(block) - block
    sink_start = group_start + int(block.sum())
    arcs = sink_start + n_resources

    tails = np.empty(arcs, dtype=np.int64)
    heads = np.empty(arcs, dtype=np.int64)
    capacities = np.ones(arcs, dtype=np.int64)
    costs = np.zeros(arcs, dtype=np.int64)
    needs = np.arange(n_needs, dtype=np.int64)
    tails[0:direct_start:2], heads[0:direct_start:2] = SOURCE, need_node + needs
    tails[1:direct_start:2], heads[1:direct_start:2] = need_node + needs, SINK
    costs[1:direct_start:2] = unmet_cost

    direct_arcs = np.arange(direct_start, group_start, dtype=np.int64)
    direct_need, direct_resource = cols.arc_need[direct], cols.arc_resource[direct]
    tails[direct_arcs], heads[direct_arcs] = need_node + direct_need, resource_node + direct_resource
    costs[direct_arcs] = cols.need_cost[direct_need] + cols.arc_cost[direct]

    inside = group_node + 2 * np.arange(stacking.keys, dtype=np.int64)
    tails[block_start], heads[block_start] = inside, inside + 1
    into_arcs = block_start[stacking.kept_key] + 1 + kept_rank
    tails[into_arcs], heads[into_arcs] = need_node + stacking.kept_need, inside[stacking.kept_key]
    costs[into_arcs] = cols.need_cost[stacking.kept_need]
    out_arcs = block_start[stacking.out_key] + 1 + kept_count[stacking.out_key] + out_rank
    tails[out_arcs], heads[out_arcs] = inside[stacking.out_key] + 1, resource_node + stacking.out_resource
    costs[out_arcs] = stacking.out_cost

    tails[sink_start:], heads[sink_start:] = resource_node + np.arange(n_resources), SINK
    capacities[sink_start:] = cols.capacity
    return Network(
        nodes=group_node + 2 * stacking.keys,
        supply=n_needs,
        groups=stacking.keys,
        tails=tails.astype(np.int32),
        heads=heads.astype(np.int32),
        capacities=capacities,
        costs=costs,
        direct_arcs=direct_arcs,
        direct_need=direct_need,
        direct_resource=direct_resource,
        into_arcs=into_arcs,
        into_need=stacking.kept_need,
        into_group=stacking.kept_key,
        out_arcs=out_arcs,
        out_group=stacking.out_key,
        out_resource=stacking.out_resource,
        dropped=stacking.dropped,
    )


def solve(problem: Problem) -> Solution:
    """The optimal assignment: every need assigned or unmet, at the least total cost."""
    started = time.perf_counter()
    cols = _Columns.of(problem)
    net = _build(cols, problem.unmet_cost)
    flow = min_cost_flow.SimpleMinCostFlow()
    if len(net.tails):
        flow.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.capacities, net.costs)
    supplies = np.zeros(net.nodes, dtype=np.int64)  # every node made known to the solver
    supplies[SOURCE], supplies[SINK] = net.supply, -net.supply
    flow.set_nodes_supplies(np.arange(net.nodes, dtype=np.int32), supplies)
    solving = time.perf_counter()
    status = flow.solve()
    solve_seconds = time.perf_counter() - solving
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not solve: {status}")
    flows = np.asarray(flow.flows(np.arange(len(net.tails), dtype=np.int32)), dtype=np.int64)
    need, resource, cost = _decode(cols, net, flows)
    unmet = np.ones(len(cols.need_cost), dtype=bool)
    unmet[need] = False
    return Solution(
        assigned=dict(zip(need.tolist(), resource.tolist(), strict=True)),
        unmet=np.flatnonzero(unmet).tolist(),
        total_cost=int(flow.optimal_cost()),
        arc_cost=dict(zip(need.tolist(), cost.tolist(), strict=True)),
        dropped=net.dropped,
        seconds=time.perf_counter() - started,
        solve_seconds=solve_seconds,
    )


def _decode(cols: _Columns, net: Network, flows: Ints) -> tuple[Ints, Ints, Ints]:
    """The assigned needs, their resources and costs: direct arcs in arc order, then by group node."""
    direct = flows[net.direct_arcs] > 0
    entered = flows[net.into_arcs] > 0
    left = flows[net.out_arcs] > 0
    resource_of_group = np.zeros(net.groups, dtype=np.int64)
    pair_of_group = np.zeros(net.groups, dtype=np.int64)
    resource_of_group[net.out_group[left]] = net.out_resource[left]
    pair_of_group[net.out_group[left]] = net.costs[net.out_arcs[left]]
    group_need, group = net.into_need[entered], net.into_group[entered]
    return (
        np.concatenate([net.direct_need[direct], group_need]),
        np.concatenate([net.direct_resource[direct], resource_of_group[group]]),
        np.concatenate(
            [net.costs[net.direct_arcs[direct]], cols.need_cost[group_need] + pair_of_group[group]]
        ),
    )


def to_networkx(net: Network) -> Any:
    """The same network as a networkx DiGraph (for `networkx.max_flow_min_cost`): source 0, sink 1."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(range(net.nodes))
    arcs = zip(
        net.tails.tolist(), net.heads.tolist(), net.capacities.tolist(), net.costs.tolist(), strict=True
    )
    for tail, head, capacity, cost in arcs:
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
    net_dropped = _Columns.of(problem).group_arcs().dropped
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
