"""Load a generated county with generation and writing spread over the machine's cores.

Spawned processes generate and validate the parts of a `CountyPlan` and turn them into the store's
load rows (`GraphStore.prepare_batch`); this process only writes (`GraphStore.load_batch`), taking
the parts in order, so the store receives the same rows in the same order however many processes
generate. A bounded queue per generating process keeps memory flat however many households are
generated.

`stage_in_parallel` writes the prepared batches to files instead, and `read_staged` reads them back
in order, so a benchmark can time the store's load apart from generation (decision 0011).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from queue import Empty
from typing import Protocol

from graph.errors import ZhulianError
from graph.model import Node, Rel
from graph.store import GraphStore, LoadProgress, PreparedBatch, batched

# Rows held per generating process: a whole part (about 210,000 items at 10,000 households a part).
# The writer takes parts in order, so while it writes one process's part the others must be able to
# finish theirs; with a few batches each they waited, and only one process generated at a time.
QUEUE_ITEMS = 250_000


class SeedError(ZhulianError):
    """Generating the data failed."""

    status_code = 500
    title = "Seed error"


class Plan(Protocol):
    """Data to generate in independent parts (`seeds.county.CountyPlan`); picklable."""

    @property
    def parts(self) -> int: ...

    def items(self, part: int) -> Iterable[Node | Rel]: ...


@dataclass(frozen=True)
class _Failure:
    text: str


_END_OF_PART = "end-of-part"


def default_producers() -> int:
    """Generating processes: one per core. Generation costs about four times what writing does,
    so the writer shares a core with them rather than leaving one idle (decision 0011)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _prepared(
    store_type: type[GraphStore], plan: Plan, first: int, step: int, batch_size: int
) -> Iterator[tuple[int, Iterator[PreparedBatch]]]:
    """The parts first, first + step, ... of `plan`, each with its load rows batch by batch."""
    for part in range(first, plan.parts, step):
        yield part, (store_type.prepare_batch(chunk) for chunk in batched(plan.items(part), batch_size))


def _start(
    count: int, target: Callable[..., None], args: Callable[[int], tuple[object, ...]]
) -> list[BaseProcess]:
    """`count` spawned processes running `target(*args(i))`."""
    context = multiprocessing.get_context("spawn")
    processes: list[BaseProcess] = [
        context.Process(target=target, args=args(i), daemon=True) for i in range(count)
    ]
    for process in processes:
        process.start()
    return processes


def _produce(
    store_type: type[GraphStore],
    plan: Plan,
    first: int,
    step: int,
    batch_size: int,
    queue: Queue[PreparedBatch | _Failure | str],
) -> None:
    try:
        for _part, batches in _prepared(store_type, plan, first, step, batch_size):
            for batch in batches:
                queue.put(batch)
            queue.put(_END_OF_PART)
    except BaseException as exc:  # noqa: BLE001 - reported to the loading process, which raises it
        summary = "".join(traceback.format_exception_only(exc)).strip()
        queue.put(_Failure(f"{summary}\n{traceback.format_exc()}"))


def load_in_parallel(
    store: GraphStore,
    plan: Plan,
    *,
    producers: int | None = None,
    batch_size: int = 5_000,
    progress: Callable[[LoadProgress], None] | None = None,
) -> LoadProgress:
    """Generate the parts of `plan` in `producers` child processes (default: one per core) and load
    them in part order.

    Into an empty embedded store the load is all or nothing (decision 0009); otherwise batches are
    committed as they arrive, and if generation fails, what was loaded stays. Either way SeedError
    says why generation failed.
    """
    count = max(1, min(producers or default_producers(), plan.parts))
    context = multiprocessing.get_context("spawn")
    queues: list[Queue[PreparedBatch | _Failure | str]] = [
        context.Queue(maxsize=max(4, QUEUE_ITEMS // batch_size + 2)) for _ in range(count)
    ]
    processes = _start(count, _produce, lambda i: (type(store), plan, i, count, batch_size, queues[i]))

    def take(i: int) -> PreparedBatch | _Failure | str:
        while True:
            try:
                return queues[i].get(timeout=1)
            except Empty:
                if not processes[i].is_alive():
                    raise SeedError(
                        f"a generating process ended unexpectedly (exit code {processes[i].exitcode})"
                    ) from None

    def batches() -> Iterator[PreparedBatch]:
        for part in range(plan.parts):
            while True:
                item = take(part % count)
                if item == _END_OF_PART:
                    break
                if isinstance(item, _Failure):
                    first_line = item.text.splitlines()[0]
                    raise SeedError(f"generating the data failed: {first_line}", trace=item.text)
                assert isinstance(item, PreparedBatch)
                yield item

    try:
        return store.load_prepared(batches(), progress)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()


def _part_file(directory: Path, part: int) -> Path:
    return directory / f"part-{part:06d}.batches"


def _stage(
    store_type: type[GraphStore], plan: Plan, first: int, step: int, batch_size: int, directory: Path
) -> None:
    for part, batches in _prepared(store_type, plan, first, step, batch_size):
        target = _part_file(directory, part)
        writing = target.with_suffix(".writing")
        with writing.open("wb") as out:
            for batch in batches:
                pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
        writing.replace(target)  # a part file exists only once complete


def stage_in_parallel(
    store_type: type[GraphStore],
    plan: Plan,
    directory: Path,
    *,
    producers: int | None = None,
    batch_size: int = 5_000,
) -> None:
    """Generate the parts of `plan` in `producers` processes and write their load rows, prepared
    for `store_type`, to files in `directory` (one per part)."""
    directory.mkdir(parents=True, exist_ok=True)
    count = max(1, min(producers or default_producers(), plan.parts))
    processes = _start(count, _stage, lambda i: (store_type, plan, i, count, batch_size, directory))
    for process in processes:
        process.join()
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    missing = [part for part in range(plan.parts) if not _part_file(directory, part).is_file()]
    if failed or missing:
        raise SeedError(f"staging failed: exit codes {failed}, parts not written {missing[:10]}")


def read_staged(directory: Path, parts: int) -> Iterator[PreparedBatch]:
    """The prepared batches `stage_in_parallel` wrote, in part order."""
    for part in range(parts):
        with _part_file(directory, part).open("rb") as source:
            while True:
                try:
                    batch = pickle.load(source)  # noqa: S301 - files this process's own run wrote
                except EOFError:
                    break
                if not isinstance(batch, PreparedBatch):
                    raise SeedError(
                        f"{_part_file(directory, part)} holds {type(batch).__name__}, not load rows"
                    )
                yield batch
