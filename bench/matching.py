"""Benchmark of batch matching: the demo county, a synthetic 100,000 needs x 10,000 resources, and
networkx's min-cost flow and a greedy baseline for comparison.

    python -m bench.matching                       # county 360783, 8,000 households; synthetic 100k x 10k
    python -m bench.matching --networkx-timeout 60 # a shorter time box for networkx

Fixed seeds and clock. networkx (`max_flow_min_cost`) runs in a child process on synthetic instances
of doubling size, each time-boxed to --networkx-timeout seconds (default 600: the issue's 10 minutes);
the comparison uses the largest instance it finished in its box: the costs must be equal, and our
whole call (building the network, solving, reading the assignment) should be at least 50x faster.
Ours is the median of five runs on the same instance, right after networkx's; wall and CPU time are
both printed, as the machine may be shared.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from graph.model.enums import Role
from graph.sqlite.store import SqliteStore
from referral.access.policy import Policy, Principal
from referral.matching import service as matching
from referral.matching.scoring import MAX_ARC_COST
from referral.matching.solver import Problem, build_network, greedy, networkx_cost, solve

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def synthetic(needs: int, resources: int, seed: int, arcs_per_need: int = 8) -> Problem:
    """A county-like instance: households of 1-2 needs, capacities 1-20 (a tenth unlimited), a third of
    the resources in 40 stacking groups, each need eligible for a few resources."""
    rng = random.Random(seed)
    households = max(1, int(needs / 1.3))
    need_household = sorted(rng.randrange(households) for _ in range(needs))
    capacity = [None if rng.random() < 0.1 else rng.randint(1, 20) for _ in range(resources)]
    group = [rng.randrange(40) if rng.random() < 0.33 else None for _ in range(resources)]
    pair: dict[tuple[int, int], int] = {}
    arc_need: list[int] = []
    arc_resource: list[int] = []
    arc_cost: list[int] = []
    for n in range(needs):
        h = need_household[n]
        for r in rng.sample(range(resources), k=rng.randint(0, arcs_per_need)):
            cost = pair.setdefault((h, r), rng.randint(0, MAX_ARC_COST - 70))
            arc_need.append(n)
            arc_resource.append(r)
            arc_cost.append(cost)
    return Problem(
        need_household=need_household,
        need_cost=[rng.choice((0, 15, 30, 40, 55, 70)) for _ in range(needs)],
        capacity=capacity,
        group=group,
        arc_need=arc_need,
        arc_resource=arc_resource,
        arc_cost=arc_cost,
    )


def _networkx_child(needs: int, resources: int, seed: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    net = build_network(synthetic(needs, resources, seed))
    started, cpu = time.perf_counter(), time.process_time()
    cost = networkx_cost(net)
    out.put((cost, time.perf_counter() - started, time.process_time() - cpu))


def run_networkx(needs: int, resources: int, seed: int, limit: float) -> tuple[int, float, float] | None:
    """networkx's optimum, wall and CPU time on one synthetic instance; None when not done in `limit`."""
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    child = mp.Process(target=_networkx_child, args=(needs, resources, seed, queue))
    child.start()
    child.join(limit + 30)  # the child also builds the network before its clock starts
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return queue.get() if not queue.empty() else None


def county_batch(households: int, county: str, seed: int) -> tuple[dict[str, object], float]:
    from seeds.county import generate_county

    workdir = Path(tempfile.mkdtemp(prefix="zhulian-bench-matching-"))
    try:
        store = SqliteStore(workdir / "bench.db", create=True)
        store.ensure_schema()
        started = time.perf_counter()
        store.bulk_load(generate_county(county, households, seed=seed, now=NOW))
        load_s = time.perf_counter() - started
        code = county.ljust(12, "0")
        policy = Policy(Principal("bench", "bench", frozenset({Role.COUNTY_COORDINATOR}), (code,)), NOW)
        started = time.perf_counter()
        proposal = store.run(lambda uow: matching.batch(uow, policy, code), write=False)
        total_s = time.perf_counter() - started
        store.close()
        return {
            "needs": proposal.needs,
            "resources": proposal.resources,
            "arcs": proposal.arcs,
            "assigned": proposal.assigned,
            "unmet": {k.value: v for k, v in proposal.unmet_by_reason.items()},
            "cost": proposal.total_cost,
            "solver_s": proposal.solver_ms / 1000,
            "batch_s": total_s,
            "load_s": load_s,
        }, total_s
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=8_000)
    parser.add_argument("--county", default="360783")
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--networkx-timeout", type=float, default=600.0)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"bench.matching: load average {load:.2f} on {os.cpu_count()} CPUs at start", flush=True)

    county, _ = county_batch(args.households, args.county, args.seed)
    print(
        f"county {args.county}, {args.households:,} households (seeded in {county['load_s']:.1f} s): "
        f"{county['needs']:,} open needs x {county['resources']:,} resources, {county['arcs']:,} arcs; "
        f"assigned {county['assigned']:,}, unmet {county['unmet']}, cost {county['cost']:,}; "
        f"solver {county['solver_s']:.3f} s, "
        f"whole batch (reads, eligibility, solve) {county['batch_s']:.2f} s",
        flush=True,
    )

    rows: list[tuple[str, int, int, int, float, int, int, str]] = []
    problem = synthetic(args.needs, args.resources, args.seed)
    ours = solve(problem)
    started = time.perf_counter()
    _assigned, greedy_cost = greedy(problem)
    greedy_s = time.perf_counter() - started
    rows.append(
        (
            "synthetic",
            args.needs,
            args.resources,
            len(problem.arc_need),
            ours.seconds,
            ours.total_cost,
            greedy_cost,
            f"greedy {greedy_s:.2f} s",
        )
    )
    print(
        f"synthetic {args.needs:,} x {args.resources:,}: ours {ours.seconds:.2f} s "
        f"(OR-Tools alone {ours.solve_seconds:.2f} s), greedy {greedy_s:.2f} s",
        flush=True,
    )

    largest: tuple[int, int, float, float, float, int, int, float, float] | None = None
    # Doubling from 250 needs, then --needs itself: networkx gets every size up to the full instance.
    sizes = [250 * 2**i for i in range(args.needs.bit_length()) if 250 * 2**i < args.needs] + [args.needs]
    for size in sizes:
        resources = max(25, size // 10)
        result = run_networkx(size, resources, args.seed, args.networkx_timeout)
        if result is None or result[1] > args.networkx_timeout:
            print(f"networkx {size:,} needs: not done within {args.networkx_timeout:.0f} s", flush=True)
            break
        nx_cost, nx_s, nx_cpu = result
        problem = synthetic(size, resources, args.seed)
        runs = []
        for _ in range(5):
            cpu = time.process_time()
            mine = solve(problem)
            runs.append((mine.seconds, mine.solve_seconds, time.process_time() - cpu, mine.total_cost))
        my_s, solve_s, my_cpu = (statistics.median(r[i] for r in runs) for i in range(3))
        my_cost = runs[0][3]
        largest = (size, resources, nx_s, my_s, solve_s, nx_cost, my_cost, nx_cpu, my_cpu)
        print(
            f"networkx {size:,} x {resources:,}: {nx_s:.2f} s (CPU {nx_cpu:.2f} s) cost {nx_cost:,}; "
            f"ours {my_s:.3f} s (CPU {my_cpu:.3f} s, OR-Tools {solve_s:.3f} s) cost {my_cost:,}: "
            f"{nx_s / my_s:,.0f}x wall, {nx_cpu / my_cpu:,.0f}x CPU; load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        assert all(r[3] == nx_cost for r in runs), "our cost differs from networkx's optimum"

    print()
    print("| instance | needs | resources | arcs | our solver | our cost | greedy cost (gap) | note |")
    print("|---|---|---|---|---|---|---|---|")
    for name, needs, res, arcs, secs, cost, gcost, note in rows:
        gap = 100 * (gcost - cost) / cost if cost else 0.0
        print(
            f"| {name} | {needs:,} | {res:,} | {arcs:,} | {secs:.2f} s | {cost:,} "
            f"| {gcost:,} (+{gap:.2f} %) | {note} |"
        )
    if largest is not None:
        size, res, nx_s, my_s, solve_s, nx_cost, my_cost, nx_cpu, my_cpu = largest
        print(
            f"| networkx largest | {size:,} | {res:,} | | {my_s:.3f} s (CPU {my_cpu:.3f} s), OR-Tools alone "
            f"{solve_s:.3f} s (networkx {nx_s:.2f} s, CPU {nx_cpu:.2f} s: {nx_s / my_s:,.0f}x wall, "
            f"{nx_cpu / my_cpu:,.0f}x CPU) | {my_cost:,} | "
            f"| networkx optimum {nx_cost:,}: {'equal' if nx_cost == my_cost else 'DIFFERENT'} |"
        )
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
