"""Resources a need can be matched to: policies, services, jobs, training, volunteers."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from graph.model.base import Fen, Node, NonEmptyStr, UtcDateTime
from graph.model.enums import (
    AssistanceKind,
    Department,
    LabourAbility,
    NeedType,
    ResourceKind,
    TargetGroup,
)
from graph.model.identity import DivisionCode


class Resource(Node):
    """An entry of the policy pool, a service project, a job, a training place or a volunteer offer.

    Benefits of the same `stacking_group` are not stacked: a household gets the best one
    (就高不就低、不重复享受).
    """

    LABEL: ClassVar[str] = "Resource"
    UNIQUE: ClassVar[tuple[str, ...]] = ("code",)
    INDEXED: ClassVar[tuple[str, ...]] = ("kind", "provider_id", "stacking_group")

    id: NonEmptyStr
    code: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    kind: ResourceKind
    name: NonEmptyStr
    description: str | None = Field(default=None, max_length=4000)
    assistance_kind: AssistanceKind | None = None
    department: Department | None = None
    provider_id: str | None = None
    need_types: list[NeedType] = Field(min_length=1)
    target_groups: list[TargetGroup] = Field(default_factory=list)  # empty: open to all in need
    stacking_group: str | None = None
    benefit: str | None = None
    benefit_amount_fen: Fen | None = None
    benefit_rate_pct: int | None = Field(default=None, ge=0, le=100)
    deductible_fen: Fen | None = None
    yearly_cap_fen: Fen | None = None
    # Conditions of eligibility.
    min_age: int | None = Field(default=None, ge=0, le=150)
    max_age: int | None = Field(default=None, ge=0, le=150)
    requires_disability: bool = False
    labour_abilities: list[LabourAbility] = Field(default_factory=list)
    required_skills: list[str] = Field(default_factory=list)
    # Where and how much.
    service_area_codes: list[DivisionCode] = Field(default_factory=list)
    capacity: int | None = Field(default=None, ge=0)  # None: not limited (entitlements)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    active: bool = True
    created_at: UtcDateTime

    @model_validator(mode="after")
    def _check_ages(self) -> Self:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age} is above max_age {self.max_age}")
        return self
