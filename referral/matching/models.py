"""What matching answers with: reason codes, score parts, candidates, the batch proposal and the plan.

Pure pydantic views and labelled enums; nothing here reads the store.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from graph.model.base import LabelledEnum
from graph.model.enums import NeedStatus, NeedType, ResourceKind, TargetGroup, Urgency


class Exclusion(LabelledEnum):
    """Why a resource is not offered for a need or a household (one code per rule)."""

    INACTIVE = ("inactive", "资源已停用", "The resource is inactive")
    NEED_TYPE = ("need_type", "不提供该类需求", "The resource does not serve this type of need")
    TARGET_GROUP = ("target_group", "不属于适用对象", "The household is not in the resource's target groups")
    URBAN_RURAL = ("urban_rural", "城乡类别不符", "The resource is for urban (or rural) households only")
    AGE = ("age", "无成员符合年龄条件", "No member is within the age range")
    DISABILITY = ("disability", "需有残疾成员", "The resource requires a disabled member")
    LABOUR_ABILITY = ("labour_ability", "劳动能力不符", "No member has an accepted labour ability")
    SKILLS = ("skills", "缺少所需技能", "No member has the required skills")
    PERSON_CONDITIONS = (
        "person_conditions",
        "无同一成员同时满足各项条件",
        "No one member meets all the person conditions together",
    )
    OUT_OF_AREA = ("out_of_area", "不在服务范围", "The household lives outside the service area")
    NO_CAPACITY = ("no_capacity", "名额已满", "No capacity left")
    ALREADY_RECEIVED = ("already_received", "已在享受", "The household already receives it")
    STACKING = (
        "stacking",
        "已享受同类相同或更高待遇(就高不就低、不重复享受)",
        "Already receives an equal or better benefit of the same stacking group",
    )


class UnmetReason(LabelledEnum):
    """Why a need is left without a resource in a batch proposal (the coordinator's gap list)."""

    NO_ELIGIBLE = ("no_eligible", "无符合条件的资源", "No eligible resource at all")
    CAPACITY = ("capacity", "符合条件的资源名额已满", "Every eligible resource is full")
    STACKING = ("stacking", "同类待遇不重复享受", "Only resources of a stacking group the household uses")


class ScorePart(LabelledEnum):
    """The parts of a candidate's score (weights: referral.matching.scoring.WEIGHTS)."""

    FIT = ("fit", "需求类型契合", "Need-type fit")
    URGENCY = ("urgency", "紧急程度", "Urgency")
    RISK = ("risk", "家庭风险等级", "Household risk level")
    DISTANCE = ("distance", "距离", "Distance")
    LOAD = ("load", "机构负荷", "Provider load")
    BENEFIT = ("benefit", "待遇水平", "Benefit size")


class Finding(BaseModel):
    """One rule a resource fails, with a human-readable detail naming the rule and the values."""

    reason: Exclusion
    label_zh: str
    label_en: str
    detail: str | None  # None: the detail shows member data the caller may not see
    masked: bool = False


class ResourceBrief(BaseModel):
    id: str
    code: str
    name: str
    kind: ResourceKind
    provider_id: str | None
    stacking_group: str | None
    benefit: str | None


class Candidate(BaseModel):
    """An eligible resource for a need, with its score and its parts."""

    resource: ResourceBrief
    score: int
    parts: dict[ScorePart, int]
    distance_km: float | None
    provider_load: float | None
    remaining_capacity: int | None  # None: not limited
    replaces: str | None = None  # code of a received benefit of the same group this one betters


class Excluded(BaseModel):
    resource: ResourceBrief
    findings: list[Finding]


class CandidateList(BaseModel):
    """Ranked candidates for one need and the resources of its type that were excluded, with why."""

    need_id: str
    household_id: str
    need_type: NeedType
    urgency: Urgency
    candidates: list[Candidate]
    excluded: list[Excluded]
    not_serving_type: int = Field(description="resources that do not serve this type of need at all")


class BatchRequest(BaseModel):
    area_code: str = Field(pattern=r"^[0-9]{12}$", description="a county, township or village code")


class Assignment(BaseModel):
    need_id: str
    household_id: str
    village_code: str
    need_type: NeedType
    urgency: Urgency
    resource: ResourceBrief
    cost: int
    cost_parts: dict[ScorePart, int]
    distance_km: float | None
    replaces: str | None = None


class UnmetNeed(BaseModel):
    need_id: str
    household_id: str
    village_code: str
    need_type: NeedType
    urgency: Urgency
    reason: UnmetReason
    reasons_seen: dict[Exclusion, int] = Field(default_factory=dict)


class BatchProposal(BaseModel):
    """A globally optimal assignment of an area's open needs (a proposal: nothing is dispatched)."""

    area_code: str
    generated_at: datetime
    needs: int
    resources: int
    arcs: int
    assigned: int
    total_cost: int = Field(description="the optimum: assignment costs plus the unmet penalties")
    assigned_cost: int
    unmet_cost_each: int
    solver_ms: float
    assignments: list[Assignment]
    unmet: list[UnmetNeed]
    unmet_by_reason: dict[UnmetReason, int]


class PlanItemView(BaseModel):
    resource: ResourceBrief
    need_ids: list[str]
    need_types: list[NeedType]
    score: int | None
    reason: str | None
    received: bool = False


class PlanView(BaseModel):
    """A one-household plan (一户一策): qualifying policies and matched resources for its open needs."""

    id: str
    household_id: str
    household_version: int
    generated_at: datetime
    generated_by: str
    regenerated: bool = Field(description="generated by this request (new, forced or stale)")
    groups: list[TargetGroup]
    policies: list[PlanItemView]
    services: list[PlanItemView]
    open_needs: list[str]


class BoardNeed(BaseModel):
    """A need on the dispatch board with its best candidates (explained by their score parts).

    `head_name` and `description` are shown when the caller sees names or health data unmasked,
    else null and listed in `masked`.
    """

    need_id: str
    household_id: str
    village_code: str
    village_name: str | None
    need_type: NeedType
    need_type_zh: str
    urgency: Urgency
    status: NeedStatus
    report_count: int
    created_at: datetime
    head_name: str | None
    description: str | None
    risk_level: int | None
    candidates: list[Candidate]
    eligible: int | None = Field(description="eligible resources in all (null: candidates not asked for)")
    masked: list[str]


class NeedBoard(BaseModel):
    """A page of the dispatch board: needs of an area in one status, urgent first, then oldest first."""

    area_code: str | None
    status: NeedStatus
    total: int
    limit: int
    offset: int
    generated_at: datetime
    items: list[BoardNeed]
