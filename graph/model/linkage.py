"""Record linkage of the merged registry (两库合并): each link decision and each pair for review.

A `RecordLink` says that one source record was merged into one registry person (and household),
how and by whom, and what it changed, so that the merge can be undone. A `ReviewPair` is a source
record and a registry person that may be the same person: scored between the auto-reject and the
auto-merge thresholds, it waits for a reviewer, whose decision it records.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from graph.model.base import Node, NonEmptyStr, UtcDateTime
from graph.model.enums import LinkMethod, ReviewStatus


class RecordLink(Node):
    """A source record merged into a registry person: how, with what score, and what it changed.

    `changes_json` holds the before and after of every property the merge set on the person and the
    household (`{"Person:<id>": {"field": [before, after]}, ...}`) and `created` the nodes it made,
    so undoing it restores them. `conflicts_json` lists the fields where the two disagreed: both
    values, both sources, the one the registry shows and the rule that chose it.
    """

    LABEL: ClassVar[str] = "RecordLink"
    INDEXED: ClassVar[tuple[str, ...]] = ("source_record_id", "batch_id", "person_id", "household_id")
    PII: ClassVar[frozenset[str]] = frozenset({"changes_json", "conflicts_json"})

    id: NonEmptyStr
    source_record_id: NonEmptyStr
    batch_id: NonEmptyStr
    person_id: NonEmptyStr
    household_id: NonEmptyStr
    method: LinkMethod
    score: float | None = None  # match weight of a probabilistic link (log2 odds)
    created_person: bool = False
    created_household: bool = False  # a household newly brought under monitoring
    changes_json: str = "{}"
    conflicts_json: str = "[]"
    linked_by: NonEmptyStr
    linked_at: UtcDateTime
    undone_at: UtcDateTime | None = None
    undone_by: str | None = None
    undo_reason: str | None = Field(default=None, max_length=500)


class ReviewPair(Node):
    """A source record and a registry person that may be one person, for a reviewer to decide."""

    LABEL: ClassVar[str] = "ReviewPair"
    INDEXED: ClassVar[tuple[str, ...]] = ("batch_id", "source_record_id", "status", "village_code")
    PII: ClassVar[frozenset[str]] = frozenset({"parts_json"})

    id: NonEmptyStr
    batch_id: NonEmptyStr
    source_record_id: NonEmptyStr
    person_id: NonEmptyStr  # the registry person it may be
    village_code: str  # of the registry person's household: whose review queue it is in
    score: float  # match weight (log2 odds)
    parts_json: str = "{}"  # each compared field: both values and its share of the score
    status: ReviewStatus = ReviewStatus.OPEN
    created_at: UtcDateTime
    decided_by: str | None = None
    decided_at: UtcDateTime | None = None
    reason: str | None = Field(default=None, max_length=500)
    link_id: str | None = None  # the RecordLink a merge decision made
