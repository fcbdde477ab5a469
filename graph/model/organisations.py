"""Organisations, the three-level alliance, users and consent."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Self

from pydantic import Field, model_validator

from graph.model.base import Node, NonEmptyStr, UtcDateTime
from graph.model.enums import AllianceLevel, AreaLevel, Department, OrganisationKind, PiiScope, Role
from graph.model.identity import DivisionCode, level_of_code


class Organisation(Node):
    """A department, charity, social-work organisation, enterprise, volunteer team or committee."""

    LABEL: ClassVar[str] = "Organisation"
    UNIQUE: ClassVar[tuple[str, ...]] = ("credit_code",)
    INDEXED: ClassVar[tuple[str, ...]] = ("kind", "home_area_code", "name")
    PII: ClassVar[frozenset[str]] = frozenset({"contact_name"})

    id: NonEmptyStr
    kind: OrganisationKind
    name: NonEmptyStr
    # Unified social credit code (统一社会信用代码), 18 characters, when known.
    credit_code: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    department: Department | None = None
    home_area_code: DivisionCode
    # Service area: codes of the areas whose subtrees the organisation serves.
    service_area_codes: list[DivisionCode] = Field(default_factory=list)
    capacity: int | None = Field(default=None, ge=0)  # open tasks it can hold at once
    contact_name: str | None = None  # a person's name: private
    contact_phone: str | None = None  # an organisation's office line: not personal data
    active: bool = True
    created_at: UtcDateTime

    @model_validator(mode="after")
    def _check_department(self) -> Self:
        if (self.kind is OrganisationKind.DEPARTMENT) != (self.department is not None):
            raise ValueError("department is set exactly when kind is 'department'")
        return self


class AllianceBody(Node):
    """An assistance alliance body (助联体) at county, township or village level."""

    _AREA_LEVEL: ClassVar[dict[AllianceLevel, AreaLevel]] = {
        AllianceLevel.COUNTY: AreaLevel.COUNTY,
        AllianceLevel.TOWNSHIP: AreaLevel.TOWNSHIP,
        AllianceLevel.VILLAGE: AreaLevel.VILLAGE,
    }

    LABEL: ClassVar[str] = "AllianceBody"
    UNIQUE: ClassVar[tuple[str, ...]] = ("area_code",)
    INDEXED: ClassVar[tuple[str, ...]] = ("level",)

    id: NonEmptyStr
    level: AllianceLevel
    area_code: DivisionCode
    name: NonEmptyStr
    created_at: UtcDateTime

    @model_validator(mode="after")
    def _check_area_level(self) -> Self:
        expected = self._AREA_LEVEL[self.level]
        if level_of_code(self.area_code) is not expected:
            raise ValueError(f"a {self.level.value} alliance body covers a {expected.value} area code")
        return self


class User(Node):
    """A person who signs in: staff of an area, a department or a provider."""

    LABEL: ClassVar[str] = "User"
    UNIQUE: ClassVar[tuple[str, ...]] = ("username",)
    PII: ClassVar[frozenset[str]] = frozenset({"phone", "password_hash"})

    id: NonEmptyStr
    username: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{2,63}$")
    display_name: NonEmptyStr
    roles: list[Role] = Field(min_length=1)
    area_codes: list[DivisionCode] = Field(default_factory=list)
    organisation_id: str | None = None
    phone: str | None = None
    password_hash: str | None = None
    # Set for a generated one-time password: the user must choose a new one before anything else.
    must_change_password: bool = False
    disabled: bool = False
    created_at: UtcDateTime
    updated_at: UtcDateTime
    version: int = Field(default=1, ge=1)


class Session(Node):
    """A signed-in session: what a refresh token continues and what logout or disabling revokes.

    Only the SHA-256 of the current refresh token is kept; each refresh replaces it (rotation), so a
    replayed old refresh token is recognised and ends the session.
    """

    LABEL: ClassVar[str] = "Session"
    INDEXED: ClassVar[tuple[str, ...]] = ("user_id",)
    PII: ClassVar[frozenset[str]] = frozenset({"client_address"})

    id: NonEmptyStr
    user_id: NonEmptyStr
    refresh_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: UtcDateTime
    refreshed_at: UtcDateTime
    expires_at: UtcDateTime
    revoked_at: UtcDateTime | None = None
    revoked_reason: str | None = None
    client_address: str | None = None


class Consent(Node):
    """A household's consent that an organisation may see some of its private data."""

    LABEL: ClassVar[str] = "Consent"
    INDEXED: ClassVar[tuple[str, ...]] = ("household_id", "organisation_id")

    id: NonEmptyStr
    household_id: NonEmptyStr
    organisation_id: NonEmptyStr
    scopes: list[PiiScope] = Field(min_length=1)
    purpose: NonEmptyStr
    given_by_person_id: str | None = None
    given_at: UtcDateTime
    valid_until: date | None = None
    revoked_at: UtcDateTime | None = None
    recorded_by: NonEmptyStr
