"""Benchmark of the embedded store with a generated county: load, size, memory, lookups, traversals.

    python -m bench.store                       # 100,000 households
    python -m bench.store --households 1000000  # about 1M households

Fixed seed and clock, so every run loads the same data. Two phases, timed apart (decision 0011), as
graph benchmarks such as LDBC's separate data generation from the bulk load:

1. generate: the county's parts are generated and turned into the store's load rows by one process
   per core, written to files beside the store;
2. load: the store loads those rows (`load_prepared`), read back in order by the loading process.

`--mode pipelined` times instead what `zhulian seed` does: generation and loading at once, the
generating processes feeding the writer through queues. Latencies are measured on random samples
after the load: key lookup of a household, a 3-hop traversal person -> household -> village ->
township, and the household -> village -> township -> county path.
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
from datetime import UTC, datetime
from pathlib import Path

from graph.model import Household, NodeRef, Person
from graph.sqlite.store import SqliteStore
from graph.store import LoadProgress
from seeds.county import CountyPlan
from seeds.pipeline import default_producers, load_in_parallel, read_staged, stage_in_parallel

SAMPLES = 5_000
NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


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
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--county", default="360783")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None, help="where to put the store (default: a temp dir)")
    parser.add_argument("--mode", choices=("staged", "pipelined"), default="staged")
    parser.add_argument(
        "--keep-staged",
        action="store_true",
        help="keep the generated load rows in DIR/staged (with --dir) and load them again in later runs "
        "of the same plan instead of generating (to time the load apart, e.g. on a quiet machine)",
    )
    parser.add_argument("--producers", type=int, default=default_producers(), help="generating processes")
    args = parser.parse_args()

    workdir = args.dir or Path(tempfile.mkdtemp(prefix="zhulian-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.glob("bench.db*"):
        old.unlink()
    store = SqliteStore(workdir / "bench.db", create=True)
    store.ensure_schema()

    last = [time.perf_counter()]

    def report(done: LoadProgress) -> None:
        if time.perf_counter() - last[0] > 15:
            last[0] = time.perf_counter()
            print(f"  ... {done.nodes:,} nodes, {done.rels:,} relationships", flush=True)

    print(
        f"bench.store: county {args.county}, {args.households:,} households, seed {args.seed}, "
        f"{args.mode}, {args.producers} generating processes",
        flush=True,
    )
    plan = CountyPlan(args.county, args.households, args.seed, NOW)
    generate_s = 0.0
    if args.mode == "staged":
        staged = workdir / "staged"
        manifest = staged / "plan.txt"
        if args.keep_staged and manifest.is_file() and manifest.read_text() == repr(plan):
            print(f"  loading the rows generated earlier for this plan ({staged})", flush=True)
        else:
            shutil.rmtree(staged, ignore_errors=True)
            start = time.perf_counter()
            stage_in_parallel(SqliteStore, plan, staged, producers=args.producers, batch_size=args.batch_size)
            generate_s = time.perf_counter() - start
            manifest.write_text(repr(plan))
        staged_mib = sum(p.stat().st_size for p in staged.iterdir()) / 2**20
        print(f"  {staged_mib:,.0f} MiB of load rows, generated in {generate_s:,.1f} s", flush=True)
        batches = read_staged(staged, plan.parts)
        writer_cpu = time.process_time()
        start = time.perf_counter()
        done = store.load_prepared(batches, report)
        load_s = time.perf_counter() - start
        if not (args.keep_staged and args.dir):
            shutil.rmtree(staged, ignore_errors=True)
    else:
        # CPU time of each process: this one writes, the spawned ones generate and prepare rows.
        writer_cpu = time.process_time()
        start = time.perf_counter()
        done = load_in_parallel(
            store, plan, producers=args.producers, batch_size=args.batch_size, progress=report
        )
        load_s = time.perf_counter() - start
    writer_cpu = time.process_time() - writer_cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    generator_cpu = children.ru_utime + children.ru_stime
    size = sum(p.stat().st_size for p in workdir.glob("bench.db*"))
    writer_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    generator_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    rng = random.Random(args.seed)
    with store.unit_of_work(write=False) as uow:
        households = [h.id for h in uow.find(Household, limit=SAMPLES * 4)]
        persons = [p.id for p in uow.find(Person, limit=SAMPLES * 4)]
        lookup = timed(lambda: uow.get(Household, rng.choice(households)), SAMPLES)
        hop3 = timed(
            lambda: uow.paths(
                NodeRef("Person", rng.choice(persons)),
                ["MEMBER_OF", "LIVES_IN", "PART_OF"],
                min_depth=3,
                max_depth=3,
            ),
            SAMPLES,
        )
        area = timed(
            lambda: uow.paths(
                NodeRef("Household", rng.choice(households)),
                ["LIVES_IN", "PART_OF"],
                min_depth=3,
                max_depth=3,
            ),
            SAMPLES,
        )
    store.close()
    items = done.nodes + done.rels
    print(f"households              {args.households:,} (county {args.county}, seed {args.seed})")
    if generate_s:
        print(f"generated               in {generate_s:,.1f} s by {args.producers} processes (rows on disk)")
    what = "loaded from the load rows" if args.mode == "staged" else "generated and loaded"
    print(f"{what:23s} {done.nodes:,} nodes, {done.rels:,} relationships in {load_s:,.1f} s")
    rate = f"{items / load_s:,.0f} items/s ({args.households / load_s:,.0f} households/s)"
    print(f"load rate               {rate}")
    if generate_s:
        print(f"generate + load         {generate_s + load_s:,.1f} s")
    print(f"CPU time                loading {writer_cpu:,.1f} s + generating {generator_cpu:,.1f} s")
    print(f"store size on disk      {size / 2**20:,.1f} MiB")
    print(f"peak RSS                loading {writer_rss:,.0f} MiB, a generator {generator_rss:,.0f} MiB")
    print(f"key lookup              p50 {lookup[0]:.3f} ms   p99 {lookup[1]:.3f} ms")
    print(f"3-hop traversal         p50 {hop3[0]:.3f} ms   p99 {hop3[1]:.3f} ms")
    print(f"household->county path p50 {area[0]:.3f} ms   p99 {area[1]:.3f} ms")
    if args.dir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
