"""The graph model: every node label and relationship type of Zhulian, validated by pydantic."""

from graph.model.areas import Area
from graph.model.base import (
    Fen,
    LabelledEnum,
    Node,
    NodeRef,
    Rel,
    UtcDateTime,
    format_timestamp,
    new_id,
)
from graph.model.cases import (
    Event,
    Need,
    Outcome,
    Plan,
    Referral,
    ReferralHop,
    RiskAssessment,
    StatusChange,
    RiskWarning,
)
from graph.model.identity import (
    DivisionCode,
    IdNumber,
    IdNumberCheck,
    canonical_code,
    check_id_number,
    level_of_code,
    parent_code,
)
from graph.model.organisations import AllianceBody, Consent, Organisation, User
from graph.model.people import Household, Person
from graph.model.provenance import AuditEntry, ImportBatch, SourceRecord
from graph.model.registry import NODE_TYPES, REL_TYPES, node_type, rel_type
from graph.model.relationships import (
    AssignedTo,
    Assessed,
    AvailableIn,
    BoundTo,
    Concerns,
    ConsentTo,
    Covers,
    DerivedFrom,
    FirstHop,
    ForNeed,
    Grants,
    HadEvent,
    HasNeed,
    HasOutcome,
    HasPlan,
    InBatch,
    KinOf,
    LivesIn,
    MemberOf,
    MemberOfAlliance,
    NeighbourOf,
    NextHop,
    PartOf,
    PlanItem,
    ProvidedBy,
    Raised,
    Receives,
    Records,
    ReportsTo,
    SentBy,
    Serves,
    Supports,
    Triggered,
    Uses,
    WarnsAbout,
    WorksFor,
)
from graph.model.resources import Resource

__all__ = [
    "NODE_TYPES", "REL_TYPES", "AllianceBody", "Area", "Assessed", "AssignedTo", "AuditEntry",
    "AvailableIn", "BoundTo", "Concerns", "Consent", "ConsentTo", "Covers", "DerivedFrom",
    "DivisionCode", "Event", "Fen", "FirstHop", "ForNeed", "Grants", "HadEvent", "HasNeed",
    "HasOutcome", "HasPlan", "Household", "IdNumber", "IdNumberCheck", "ImportBatch", "InBatch",
    "KinOf", "LabelledEnum", "LivesIn", "MemberOf", "MemberOfAlliance", "Need", "NeighbourOf",
    "NextHop", "Node", "NodeRef", "Organisation", "Outcome", "PartOf", "Person", "Plan",
    "PlanItem", "ProvidedBy", "Raised", "Receives", "Records", "Referral", "ReferralHop", "Rel",
    "ReportsTo", "Resource", "RiskAssessment", "SentBy", "Serves", "SourceRecord", "StatusChange",
    "Supports", "Triggered", "User", "Uses", "UtcDateTime", "RiskWarning", "WarnsAbout", "WorksFor",
    "canonical_code", "check_id_number", "format_timestamp", "level_of_code", "new_id",
    "node_type", "parent_code", "rel_type",
]
