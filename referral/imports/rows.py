"""One input row as a mapping read it: the contract between reading a file and merging it.

`ParsedRow` is what `SourceRecord.parsed_json` holds. A value the file did not give is None (not
zero), so merging never overwrites a registry value with a missing one. Money is integer fen.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from graph.model.enums import (
    DisabilityKind,
    HealthStatus,
    IdNumberIssue,
    LabourAbility,
    RelationToHead,
    SchoolingStage,
    Sex,
    TargetGroup,
)


class _Parsed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParsedPerson(_Parsed):
    """A person's values as a row gives them."""

    name: str = Field(min_length=1, max_length=100)
    id_number: str | None = None  # valid 18-digit (15-digit converted): usable as an exact key
    id_number_raw: str | None = None  # as given, when it is not valid
    id_number_issue: IdNumberIssue | None = None
    sex: Sex | None = None
    birth_date: date | None = None
    relation_to_head: RelationToHead | None = None
    phone: str | None = None
    health: HealthStatus | None = None
    illnesses: list[str] | None = None
    disability_grade: int | None = Field(default=None, ge=1, le=4)
    disability_kind: DisabilityKind | None = None
    labour_ability: LabourAbility | None = None
    schooling: SchoolingStage | None = None
    employed: bool | None = None
    works_outside_city: bool | None = None
    income_wage_fen: int | None = None
    deceased_on: date | None = None


class ParsedHousehold(_Parsed):
    """Household values a row gives (a household row, or the household columns of a member row)."""

    village_code: str  # 12 digits, resolved from a code or a village name of the batch's area
    village_name_raw: str | None = None  # as written, when it was a name
    address: str | None = None
    urban: bool | None = None
    categories: list[TargetGroup] | None = None
    member_count: int | None = Field(default=None, ge=0, le=100)
    housing_safe: bool | None = None
    drinking_water_safe: bool | None = None
    medical_insured: bool | None = None
    income_wage_fen: int | None = None
    income_operating_fen: int | None = None
    income_property_fen: int | None = None
    income_transfer_fen: int | None = None
    income_pension_fen: int | None = None
    income_excluded_fen: int | None = None
    expense_medical_fen: int | None = None
    expense_disability_fen: int | None = None
    expense_schooling_fen: int | None = None
    expense_job_fen: int | None = None
    deposits_fen: int | None = None
    house_count: int | None = Field(default=None, ge=0)
    vehicle_count: int | None = Field(default=None, ge=0)


class RowFlag(_Parsed):
    """A questionable value that went in: never used as an exact-match key, listed in the report."""

    code: str  # e.g. "id_checksum", "id_legacy_15", "birth_date_mismatch", "id_missing"
    field: str
    value: str | None
    note: str  # zh / en


class RowError(_Parsed):
    """Why a row cannot be used: it is rejected and produces nothing."""

    field: str
    value: str | None
    reason: str  # zh / en


class ParsedRow(_Parsed):
    """A usable row: its household key, the household and person values, flags and the rest."""

    household_key: str | None = None  # the source's household number; rows with one key are one household
    is_head: bool = False
    household: ParsedHousehold | None = None
    person: ParsedPerson | None = None
    flags: list[RowFlag] = Field(default_factory=list)
    # Values kept for later use that the registry has no property for (e.g. a medical self-payment).
    extra: dict[str, str | int | None] = Field(default_factory=dict)
