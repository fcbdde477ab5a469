"""Households and their members: the registry unit and the people it monitors."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Self

from pydantic import Field, model_validator

from graph.model.base import Fen, Node, NonEmptyStr, UtcDateTime
from graph.model.enums import (
    DisabilityKind,
    HealthStatus,
    IdNumberIssue,
    LabourAbility,
    RelationToHead,
    SchoolingStage,
    Sex,
    SourceSystem,
    TargetGroup,
)
from graph.model.identity import GridCode, IdNumber, VillageCode

_PHONE_PATTERN = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"


class Household(Node):
    """A household (户): the unit assistance is applied for.

    Yearly amounts are in fen. Income is kept by component and expenditure by kind because the two
    identification standards count them differently (DOMAIN.md section 4).
    """

    LABEL: ClassVar[str] = "Household"
    INDEXED: ClassVar[tuple[str, ...]] = ("village_code", "risk_level", "updated_at")
    PII: ClassVar[frozenset[str]] = frozenset(
        {
            "address",
            "categories",
            "income_wage_fen",
            "income_operating_fen",
            "income_property_fen",
            "income_transfer_fen",
            "income_pension_fen",
            "income_excluded_fen",
            "expense_medical_fen",
            "expense_disability_fen",
            "expense_schooling_fen",
            "expense_job_fen",
            "deposits_fen",
            "house_count",
            "vehicle_count",
        }
    )

    id: NonEmptyStr
    village_code: VillageCode
    grid_code: GridCode | None = None
    address: str | None = Field(default=None, max_length=500)
    urban: bool = False
    head_person_id: str | None = None
    member_count: int = Field(default=0, ge=0, le=100)
    categories: list[TargetGroup] = Field(default_factory=list)
    sources: list[SourceSystem] = Field(default_factory=list)
    risk_level: int | None = Field(default=None, ge=1, le=3)
    # Anti-poverty indicators (两不愁三保障).
    housing_safe: bool | None = None
    drinking_water_safe: bool | None = None
    medical_insured: bool | None = None
    # Yearly income by component, in fen.
    income_wage_fen: Fen = 0
    income_operating_fen: Fen = 0
    income_property_fen: Fen = 0
    income_transfer_fen: Fen = 0
    income_pension_fen: Fen = 0  # basic pension of the residents' basic pension insurance
    income_excluded_fen: Fen = 0  # awards, care payments, assistance: not counted by either standard
    # Yearly rigid expenditure, in fen.
    expense_medical_fen: Fen = 0
    expense_disability_fen: Fen = 0
    expense_schooling_fen: Fen = 0
    expense_job_fen: Fen = 0
    # Property.
    deposits_fen: Fen = 0
    house_count: int = Field(default=0, ge=0)
    vehicle_count: int = Field(default=0, ge=0)
    created_at: UtcDateTime
    updated_at: UtcDateTime
    version: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _check_grid(self) -> Self:
        if self.grid_code is not None and not self.grid_code.startswith(self.village_code):
            raise ValueError(f"grid {self.grid_code} is not in village {self.village_code}")
        return self


class Person(Node):
    """A member of a household.

    `id_number` holds only a valid 18-digit number, usable as a linkage key. A number a source gave
    that is not valid is kept in `id_number_raw` with the reason in `id_number_issue`, so the person
    never drops out of the registry.
    """

    LABEL: ClassVar[str] = "Person"
    INDEXED: ClassVar[tuple[str, ...]] = ("household_id", "id_number", "name")
    PII: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "id_number",
            "id_number_raw",
            "birth_date",
            "phone",
            "health",
            "illnesses",
            "disability_grade",
            "disability_kind",
            "income_wage_fen",
        }
    )

    id: NonEmptyStr
    household_id: NonEmptyStr
    name: NonEmptyStr = Field(max_length=100)
    id_number: IdNumber | None = None
    id_number_raw: str | None = Field(default=None, max_length=40)
    id_number_issue: IdNumberIssue | None = None
    sex: Sex | None = None
    birth_date: date | None = None
    relation_to_head: RelationToHead = RelationToHead.OTHER
    phone: str | None = Field(default=None, pattern=_PHONE_PATTERN)
    health: HealthStatus = HealthStatus.HEALTHY
    illnesses: list[str] = Field(default_factory=list)
    disability_grade: int | None = Field(default=None, ge=1, le=4)
    disability_kind: DisabilityKind | None = None
    labour_ability: LabourAbility | None = None
    skills: list[str] = Field(default_factory=list)
    schooling: SchoolingStage | None = None
    employed: bool | None = None
    works_outside_city: bool = False
    income_wage_fen: Fen = 0
    deceased_on: date | None = None
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @model_validator(mode="after")
    def _check_disability(self) -> Self:
        if (self.disability_kind is None) != (self.disability_grade is None):
            raise ValueError("disability_kind and disability_grade go together")
        if self.id_number is not None and self.id_number_issue is not None:
            raise ValueError("a valid id_number cannot carry an id_number_issue")
        return self
