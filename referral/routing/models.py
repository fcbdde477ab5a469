"""What the routing API reads and writes: requests with Chinese-first messages, and views.

Views of a household's private data name the fields they withhold in `masked`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from graph.model.enums import (
    AllianceLevel,
    DeliveryKind,
    HopReason,
    HopStatus,
    NeedChannel,
    NeedStatus,
    NeedType,
    NotificationKind,
    OutcomeResult,
    ReferralStatus,
    ReferralTrack,
    Urgency,
)

ObjectId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
Reason = Annotated[str, Field(min_length=1, max_length=2000, description="原因 / the reason, in words")]
Note = Annotated[str | None, Field(default=None, max_length=2000)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class View(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests -------------------------------------------------------------------------------------
class NeedCreate(Request):
    """报告需求 / report a need of a household (a repeat of an open one is attached to it)."""

    household_id: ObjectId
    type: NeedType
    urgency: Urgency
    description: str = Field(default="", max_length=4000)
    channel: NeedChannel = NeedChannel.HOME_VISIT


class WithdrawRequest(Request):
    reason: Reason


class Target(Request):
    """Where a task goes: an organisation (转办 to a department, or a provider) or the village body.

    Exactly one of the two ids (checked by the service, after the task is found: 422).
    """

    organisation_id: ObjectId | None = None
    alliance_body_id: ObjectId | None = None
    note: Note = None


class DispatchRequest(Request):
    """派单 / start a referral. From the county: to the township (no target). From a township: a
    target, or `pool` to offer it to providers (at most one; checked by the service: 422)."""

    resource_id: ObjectId | None = None
    track: ReferralTrack = ReferralTrack.ALLIANCE
    organisation_id: ObjectId | None = None
    alliance_body_id: ObjectId | None = None
    pool: bool = False
    note: Note = None

    def target(self) -> Target | None:
        """The named target (None: none named)."""
        if self.organisation_id is None and self.alliance_body_id is None:
            return None
        return Target(organisation_id=self.organisation_id, alliance_body_id=self.alliance_body_id)


class TaskNote(Request):
    note: Note = None


class ReasonRequest(Request):
    """退回/失败 / reject or fail a task: the case returns to its sender with the reason."""

    reason_code: HopReason
    reason: Reason


class ReleaseRequest(Request):
    """交回任务池 / give a claimed task not yet started back to the open pool, with the reason.

    `not_started` is the deadline check's own code, so it is refused here (422).
    """

    reason_code: HopReason
    reason: Reason


class CompleteRequest(Request):
    """办结 / complete a task with what was delivered: an amount in fen or a number of units.

    `units` and `unit_name` go together (checked by the service: 422).
    """

    kind: DeliveryKind
    amount_fen: int | None = Field(default=None, ge=0, le=10**11)
    units: int | None = Field(default=None, ge=0, le=10**6)
    unit_name: str | None = Field(default=None, min_length=1, max_length=20)
    delivered_on: date
    note: str = Field(default="", max_length=4000)


class OfferRequest(Request):
    note: Note = None


class VerifyRequest(Request):
    """核验办结 / verify and close a referral, with the effect evaluation."""

    result: OutcomeResult
    delivered: str = Field(default="", max_length=4000)
    amount_fen: int | None = Field(default=None, ge=0, le=10**11)
    risk_level_after: int | None = Field(default=None, ge=1, le=3)


class ReopenRequest(Request):
    """重新办理 / reopen: a new hop to the given target, or to the last hop's assignee."""

    reason_code: HopReason
    reason: Reason
    organisation_id: ObjectId | None = None
    alliance_body_id: ObjectId | None = None


class CancelRequest(Request):
    reason: Reason
    entered_in_error: bool = False


# -- views ----------------------------------------------------------------------------------------
class NeedView(View):
    id: str
    household_id: str
    village_code: str
    type: NeedType
    urgency: Urgency
    status: NeedStatus
    channel: NeedChannel
    description: str | None
    report_count: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    version: int
    referral_ids: list[str]
    masked: list[str]


class StatusChangeView(View):
    from_status: str | None
    to_status: str
    by: str
    at: datetime
    reason: str | None
    reason_code: HopReason | None


class DeliveryView(View):
    id: str
    kind: DeliveryKind
    amount_fen: int | None
    units: int | None
    unit_name: str | None
    delivered_on: date
    note: str | None
    recorded_by: str
    recorded_at: datetime


class HopView(View):
    id: str
    referral_id: str
    seq: int
    status: HopStatus
    status_zh: str
    sender_id: str | None
    sender_label: str | None
    assignee_id: str | None
    assignee_label: str | None
    pool_area_code: str | None
    due_at: datetime | None
    accept_due_at: datetime | None
    escalation_level: AllianceLevel | None
    escalated_at: datetime | None
    reason_code: HopReason | None
    created_at: datetime
    updated_at: datetime
    version: int
    changes: list[StatusChangeView]
    deliveries: list[DeliveryView]


class OutcomeView(View):
    id: str
    result: OutcomeResult
    delivered: str | None
    amount_fen: int | None
    evaluated_by: str
    evaluated_at: datetime


class ReferralView(View):
    id: str
    need_id: str
    household_id: str
    status: ReferralStatus
    track: ReferralTrack
    resource_id: str | None
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    verified_by: str | None
    reopened_count: int
    version: int
    changes: list[StatusChangeView]
    hops: list[HopView]
    outcomes: list[OutcomeView]


class HouseholdBrief(View):
    id: str
    village_code: str
    address: str | None
    head_name: str | None = Field(description="户主姓名，未授权时仅显示姓 / masked to the family name")
    head_phone: str | None
    masked: list[str]


class TaskAction(enum.StrEnum):
    """What a caller may do with a task now (its status, the transition table and the caller's side)."""

    RECEIVE = "receive"
    ACCEPT = "accept"
    REJECT = "reject"
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    FAIL = "fail"
    COMPLETE = "complete"
    CLAIM = "claim"
    RELEASE = "release"
    ASSIGN = "assign"
    OFFER = "offer"
    VERIFY = "verify"
    REOPEN = "reopen"


class TaskView(View):
    hop: HopView
    referral_id: str
    need_id: str
    need_type: NeedType
    urgency: Urgency
    need_description: str | None
    household: HouseholdBrief
    access: list[str]
    actions: list[TaskAction] | None = Field(
        default=None,
        description="可执行的操作（仅单个任务详情）/ what the caller may do now (GET /tasks/{id} only: "
        "the task routes, plus verify and reopen of its referral)",
    )


class PoolPage(View):
    tasks: list[TaskView]
    total: int = Field(description="可认领任务总数 / tasks the caller may claim, on every page")
    offset: int = Field(description="本页起始位置 / position of this page's first task")
    returned_to_pool: int = Field(
        description="本机构认领后逾期未开始被收回的任务数 / claimed tasks taken back"
    )
    given_back: int = Field(
        description="本机构认领后主动交回任务池的任务数 / claimed tasks this organisation gave back"
    )


class NotificationView(View):
    id: str
    kind: NotificationKind
    recipient_label: str
    recipient_id: str
    subject_label: str
    subject_id: str
    message: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(View):
    total: int
    items: list[NotificationView]


class EscalationAction(View):
    hop_id: str
    referral_id: str
    action: Literal["escalated", "returned_to_pool"]
    level: AllianceLevel | None
    recipient_id: str | None
    overdue_since: datetime | None


class EscalationReport(View):
    now: datetime
    actions: list[EscalationAction]


class DispatchItem(DispatchRequest):
    """One need to dispatch, with the same choices as `POST /needs/{id}/referrals`."""

    need_id: ObjectId
    # Strict: a batch answers 200 with per-item results, so a 0 or "no" must not pass for false.
    pool: StrictBool = False


class DispatchManyRequest(Request):
    """批量派单 / dispatch several needs; each is dispatched on its own (its own transaction)."""

    items: list[DispatchItem] = Field(min_length=1, max_length=200)


class ItemProblem(View):
    """Why one item was refused: the problem (RFC 9457 fields) its own request would have answered."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class DispatchResult(View):
    need_id: str
    outcome: Literal["dispatched", "refused"]
    referral: ReferralView | None = None
    problem: ItemProblem | None = None


class DispatchReport(View):
    """Per need, in the order given: dispatched (with the referral) or refused (with the problem).

    Items dispatched stay dispatched whatever happens to the ones after them.
    """

    dispatched: int
    refused: int
    results: list[DispatchResult]
