"""What the registry API reads and writes: views with private data masked per caller, and updates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from graph.model.base import Fen
from graph.model.enums import (
    AreaLevel,
    DisabilityKind,
    HealthStatus,
    IdNumberIssue,
    LabourAbility,
    NeedStatus,
    NeedType,
    PiiScope,
    RelationToHead,
    SchoolingStage,
    Sex,
    TargetGroup,
    Urgency,
)

# A grid code (`GridCode`): a village code and a grid number, neither all zeros. As a pattern, so
# the API document states it; every code it admits is a valid grid code.
_NONZERO3 = "(?:[0-9]{2}[1-9]|[0-9][1-9][0-9]|[1-9][0-9]{2})"
_GRID_CODE = rf"^[1-9][0-9]{{8}}{_NONZERO3}{_NONZERO3}$"

Limit = Annotated[int, Field(ge=1, le=200, description="page size")]
Offset = Annotated[int, Field(ge=0, le=1_000_000, description="rows to skip")]


class View(BaseModel):
    """Base of every view: fields a caller may not see are null and named in `masked`."""

    model_config = ConfigDict(extra="forbid")


class AreaNode(View):
    code: str
    name: str
    level: AreaLevel
    parent_code: str | None
    in_scope: bool = Field(description="within the caller's areas (false: shown as an ancestor)")
    children: list[AreaNode] = Field(default_factory=list)


class PersonView(View):
    id: str
    name: str = Field(description="full name, or the family name and * when masked")
    relation_to_head: RelationToHead
    sex: Sex | None
    age: int | None = Field(description="age in whole years on the day of the request")
    birth_date: date | None
    id_number: str | None = Field(description="18 digits, or e.g. 3607**********1234 when masked")
    id_number_raw: str | None
    id_number_issue: IdNumberIssue | None
    phone: str | None
    health: HealthStatus | None
    illnesses: list[str] | None
    disability_grade: int | None
    disability_kind: DisabilityKind | None
    labour_ability: LabourAbility | None
    skills: list[str]
    schooling: SchoolingStage | None
    employed: bool | None
    income_wage_fen: int | None
    deceased: bool
    masked: list[str]


class IncomeView(View):
    """Yearly income by component, rigid expenditure and property, in fen."""

    income_wage_fen: int
    income_operating_fen: int
    income_property_fen: int
    income_transfer_fen: int
    income_pension_fen: int
    income_excluded_fen: int
    expense_medical_fen: int
    expense_disability_fen: int
    expense_schooling_fen: int
    expense_job_fen: int
    deposits_fen: int
    house_count: int
    vehicle_count: int


class NeedView(View):
    id: str
    type: NeedType
    urgency: Urgency
    status: NeedStatus
    description: str | None
    report_count: int
    created_at: datetime
    masked: list[str]


class ConsentView(View):
    id: str
    organisation_id: str
    organisation_name: str | None
    scopes: list[PiiScope]
    purpose: str
    given_by_person_id: str | None
    given_at: datetime
    valid_until: date | None
    revoked_at: datetime | None
    recorded_by: str
    active: bool


class HouseholdSummary(View):
    id: str
    village_code: str
    village_name: str | None
    head_name: str | None
    member_count: int
    categories: list[TargetGroup]
    risk_level: int | None
    updated_at: datetime


class HouseholdPage(View):
    total: int
    limit: int
    offset: int
    items: list[HouseholdSummary]


class HouseholdDetail(View):
    id: str
    version: int = Field(description="send it back as If-Match to update")
    access: Literal["area", "assignment"] = Field(description="why the caller may see it")
    village_code: str
    village_name: str | None
    township_code: str
    township_name: str | None
    grid_code: str | None
    address: str | None
    urban: bool
    head_person_id: str | None
    member_count: int
    categories: list[TargetGroup]
    risk_level: int | None
    housing_safe: bool | None
    drinking_water_safe: bool | None
    medical_insured: bool | None
    income: IncomeView | None
    members: list[PersonView]
    needs: list[NeedView]
    consents: list[ConsentView]
    created_at: datetime
    updated_at: datetime
    masked: list[str]


class HouseholdUpdate(BaseModel):
    """Changes to a household's own facts; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    address: str | None = Field(default=None, max_length=500)
    grid_code: Annotated[str, StringConstraints(pattern=_GRID_CODE)] | None = None  # a GridCode
    urban: bool | None = None
    housing_safe: bool | None = None
    drinking_water_safe: bool | None = None
    medical_insured: bool | None = None
    income_wage_fen: Fen | None = None
    income_operating_fen: Fen | None = None
    income_property_fen: Fen | None = None
    income_transfer_fen: Fen | None = None
    income_pension_fen: Fen | None = None
    income_excluded_fen: Fen | None = None
    expense_medical_fen: Fen | None = None
    expense_disability_fen: Fen | None = None
    expense_schooling_fen: Fen | None = None
    expense_job_fen: Fen | None = None
    deposits_fen: Fen | None = None
    house_count: int | None = Field(default=None, ge=0, le=1000)
    vehicle_count: int | None = Field(default=None, ge=0, le=1000)


class ConsentCreate(BaseModel):
    """A household's consent, as recorded by staff (who saw it signed)."""

    model_config = ConfigDict(extra="forbid")

    organisation_id: str = Field(min_length=1, max_length=64)
    scopes: list[PiiScope] = Field(min_length=1)
    purpose: str = Field(min_length=1, max_length=500, pattern=r"\S")  # not blank: the node strips it
    given_by_person_id: str | None = Field(default=None, min_length=1, max_length=64)
    valid_until: date | None = None


class ConsentRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, pattern=r"\S")


class AreaFigures(View):
    code: str
    name: str
    households: int
    by_risk_level: dict[str, int]
    by_category: dict[str, int]


class HouseholdFigures(View):
    """Counts only: no household, person or private value."""

    households: int
    areas: list[AreaFigures]
