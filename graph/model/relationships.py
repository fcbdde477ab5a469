"""Relationship types of the graph, each with the endpoints it may join and its properties."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from graph.model.base import Fen, Rel
from graph.model.enums import KinRelation, RelationToHead, SupportKind


def _pairs(starts: tuple[str, ...], ends: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    return frozenset((s, e) for s in starts for e in ends)


# -- areas and where people live ---------------------------------------------------------------
class PartOf(Rel):
    """An area lies in its parent area (village -> township -> county ...)."""

    TYPE: ClassVar[str] = "PART_OF"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Area",), ("Area",))


class LivesIn(Rel):
    """A household lives in a village (and optionally a grid of it)."""

    TYPE: ClassVar[str] = "LIVES_IN"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Household",), ("Area",))


class MemberOf(Rel):
    """A person is a member of a household."""

    TYPE: ClassVar[str] = "MEMBER_OF"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Person",), ("Household",))
    relation_to_head: RelationToHead = RelationToHead.OTHER


# -- social support network (地缘, 亲缘, 帮扶) ---------------------------------------------------
class KinOf(Rel):
    """A kinship tie (亲缘): `relation` is what the end person is to the start person."""

    TYPE: ClassVar[str] = "KIN_OF"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Person",), ("Person",))
    relation: KinRelation


class NeighbourOf(Rel):
    """A neighbourhood tie (地缘) between two households."""

    TYPE: ClassVar[str] = "NEIGHBOUR_OF"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Household",), ("Household",))
    distance_m: int | None = Field(default=None, ge=0)


class Supports(Rel):
    """A support tie (帮扶): a person or organisation helps a household."""

    TYPE: ClassVar[str] = "SUPPORTS"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(
        ("Person", "Organisation", "User"), ("Household",)
    )
    kind: SupportKind
    since: date | None = None


# -- monitoring ------------------------------------------------------------------------------
class HasNeed(Rel):
    TYPE: ClassVar[str] = "HAS_NEED"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Household",), ("Need",))


class HadEvent(Rel):
    TYPE: ClassVar[str] = "HAD_EVENT"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Household",), ("Event",))


class Concerns(Rel):
    """An event concerns one member of the household."""

    TYPE: ClassVar[str] = "CONCERNS"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Event",), ("Person",))


class Triggered(Rel):
    """An event raised (or was merged into) a warning."""

    TYPE: ClassVar[str] = "TRIGGERED"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Event",), ("Warning",))


class WarnsAbout(Rel):
    TYPE: ClassVar[str] = "WARNS_ABOUT"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Warning",), ("Household",))


class Raised(Rel):
    """A verified warning raised a need."""

    TYPE: ClassVar[str] = "RAISED"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Warning",), ("Need",))


class Assessed(Rel):
    TYPE: ClassVar[str] = "ASSESSED"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Household",), ("RiskAssessment",))


class Receives(Rel):
    """A household currently receives a benefit (used for the no-stacking rule)."""

    TYPE: ClassVar[str] = "RECEIVES"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Household",), ("Resource",))
    PII: ClassVar[frozenset[str]] = frozenset({"amount_fen"})
    since: date
    until: date | None = None
    amount_fen: Fen | None = None


# -- organisations and the alliance ---------------------------------------------------------------
class Serves(Rel):
    """An organisation serves an area's subtree."""

    TYPE: ClassVar[str] = "SERVES"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Organisation",), ("Area",))


class MemberOfAlliance(Rel):
    """An organisation is a member of an alliance body."""

    TYPE: ClassVar[str] = "MEMBER_OF_ALLIANCE"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Organisation",), ("AllianceBody",))
    role: str | None = None


class Covers(Rel):
    """An alliance body covers an area."""

    TYPE: ClassVar[str] = "COVERS"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("AllianceBody",), ("Area",))


class ReportsTo(Rel):
    """A village alliance reports to its township alliance, which reports to the county's."""

    TYPE: ClassVar[str] = "REPORTS_TO"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("AllianceBody",), ("AllianceBody",))


class ProvidedBy(Rel):
    TYPE: ClassVar[str] = "PROVIDED_BY"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Resource",), ("Organisation",))


class AvailableIn(Rel):
    TYPE: ClassVar[str] = "AVAILABLE_IN"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Resource",), ("Area",))


# -- referrals ----------------------------------------------------------------------------------
class ForNeed(Rel):
    TYPE: ClassVar[str] = "FOR_NEED"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Referral",), ("Need",))


class Uses(Rel):
    """The resource a referral delivers."""

    TYPE: ClassVar[str] = "USES"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Referral",), ("Resource",))


class FirstHop(Rel):
    TYPE: ClassVar[str] = "FIRST_HOP"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Referral",), ("ReferralHop",))


class NextHop(Rel):
    TYPE: ClassVar[str] = "NEXT_HOP"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("ReferralHop",), ("ReferralHop",))


class AssignedTo(Rel):
    """Who a hop's task is with."""

    TYPE: ClassVar[str] = "ASSIGNED_TO"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(
        ("ReferralHop",), ("AllianceBody", "Organisation")
    )


class SentBy(Rel):
    """Who handed a hop's task on."""

    TYPE: ClassVar[str] = "SENT_BY"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(
        ("ReferralHop",), ("AllianceBody", "Organisation")
    )


class HasOutcome(Rel):
    TYPE: ClassVar[str] = "HAS_OUTCOME"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Referral",), ("Outcome",))


class Records(Rel):
    """A status change records a transition of a workflow object."""

    TYPE: ClassVar[str] = "RECORDS"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(
        ("StatusChange",), ("ReferralHop", "Referral", "Need", "Warning")
    )


class ReportOf(Rel):
    """A report (first or repeated) of a need."""

    TYPE: ClassVar[str] = "REPORT_OF"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("NeedReport",), ("Need",))


class Delivered(Rel):
    """What a hop's provider delivered."""

    TYPE: ClassVar[str] = "DELIVERED"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("ReferralHop",), ("Delivery",))


class HasPlan(Rel):
    TYPE: ClassVar[str] = "HAS_PLAN"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Household",), ("Plan",))


class PlanItem(Rel):
    """A plan lists a resource with the needs it answers (none: a policy the household qualifies for)."""

    TYPE: ClassVar[str] = "PLAN_ITEM"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Plan",), ("Resource",))
    need_ids: list[str] = Field(default_factory=list)
    score: int | None = None
    reason: str | None = None


# -- provenance, users, consent -------------------------------------------------------------------
class DerivedFrom(Rel):
    """A node was produced from a source record."""

    TYPE: ClassVar[str] = "DERIVED_FROM"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(
        ("Household", "Person", "Event", "Need"), ("SourceRecord",)
    )


class InBatch(Rel):
    TYPE: ClassVar[str] = "IN_BATCH"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("SourceRecord",), ("ImportBatch",))


class BoundTo(Rel):
    """A user works within an area's subtree."""

    TYPE: ClassVar[str] = "BOUND_TO"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("User",), ("Area",))


class WorksFor(Rel):
    TYPE: ClassVar[str] = "WORKS_FOR"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("User",), ("Organisation",))


class Grants(Rel):
    TYPE: ClassVar[str] = "GRANTS"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Household",), ("Consent",))


class ConsentTo(Rel):
    TYPE: ClassVar[str] = "CONSENT_TO"
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]] = _pairs(("Consent",), ("Organisation",))
