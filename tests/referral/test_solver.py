"""The batch solver is optimal: on random small instances its cost equals networkx's min-cost flow on
the same network and an exhaustive search's optimum; capacities and stacking groups are respected."""

from __future__ import annotations

import itertools
import random

import pytest

from referral.matching.scoring import UNMET_COST
from referral.matching.solver import Problem, build_network, greedy, networkx_cost, solve


def random_problem(seed: int, needs: int, resources: int, households: int) -> Problem:
    rng = random.Random(seed)
    need_household = [rng.randrange(households) for _ in range(needs)]
    pair = {(h, r): rng.randint(0, 100) for h in range(households) for r in range(resources)}
    arc_need, arc_resource, arc_cost = [], [], []
    for n in range(needs):
        for r in rng.sample(range(resources), k=rng.randint(0, min(4, resources))):
            arc_need.append(n)
            arc_resource.append(r)
            arc_cost.append(pair[(need_household[n], r)])
    return Problem(
        need_household=need_household,
        need_cost=[rng.choice([0, 15, 40, 55, 70]) for _ in range(needs)],
        capacity=[rng.choice([None, 0, 1, 1, 2, 3]) for _ in range(resources)],
        group=[rng.choice([None, None, 0, 1]) for _ in range(resources)],
        arc_need=arc_need,
        arc_resource=arc_resource,
        arc_cost=arc_cost,
    )


def check_feasible(problem: Problem, assigned: dict[int, int]) -> int:
    """Capacities, stacking and eligibility hold; returns the assignment's total cost."""
    arcs = {
        (n, r): c for n, r, c in zip(problem.arc_need, problem.arc_resource, problem.arc_cost, strict=True)
    }
    for r, capacity in enumerate(problem.capacity):
        if capacity is not None:
            assert sum(1 for x in assigned.values() if x == r) <= capacity
    groups = [
        (problem.need_household[n], problem.group[r])
        for n, r in assigned.items()
        if problem.group[r] is not None
    ]
    assert len(groups) == len(set(groups)), "two benefits of one stacking group for a household"
    total = 0
    for n in range(len(problem.need_cost)):
        if n in assigned:
            assert (n, assigned[n]) in arcs, "assigned to a resource it is not eligible for"
            total += problem.need_cost[n] + arcs[(n, assigned[n])]
        else:
            total += UNMET_COST
    return total


@pytest.mark.parametrize("seed", range(60))
def test_optimal_against_networkx(seed: int) -> None:
    problem = random_problem(seed, needs=random.Random(seed).randint(1, 14), resources=5, households=4)
    solution = solve(problem)
    assert solution.total_cost == networkx_cost(build_network(problem))
    assert check_feasible(problem, solution.assigned) == solution.total_cost
    assert sorted([*solution.assigned, *solution.unmet]) == list(range(len(problem.need_cost)))


def brute_force(problem: Problem) -> int:
    """The optimum by trying every assignment (tiny instances), under the solver's group rule."""
    dropped = solve(problem).dropped  # needs that lost a group arc (solver module doc)
    options: list[list[int | None]] = []
    for n in range(len(problem.need_cost)):
        mine = [
            r
            for m, r in zip(problem.arc_need, problem.arc_resource, strict=True)
            if m == n and problem.group[r] not in dropped.get(n, set())
        ]
        options.append([None, *mine])
    best = None
    for choice in itertools.product(*options):
        assigned = {n: r for n, r in enumerate(choice) if r is not None}
        try:
            cost = check_feasible(problem, assigned)
        except AssertionError:
            continue
        best = cost if best is None else min(best, cost)
    assert best is not None
    return best


@pytest.mark.parametrize("seed", range(30))
def test_optimal_against_exhaustive_search(seed: int) -> None:
    problem = random_problem(1000 + seed, needs=6, resources=4, households=2)
    assert solve(problem).total_cost == brute_force(problem)


def test_scarce_capacity_goes_to_the_urgent_need() -> None:
    problem = Problem(
        need_household=[0, 1],
        need_cost=[70, 0],  # need 1 is urgent and of a weak household
        capacity=[1],
        group=[None],
        arc_need=[0, 1],
        arc_resource=[0, 0],
        arc_cost=[0, 50],
    )
    solution = solve(problem)
    assert solution.assigned == {1: 0}
    assert solution.unmet == [0]


def test_one_benefit_per_stacking_group_and_household() -> None:
    # Two needs of one household, two resources of one group with room: only one is assigned.
    problem = Problem(
        need_household=[0, 0],
        need_cost=[0, 0],
        capacity=[5, 5],
        group=[0, 0],
        arc_need=[0, 0, 1, 1],
        arc_resource=[0, 1, 0, 1],
        arc_cost=[10, 20, 10, 20],
    )
    solution = solve(problem)
    assert len(solution.assigned) == 1
    assert solution.total_cost == 10 + UNMET_COST


def test_greedy_is_feasible_and_never_better() -> None:
    for seed in range(20):
        problem = random_problem(500 + seed, needs=12, resources=5, households=4)
        assigned, cost = greedy(problem)
        assert check_feasible(problem, assigned) == cost
        assert cost >= solve(problem).total_cost


def test_empty_problem() -> None:
    solution = solve(Problem([], [], [], [], [], [], []))
    assert (solution.assigned, solution.unmet, solution.total_cost) == ({}, [], 0)
