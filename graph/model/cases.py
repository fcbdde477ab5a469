"""Needs, events, warnings, referrals and their hops, outcomes, plans and risk assessments."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from graph.model.base import Fen, Node, NonEmptyStr, UtcDateTime
from graph.model.enums import (
    AllianceLevel,
    DeliveryKind,
    EventType,
    HopReason,
    HopStatus,
    NeedChannel,
    NeedStatus,
    NeedType,
    NotificationKind,
    OutcomeResult,
    ReferralStatus,
    ReferralTrack,
    SourceSystem,
    TargetGroup,
    Urgency,
    WarningStatus,
)
from graph.model.identity import DivisionCode, TownshipCode, VillageCode


class Need(Node):
    """An unmet need of a household, from a visit, an application, a department push or a warning."""

    LABEL: ClassVar[str] = "Need"
    INDEXED: ClassVar[tuple[str, ...]] = ("household_id", "status", "type", "village_code", "created_at")
    PII: ClassVar[frozenset[str]] = frozenset({"description"})

    id: NonEmptyStr
    household_id: NonEmptyStr
    village_code: VillageCode
    type: NeedType
    urgency: Urgency
    status: NeedStatus = NeedStatus.OPEN
    channel: NeedChannel
    description: str = Field(default="", max_length=4000)
    reported_by: NonEmptyStr
    report_count: int = Field(default=1, ge=1)
    created_at: UtcDateTime
    updated_at: UtcDateTime
    closed_at: UtcDateTime | None = None
    # Why it could not be met (status unmet), for the coordinator's gap list.
    unmet_reason: str | None = Field(default=None, max_length=500)
    version: int = Field(default=1, ge=1)


class NeedReport(Node):
    """One report of a need: a repeated report of an open need is attached to it, not a new need."""

    LABEL: ClassVar[str] = "NeedReport"
    INDEXED: ClassVar[tuple[str, ...]] = ("need_id",)
    PII: ClassVar[frozenset[str]] = frozenset({"description"})

    id: NonEmptyStr
    need_id: NonEmptyStr
    channel: NeedChannel
    urgency: Urgency
    description: str = Field(default="", max_length=4000)
    reported_by: NonEmptyStr
    reported_at: UtcDateTime


class Event(Node):
    """A change in a household's situation (serious illness, death, job loss, disaster ...)."""

    LABEL: ClassVar[str] = "Event"
    INDEXED: ClassVar[tuple[str, ...]] = ("household_id", "type", "occurred_on")
    PII: ClassVar[frozenset[str]] = frozenset({"description", "amount_fen", "disability_grade"})

    id: NonEmptyStr
    household_id: NonEmptyStr
    person_id: str | None = None
    type: EventType
    occurred_on: date
    amount_fen: Fen | None = None
    disability_grade: int | None = Field(default=None, ge=1, le=4)
    description: str = Field(default="", max_length=4000)
    source: SourceSystem
    reported_by: NonEmptyStr
    recorded_at: UtcDateTime


class RiskWarning(Node):
    """An early warning that a township must verify (3 days if urgent, 7 if general)."""

    LABEL: ClassVar[str] = "Warning"
    INDEXED: ClassVar[tuple[str, ...]] = ("household_id", "status", "due_at", "township_code")

    id: NonEmptyStr
    household_id: NonEmptyStr
    township_code: TownshipCode
    level: Urgency
    status: WarningStatus = WarningStatus.OPEN
    reason: NonEmptyStr
    event_count: int = Field(default=1, ge=1)
    priority: int = Field(default=0, ge=0)
    raised_at: UtcDateTime
    due_at: UtcDateTime
    verified_at: UtcDateTime | None = None
    verified_by: str | None = None
    verification_note: str | None = Field(default=None, max_length=4000)


class Referral(Node):
    """The referral of one need through the alliance: a chain of hops to completion."""

    LABEL: ClassVar[str] = "Referral"
    INDEXED: ClassVar[tuple[str, ...]] = ("need_id", "household_id", "status", "created_at")

    id: NonEmptyStr
    need_id: NonEmptyStr
    household_id: NonEmptyStr
    status: ReferralStatus = ReferralStatus.ACTIVE
    track: ReferralTrack = ReferralTrack.ALLIANCE
    resource_id: str | None = None
    created_by: NonEmptyStr
    created_at: UtcDateTime
    completed_at: UtcDateTime | None = None
    verified_by: str | None = None
    reopened_count: int = Field(default=0, ge=0)
    version: int = Field(default=1, ge=1)


class ReferralHop(Node):
    """One hop of a referral: a task handed from one body to the next, with its own status."""

    @model_validator(mode="after")
    def _check_assignee(self) -> Self:
        if (self.assignee_id is None) != (self.assignee_label is None):
            raise ValueError("assignee_id and assignee_label go together")
        return self

    LABEL: ClassVar[str] = "ReferralHop"
    INDEXED: ClassVar[tuple[str, ...]] = ("referral_id", "status", "due_at", "assignee_id")

    id: NonEmptyStr
    referral_id: NonEmptyStr
    seq: int = Field(ge=1)
    status: HopStatus
    # The body or organisation the task is with (an AllianceBody or Organisation id).
    assignee_id: str | None = None
    assignee_label: Literal["AllianceBody", "Organisation"] | None = None
    # Area whose providers may claim the task while it is in the open pool.
    pool_area_code: DivisionCode | None = None
    note: str | None = Field(default=None, max_length=4000)
    created_at: UtcDateTime
    updated_at: UtcDateTime
    due_at: UtcDateTime | None = None
    # Deadline to accept (or, for a claimed task, to start) before it escalates or returns to the pool.
    accept_due_at: UtcDateTime | None = None
    # The alliance level an overdue hop was escalated to (None: not escalated), and when.
    escalation_level: AllianceLevel | None = None
    escalated_at: UtcDateTime | None = None
    # Last reason given for a rejection, failure or return (the text is on the StatusChange).
    reason_code: HopReason | None = None
    # One timestamp per status reached (draft: created_at; in-progress: started_at).
    requested_at: UtcDateTime | None = None
    received_at: UtcDateTime | None = None
    accepted_at: UtcDateTime | None = None
    ready_at: UtcDateTime | None = None
    started_at: UtcDateTime | None = None
    on_hold_at: UtcDateTime | None = None
    completed_at: UtcDateTime | None = None
    rejected_at: UtcDateTime | None = None
    failed_at: UtcDateTime | None = None
    cancelled_at: UtcDateTime | None = None
    entered_in_error_at: UtcDateTime | None = None
    version: int = Field(default=1, ge=1)


# The ReferralHop property each status sets when reached (draft: created_at).
HOP_STATUS_TIMESTAMP: dict[HopStatus, str] = {
    HopStatus.REQUESTED: "requested_at",
    HopStatus.RECEIVED: "received_at",
    HopStatus.ACCEPTED: "accepted_at",
    HopStatus.READY: "ready_at",
    HopStatus.IN_PROGRESS: "started_at",
    HopStatus.ON_HOLD: "on_hold_at",
    HopStatus.COMPLETED: "completed_at",
    HopStatus.REJECTED: "rejected_at",
    HopStatus.FAILED: "failed_at",
    HopStatus.CANCELLED: "cancelled_at",
    HopStatus.ENTERED_IN_ERROR: "entered_in_error_at",
}


class StatusChange(Node):
    """A workflow transition {from, to, by, at, reason}, written with the change it records."""

    LABEL: ClassVar[str] = "StatusChange"
    INDEXED: ClassVar[tuple[str, ...]] = ("subject_id", "at")

    id: NonEmptyStr
    subject_label: Literal["ReferralHop", "Referral", "Need", "Warning"]
    subject_id: NonEmptyStr
    from_status: str | None = None
    to_status: NonEmptyStr
    by: NonEmptyStr
    at: UtcDateTime
    reason: str | None = Field(default=None, max_length=4000)
    reason_code: HopReason | None = None


class Outcome(Node):
    """The effect evaluation of a referral: what was delivered and how the household fares."""

    LABEL: ClassVar[str] = "Outcome"
    INDEXED: ClassVar[tuple[str, ...]] = ("referral_id",)
    PII: ClassVar[frozenset[str]] = frozenset({"amount_fen", "delivered"})

    id: NonEmptyStr
    referral_id: NonEmptyStr
    result: OutcomeResult
    delivered: str = Field(default="", max_length=4000)
    amount_fen: Fen | None = None
    risk_level_before: int | None = Field(default=None, ge=1, le=3)
    risk_level_after: int | None = Field(default=None, ge=1, le=3)
    evaluated_by: NonEmptyStr
    evaluated_at: UtcDateTime


class Delivery(Node):
    """What a provider delivered for a hop: kind, amount in fen or units, date, note."""

    LABEL: ClassVar[str] = "Delivery"
    INDEXED: ClassVar[tuple[str, ...]] = ("hop_id", "referral_id")
    PII: ClassVar[frozenset[str]] = frozenset({"note"})

    id: NonEmptyStr
    hop_id: NonEmptyStr
    referral_id: NonEmptyStr
    kind: DeliveryKind
    amount_fen: Fen | None = None
    units: int | None = Field(default=None, ge=0)
    unit_name: str | None = Field(default=None, max_length=20)
    delivered_on: date
    note: str = Field(default="", max_length=4000)
    recorded_by: NonEmptyStr
    recorded_at: UtcDateTime


class Notification(Node):
    """An in-app notification to an alliance body, an organisation or a user."""

    LABEL: ClassVar[str] = "Notification"
    INDEXED: ClassVar[tuple[str, ...]] = ("recipient_id", "created_at")

    id: NonEmptyStr
    recipient_label: Literal["AllianceBody", "Organisation", "User"]
    recipient_id: NonEmptyStr
    kind: NotificationKind
    subject_label: NonEmptyStr
    subject_id: NonEmptyStr
    message: str = Field(max_length=1000)
    created_at: UtcDateTime
    read_at: UtcDateTime | None = None
    read_by: str | None = None


class Plan(Node):
    """A one-household plan (一户一策) as generated at a moment; items are PLAN_ITEM relationships."""

    LABEL: ClassVar[str] = "Plan"
    INDEXED: ClassVar[tuple[str, ...]] = ("household_id", "generated_at")

    id: NonEmptyStr
    household_id: NonEmptyStr
    household_version: int = Field(ge=1)
    # The household's open needs it was made from, each as "<need id>:<version>", sorted.
    open_need_versions: list[str] = Field(default_factory=list)
    generated_at: UtcDateTime
    generated_by: NonEmptyStr


class RiskAssessment(Node):
    """A household's anti-risk capacity score and groups at a moment, kept as history."""

    LABEL: ClassVar[str] = "RiskAssessment"
    INDEXED: ClassVar[tuple[str, ...]] = ("household_id", "assessed_at")
    PII: ClassVar[frozenset[str]] = frozenset({"yearly_income_per_capita_fen", "groups"})

    id: NonEmptyStr
    household_id: NonEmptyStr
    standard: NonEmptyStr
    score: int = Field(ge=0, le=100)
    level: int = Field(ge=1, le=3)
    groups: list[TargetGroup] = Field(default_factory=list)
    yearly_income_per_capita_fen: Fen | None = None
    # One score per dimension, in the order of the standard's dimension list.
    dimension_scores: list[int] = Field(default_factory=list)
    assessed_at: UtcDateTime
