"""How private values look to a caller who may not see them: partly hidden, never the whole value.

ID numbers keep the first 4 and last 4 characters (`3607**********1234`), phones the first 3 and last
4, names the family name. Values with no useful partial form are withheld (None) and their field is
listed in the view's `masked`.
"""

from __future__ import annotations

from graph.model.enums import PiiScope

# Which scope opens which field of a view.
PERSON_FIELDS: dict[str, PiiScope] = {
    "name": PiiScope.NAME,
    "id_number": PiiScope.ID_NUMBER,
    "id_number_raw": PiiScope.ID_NUMBER,
    "birth_date": PiiScope.ID_NUMBER,  # the ID number spells it out
    "phone": PiiScope.PHONE,
    "health": PiiScope.HEALTH,
    "illnesses": PiiScope.HEALTH,
    "disability_grade": PiiScope.HEALTH,
    "disability_kind": PiiScope.HEALTH,
    "income_wage_fen": PiiScope.INCOME,
}
HOUSEHOLD_FIELDS: dict[str, PiiScope] = {
    "address": PiiScope.ADDRESS,
    "income": PiiScope.INCOME,
}
NEED_FIELDS: dict[str, PiiScope] = {"description": PiiScope.HEALTH}


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    """Replace all but the first and last few characters with `*` (short values become all `*`)."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def mask_id_number(value: str) -> str:
    """`360783198506203729` -> `3607**********3729`."""
    return mask_middle(value, 4, 4)


def mask_phone(value: str) -> str:
    """`13812345678` -> `138****5678`; an office line keeps its area code."""
    if "-" in value:
        area, _, number = value.partition("-")
        return f"{area}-{mask_middle(number, 0, 4)}"
    return mask_middle(value, 3, 4)


def mask_name(value: str) -> str:
    """`张三丰` -> `张**`: the family name only."""
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else "*"
