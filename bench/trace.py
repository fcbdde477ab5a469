"""Benchmark of tracking: a household's assistance chain (trace) and the county's referral figures.

    python -m bench.trace                                  # 100,000 households (a fresh store)
    python -m bench.trace --households 1000000             # about 1M (~20 min to build here)
    python -m bench.trace --store /tmp/b.db                # reuse a store built before (or build it there)

Fixed seed and clock, so every run loads the same data. The trace is read as a county coordinator
(area access, names unmasked, so each read also appends its read_pii audit entry; the unit of work is
rolled back). The embedded store refreshes the planner's statistics after every bulk load (and in
`ensure_schema`), so a store as loaded is measured as it is served.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.store import percentiles
from graph.model import Referral
from graph.model.enums import Role
from graph.sqlite.store import SqliteStore
from referral.access.policy import Policy, Principal
from referral.tracking import figures, trace
from referral.tracking.models import FiguresBy
from seeds.county import CountyPlan
from seeds.pipeline import load_in_parallel

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
READ_AT = NOW + timedelta(days=1)


def _build(path: Path, county: str, households: int, seed: int) -> None:
    store = SqliteStore(path, create=True)
    store.ensure_schema()
    started = time.perf_counter()
    done = load_in_parallel(store, CountyPlan(county, households, seed, NOW), batch_size=10_000)
    store.close()
    print(f"built {done.nodes:,} nodes, {done.rels:,} rels in {time.perf_counter() - started:,.1f} s")


def _measure(path: Path, county: str, samples: int, seed: int, figure_runs: int) -> dict[str, str]:
    store = SqliteStore(path)
    policy = Policy(
        Principal("bench", "bench", frozenset({Role.COUNTY_COORDINATOR}), (county + "000000",)), READ_AT
    )
    rng = random.Random(seed)
    out: dict[str, str] = {}
    with store.unit_of_work(write=True) as uow:  # never committed: the audit entries roll back
        # Households with referrals drawn from the whole store, not its first pages.
        households = sorted({r.household_id for r in uow.iter_all(Referral)})
        picked = [rng.choice(households) for _ in range(samples)]
        timings, cpu = [], []
        for household_id in picked:
            started, started_cpu = time.perf_counter(), time.thread_time()
            trace.household_trace(uow, policy, household_id)
            timings.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)
        p50, p99 = percentiles(timings)
        out["trace"] = f"p50 {p50:.2f} ms   p99 {p99:.2f} ms   ({samples:,} households with referrals)"
        # CPU time of the same traces: without the waits for a core, which set the p99 of a busy machine.
        p50, p99 = percentiles(cpu)
        out["trace cpu"] = f"p50 {p50:.2f} ms   p99 {p99:.2f} ms   (CPU time of this thread, same traces)"
        runs = []
        for _ in range(figure_runs):
            started = time.perf_counter()
            result = figures.referral_figures(uow, policy, NOW - timedelta(days=400), READ_AT, FiguresBy.AREA)
            runs.append(time.perf_counter() - started)
        out["figures"] = (
            f"median {statistics.median(runs):.2f} s over {figure_runs} runs "
            f"({result.total.referrals:,} referrals, {result.total.hops:,} hops, by township)"
            if runs
            else "not measured (--figure-runs 0)"
        )
    store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--county", default="360783")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--figure-runs", type=int, default=3, help="runs of the county's figures (0: skip)")
    parser.add_argument("--store", type=Path, default=None, help="reuse this store (built there if missing)")
    args = parser.parse_args()

    path = args.store or Path(tempfile.mkdtemp(prefix="zhulian-trace-")) / "bench.db"
    print(f"bench.trace: county {args.county}, N = {args.households:,} households, seed {args.seed}")
    if not path.exists():
        _build(path, args.county, args.households, args.seed)
    else:
        print(f"reusing {path} (built before; N as given when it was built)")
    measured = _measure(path, args.county, args.samples, args.seed, args.figure_runs)
    for name in ("trace", "trace cpu", "figures"):
        print(f"{name:10}{measured[name]}")


if __name__ == "__main__":
    main()
