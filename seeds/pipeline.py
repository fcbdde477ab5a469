"""Load a generated stream with generation and writing on two cores.

A spawned process generates and validates the items and turns them into the store's load rows
(`GraphStore.prepare_batch`); this process only writes (`GraphStore.load_batch`). A bounded queue
between them keeps memory flat however many households are generated.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.queues import Queue
from queue import Empty

from graph.errors import ZhulianError
from graph.model import Node, Rel
from graph.store import GraphStore, LoadProgress, PreparedBatch, batched

QUEUE_BATCHES = 4


class SeedError(ZhulianError):
    """Generating the data failed."""

    status_code = 500
    title = "Seed error"


@dataclass(frozen=True)
class _Failure:
    text: str


def _produce(
    store_type: type[GraphStore],
    make_items: Callable[[], Iterable[Node | Rel]],
    batch_size: int,
    queue: Queue[PreparedBatch | _Failure | None],
) -> None:
    try:
        for chunk in batched(make_items(), batch_size):
            queue.put(store_type.prepare_batch(chunk))
    except BaseException as exc:  # noqa: BLE001 - reported to the loading process, which raises it
        summary = "".join(traceback.format_exception_only(exc)).strip()
        queue.put(_Failure(f"{summary}\n{traceback.format_exc()}"))
        return
    queue.put(None)


def load_in_parallel(
    store: GraphStore,
    make_items: Callable[[], Iterable[Node | Rel]],
    *,
    batch_size: int = 5_000,
    progress: Callable[[LoadProgress], None] | None = None,
) -> LoadProgress:
    """Generate with `make_items` (picklable, e.g. a functools.partial) in a child process and load.

    Batches are committed as they arrive; if generation fails, what was loaded stays and SeedError
    says why.
    """
    context = multiprocessing.get_context("spawn")
    queue: Queue[PreparedBatch | _Failure | None] = context.Queue(maxsize=QUEUE_BATCHES)
    producer = context.Process(
        target=_produce, args=(type(store), make_items, batch_size, queue), daemon=True
    )
    producer.start()

    def batches() -> Iterator[PreparedBatch]:
        while True:
            try:
                item = queue.get(timeout=1)
            except Empty:
                if not producer.is_alive():
                    raise SeedError(
                        f"the generating process ended unexpectedly (exit code {producer.exitcode})"
                    ) from None
                continue
            if item is None:
                return
            if isinstance(item, _Failure):
                raise SeedError(f"generating the data failed: {item.text.splitlines()[0]}", trace=item.text)
            yield item

    try:
        return store.load_prepared(batches(), progress)
    finally:
        if producer.is_alive():
            producer.terminate()
        producer.join()
