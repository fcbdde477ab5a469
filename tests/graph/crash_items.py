"""Households for the durability tests, importable by the child processes too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from graph.model import Household, LivesIn, NodeRef

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def households(prefix: str, n: int) -> Iterator[Household | LivesIn]:
    """`n` households `<prefix>-0000000`..., each living in the test village."""
    for i in range(n):
        h = Household(id=f"{prefix}-{i:07d}", village_code="360783100201", created_at=T0, updated_at=T0)
        yield h
        yield LivesIn(start=h.ref, end=NodeRef("Area", "360783100201"))
