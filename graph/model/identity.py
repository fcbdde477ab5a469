"""Identifiers with rules of their own: resident ID numbers (GB 11643) and division codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import AfterValidator
from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from graph.model.enums import AreaLevel, IdNumberIssue, Sex


@dataclass(frozen=True, slots=True)
class IdNumberCheck:
    """The outcome of checking an ID number as given by a source."""

    raw: str
    number: str | None  # the valid 18-digit form, or None
    issue: IdNumberIssue | None
    birth_date: date | None = None
    sex: Sex | None = None

    @property
    def valid(self) -> bool:
        return self.number is not None


def _upgrade_legacy(number: str) -> str:
    """Convert a 15-digit (1980s-1990s) ID number to its 18-digit form."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def check_id_number(raw: str) -> IdNumberCheck:
    """Check a resident ID number with python-stdnum, never raising.

    15-digit legacy numbers are converted to 18 digits. python-stdnum looks up the region code in
    its table of codes valid in the birth year and raises KeyError for some unknown codes (for
    example 620201198506203729) instead of a validation error, so that case is reported as
    `IdNumberIssue.REGION` here.
    """
    compact = re.sub(r"[\s-]", "", raw or "").upper()
    if len(compact) == 15 and compact.isdigit():
        try:
            ric.get_birth_date(compact[:6] + "19" + compact[6:] + "0")
        except (ValidationError, ValueError):
            return IdNumberCheck(raw, None, IdNumberIssue.BIRTH_DATE)
        compact = _upgrade_legacy(compact)
    issue: IdNumberIssue | None = None
    try:
        number = ric.validate(compact)
    except InvalidLength:
        issue = IdNumberIssue.LENGTH
    except InvalidFormat:
        issue = IdNumberIssue.FORMAT
    except InvalidChecksum:
        issue = IdNumberIssue.CHECKSUM
    except InvalidComponent:
        # stdnum raises InvalidComponent for both a bad birth date and an unknown region.
        try:
            ric.get_birth_date(compact)
            issue = IdNumberIssue.REGION
        except (ValidationError, ValueError):
            issue = IdNumberIssue.BIRTH_DATE
    except (ValidationError, KeyError, ValueError):
        issue = IdNumberIssue.REGION
    if issue is not None:
        return IdNumberCheck(raw, None, issue)
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return IdNumberCheck(raw, number, None, ric.get_birth_date(number), sex)


def _valid_id_number(value: str) -> str:
    result = check_id_number(value)
    if result.number is None:
        assert result.issue is not None
        raise ValueError(f"not a valid resident ID number: {result.issue.en.lower()}")
    return result.number


IdNumber = Annotated[str, AfterValidator(_valid_id_number)]
"""A valid 18-digit resident ID number (15-digit input is converted)."""


# (level, digits that name it); the rest of the 12 digits are zeros.
_LEVEL_DIGITS = (
    (AreaLevel.VILLAGE, 9, 12),
    (AreaLevel.TOWNSHIP, 6, 9),
    (AreaLevel.COUNTY, 4, 6),
    (AreaLevel.PREFECTURE, 2, 4),
    (AreaLevel.PROVINCE, 0, 2),
)
GRID_SUFFIX_DIGITS = 3


def level_of_code(code: str) -> AreaLevel:
    """The level of a canonical division code (12 digits; grids 15), or ValueError."""
    if not code.isdigit() or len(code) not in (12, 12 + GRID_SUFFIX_DIGITS):
        raise ValueError(
            f"division code {code!r} must be 12 digits (grids: 12-digit village code + 3 digits)"
        )
    if len(code) == 12 + GRID_SUFFIX_DIGITS:
        if code[12:] == "000" or code[9:12] == "000":
            raise ValueError(f"grid code {code!r} must extend a village code with a non-zero number")
        return AreaLevel.GRID
    for level, first, last in _LEVEL_DIGITS:
        if code[first:last].strip("0") and not code[last:].strip("0"):
            return level
    raise ValueError(f"division code {code!r} names no area (all zeros)")


def canonical_code(code: str) -> str:
    """Pad a short official code (2, 4, 6, 9 digits) to the 12-digit form."""
    code = code.strip()
    if code.isdigit() and len(code) in (2, 4, 6, 9):
        return code.ljust(12, "0")
    return code


def parent_code(code: str) -> str | None:
    """The code of the area directly above `code` (None for a province)."""
    level = level_of_code(code)
    if level is AreaLevel.GRID:
        return code[:12]
    for candidate, first, _last in _LEVEL_DIGITS:
        if candidate is level:
            return code[:first].ljust(12, "0") if first else None
    raise AssertionError(level)


def _valid_division_code(value: str) -> str:
    value = canonical_code(value)
    level_of_code(value)
    return value


DivisionCode = Annotated[str, AfterValidator(_valid_division_code)]
"""A statistical division code (统计用区划代码), canonical 12-digit form; grids 15 digits."""


def _village_code(value: str) -> str:
    value = _valid_division_code(value)
    if level_of_code(value) is not AreaLevel.VILLAGE:
        raise ValueError(f"{value} is not a village-level code")
    return value


VillageCode = Annotated[str, AfterValidator(_village_code)]
"""A 12-digit village or community code."""
