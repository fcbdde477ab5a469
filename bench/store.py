"""Benchmark of the embedded store: load rate, size, peak memory, lookup and traversal latencies.

    python -m bench.store --households 10000 [--seed 1] [--dir /tmp/zhulian-bench]

Loads the demo county generator's households into a fresh store, then times random key lookups,
3-hop traversals (person -> household -> village -> township) and household -> county area paths.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from graph.model import Household, NodeRef, Person
from graph.sqlite.store import SqliteStore
from graph.store import LoadProgress
from seeds.demo import generate

SAMPLES = 2_000


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def timed(fn: Callable[[], object], n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--dir", type=Path, default=None, help="where to put the store (default: a temp dir)")
    args = parser.parse_args()

    workdir = args.dir or Path(tempfile.mkdtemp(prefix="zhulian-bench-"))
    shutil.rmtree(workdir / "bench.db", ignore_errors=True)
    path = workdir / "bench.db"
    store = SqliteStore(path, create=True)
    store.ensure_schema()

    last = [time.perf_counter()]

    def report(done: LoadProgress) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"  ... {done.nodes:,} nodes, {done.rels:,} relationships", flush=True)

    start = time.perf_counter()
    done = store.bulk_load(
        generate(households=args.households, seed=args.seed), batch_size=args.batch_size, progress=report
    )
    load_s = time.perf_counter() - start
    size = sum(p.stat().st_size for p in workdir.glob("bench.db*"))

    rng = random.Random(args.seed)
    with store.unit_of_work(write=False) as uow:
        household_keys = [h.id for h in uow.find(Household, limit=SAMPLES * 5)]
        person_keys = [p.id for p in uow.find(Person, limit=SAMPLES * 5)]
        lookup = timed(lambda: uow.get(Household, rng.choice(household_keys)), SAMPLES)
        hop3 = timed(
            lambda: uow.paths(
                NodeRef("Person", rng.choice(person_keys)),
                ["MEMBER_OF", "LIVES_IN", "PART_OF"],
                min_depth=3,
                max_depth=3,
            ),
            SAMPLES,
        )
        area = timed(
            lambda: uow.paths(
                NodeRef("Household", rng.choice(household_keys)),
                ["LIVES_IN", "PART_OF"],
                max_depth=3,
                end_label="Area",
            ),
            SAMPLES,
        )
    store.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    items = done.nodes + done.rels
    print(f"households            {args.households:,} (seed {args.seed})")
    print(f"loaded                {done.nodes:,} nodes, {done.rels:,} relationships in {load_s:.1f} s")
    print(
        f"load rate             {items / load_s:,.0f} items/s ({args.households / load_s:,.0f} households/s)"
    )
    print(f"store size on disk    {size / 2**20:,.1f} MiB")
    print(f"peak RSS              {peak_mib:,.0f} MiB")
    print(f"key lookup            p50 {lookup[0]:.3f} ms   p99 {lookup[1]:.3f} ms")
    print(f"3-hop traversal       p50 {hop3[0]:.3f} ms   p99 {hop3[1]:.3f} ms")
    print(f"household->county     p50 {area[0]:.3f} ms   p99 {area[1]:.3f} ms")
    if args.dir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
