"""What the linkage engine reads and what it answers.

A side is a sequence of `LinkRecord`s: one per person, grouped into households by `group`. Keys are
unique within a side. The engine answers person pairs (each record in at most one pair, one to
one) and household pairs (a household of one side with the household of the other side that most
of its linked members went to, so a changed head of household or a missing member still links).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """One person as a side knows them. Only a valid ID number is given as `id_number`."""

    key: str  # unique within the side: a source record id, or a registry person id
    group: str  # the household within the side: a source household number, or a household id
    name: str
    id_number: str | None = None  # a valid 18-digit number (15-digit ones converted): an exact key
    id_number_raw: str | None = None  # what the source gave when it is not valid (never a key)
    sex: str | None = None  # "male" / "female"
    birth_date: date | None = None
    village_code: str | None = None  # 12 digits, when the side resolved the village
    village_name: str | None = None  # as written by the source (XX村 / XX村委会 ...)
    is_head: bool = False
    relation_to_head: str | None = None


class Decision(enum.StrEnum):
    """What the weight of a pair says: merge it, or ask a reviewer."""

    MATCH = "match"
    REVIEW = "review"


class Method(enum.StrEnum):
    """Why two records were paired (the values of `graph.model.enums.LinkMethod`)."""

    EXACT_ID = "exact_id"
    PROBABILISTIC = "probabilistic"
    HOUSEHOLD = "household"


@dataclass(frozen=True, slots=True)
class ComparisonPart:
    """One compared field of a pair: both values, the level of agreement and its weight (log2)."""

    field: str
    left: str | None
    right: str | None
    level: str  # e.g. "exact", "homophone", "typo", "differs", "missing"
    weight: float


@dataclass(frozen=True, slots=True)
class PersonPair:
    """A left record and a right record that are, or may be, the same person."""

    left_key: str
    right_key: str
    weight: float  # match weight, log2 of the odds (for EXACT_ID the weight of the agreeing fields)
    method: Method
    decision: Decision
    parts: tuple[ComparisonPart, ...] = ()


@dataclass(frozen=True, slots=True)
class HouseholdPair:
    """A left household and a right household that are the same household."""

    left_group: str
    right_group: str
    members_linked: int  # person pairs (decision MATCH) between the two
    head_differs: bool  # the two sides name different heads (户主变更)


@dataclass(frozen=True, slots=True)
class LinkageSettings:
    """Thresholds of the engine, in match weight (log2 odds). Between the two: review."""

    auto_merge: float = 12.0
    auto_reject: float = 4.0
    # A pair found only through the household (the other members link) needs this much of its own.
    household_min: float = 2.0

    def __post_init__(self) -> None:
        if self.auto_reject > self.auto_merge:
            raise ValueError("auto_reject must not exceed auto_merge")


@dataclass(slots=True)
class Linkage:
    """The engine's answer: person pairs (matches and pairs for review) and household pairs."""

    persons: list[PersonPair] = field(default_factory=list)
    households: list[HouseholdPair] = field(default_factory=list)
