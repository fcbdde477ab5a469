"""Identifiers with rules of their own: resident ID numbers (GB 11643) and division codes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Annotated

from pydantic import AfterValidator
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

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


_LEGACY = re.compile(r"[0-9]{15}")
_FORM = re.compile(r"[0-9]{17}[0-9X]")


@cache
def _region_issue(region: str, year: int) -> IdNumberIssue | None:
    """Whether a region code existed in a birth year, by python-stdnum's table (cached: slow)."""
    probe = f"{region}{year:04d}0101001"
    probe += ric.calc_check_digit(probe + "0")
    try:
        ric.get_birth_place(probe)
    except (ValidationError, KeyError, ValueError):
        return IdNumberIssue.REGION
    return None


def check_id_number(raw: str) -> IdNumberCheck:
    """Check a resident ID number with python-stdnum, never raising.

    The steps are those of `stdnum.cn.ric.validate` (length, format, check digit, birth date,
    region code valid in the birth year), taken one by one so that the reason is known and the
    region lookup, which depends only on the region code and the birth year, is cached. 15-digit
    legacy numbers are converted to 18 digits. python-stdnum raises KeyError instead of a
    validation error for some unknown regions (for example 620201198506203729); that is reported
    as `IdNumberIssue.REGION` here.
    """
    if raw and len(raw) == 18 and _FORM.fullmatch(raw):
        compact = raw  # already clean: the common case, and generators make millions of these
    else:
        # NFKC turns full-width digits (１１０１…), common in spreadsheet exports, into ASCII.
        compact = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", raw or "")).upper()
    if _LEGACY.fullmatch(compact):
        compact = _upgrade_legacy(compact)
    if len(compact) != 18:
        return IdNumberCheck(raw, None, IdNumberIssue.LENGTH)
    if not _FORM.fullmatch(compact):
        return IdNumberCheck(raw, None, IdNumberIssue.FORMAT)
    if compact[-1] != ric.calc_check_digit(compact):
        return IdNumberCheck(raw, None, IdNumberIssue.CHECKSUM)
    try:
        # The digits are already checked above; stdnum's get_birth_date would clean them again.
        birth = date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
    except ValueError:
        return IdNumberCheck(raw, None, IdNumberIssue.BIRTH_DATE)
    issue = _region_issue(compact[:6], birth.year)
    if issue is not None:
        return IdNumberCheck(raw, None, issue)
    sex = Sex.MALE if int(compact[16]) % 2 == 1 else Sex.FEMALE
    return IdNumberCheck(raw, compact, None, birth, sex)


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


@lru_cache(maxsize=65_536)
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


@lru_cache(maxsize=65_536)
def subtree_prefix(code: str) -> str:
    """The digits every code inside an area's subtree starts with (360783100000 -> 360783100)."""
    level = level_of_code(code)
    if level is AreaLevel.GRID:
        return code
    return next(code[:last] for candidate, _first, last in _LEVEL_DIGITS if candidate is level)


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


def _code_of_level(level: AreaLevel) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = _valid_division_code(value)
        if level_of_code(value) is not level:
            raise ValueError(f"{value} is not a {level.value}-level code")
        return value

    return check


TownshipCode = Annotated[str, AfterValidator(_code_of_level(AreaLevel.TOWNSHIP))]
"""A 12-digit township or street code."""

GridCode = Annotated[str, AfterValidator(_code_of_level(AreaLevel.GRID))]
"""A 15-digit grid code: the village code and the grid's number."""
