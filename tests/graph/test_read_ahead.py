"""read_ahead: a bulk load reads its next batch on a thread while it writes the current one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.store import read_ahead


@given(st.lists(st.integers()), st.integers(min_value=1, max_value=4))
def test_the_items_come_in_order_and_all_of_them(items: list[int], depth: int) -> None:
    assert list(read_ahead(iter(items), depth)) == items


def test_an_error_of_the_source_is_raised_where_its_item_would_have_come() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("row 3 is bad")

    seen = []
    with pytest.raises(ValueError, match="row 3 is bad"):
        for item in read_ahead(source()):
            seen.append(item)
    assert seen == [1, 2]


def test_a_consumer_that_stops_early_ends_the_reading_thread() -> None:
    read = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            read.append(n)
            yield n
            n += 1

    before = threading.active_count()
    stream = read_ahead(endless(), depth=2)
    assert [next(stream), next(stream)] == [0, 1]
    stream.close()  # as when the writer fails mid-load
    assert threading.active_count() == before
    assert len(read) <= 5  # read at most `depth` (+ the one in hand) ahead, not on and on
