"""ID numbers (GB 11643 via python-stdnum) and statistical division codes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from graph.model import check_id_number, level_of_code, parent_code
from graph.model.enums import AreaLevel, IdNumberIssue, Sex
from graph.model.identity import canonical_code
from seeds.regions import birth_region

VALID = "11010519491231002X"


def test_valid_number_gives_birth_date_and_sex() -> None:
    result = check_id_number(VALID)
    assert result.valid and result.number == VALID
    assert result.birth_date == date(1949, 12, 31)
    assert result.sex is Sex.FEMALE


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        ("110105194912310021", IdNumberIssue.CHECKSUM),
        ("620201198506203729", IdNumberIssue.REGION),  # stdnum raises KeyError here; we do not
        ("110105194913310021", IdNumberIssue.BIRTH_DATE),
        ("11010519491231", IdNumberIssue.LENGTH),
        ("1101051949123100AX", IdNumberIssue.FORMAT),
        ("", IdNumberIssue.LENGTH),
    ],
)
def test_invalid_numbers_are_reported_with_their_reason(raw: str, issue: IdNumberIssue) -> None:
    result = check_id_number(raw)
    assert not result.valid
    assert result.issue is issue


def test_legacy_15_digit_number_is_converted_to_18() -> None:
    result = check_id_number("110105491231002")
    assert result.number == VALID


def test_lower_case_x_spaces_and_full_width_digits_are_normalised() -> None:
    assert check_id_number(" 110105 19491231 002x ").number == VALID
    assert check_id_number("１１０１０５１９４９１２３１００２Ｘ").number == VALID


def test_non_ascii_digits_are_a_format_issue() -> None:
    assert check_id_number("11010519491231002²").issue is IdNumberIssue.CHECKSUM  # NFKC: ² -> 2
    assert check_id_number("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X").issue is not None


@given(st.text(max_size=30))
def test_checking_never_raises(raw: str) -> None:
    result = check_id_number(raw)
    assert result.valid == (result.issue is None)


@given(
    born=st.dates(min_value=date(1950, 1, 1), max_value=date(2025, 12, 31)),
    serial=st.integers(0, 999),
)
def test_numbers_made_for_any_birth_year_are_valid(born: date, serial: int) -> None:
    body = f"{birth_region('360783000000', born.year)}{born:%Y%m%d}{serial:03d}"
    number = body + ric.calc_check_digit(body + "0")
    result = check_id_number(number)
    assert result.valid, (number, result.issue)
    assert result.birth_date == born
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert check_id_number(wrong).issue is IdNumberIssue.CHECKSUM


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("360000000000", AreaLevel.PROVINCE, None),
        ("360700000000", AreaLevel.PREFECTURE, "360000000000"),
        ("360783000000", AreaLevel.COUNTY, "360700000000"),
        ("360783100000", AreaLevel.TOWNSHIP, "360783000000"),
        ("360783100201", AreaLevel.VILLAGE, "360783100000"),
        ("360783100201003", AreaLevel.GRID, "360783100201"),
    ],
)
def test_division_code_levels_and_parents(code: str, level: AreaLevel, parent: str | None) -> None:
    assert level_of_code(code) is level
    assert parent_code(code) == parent


@pytest.mark.parametrize(
    "code", ["000000000000", "36078310020", "3607831002011", "36078310020a", "360783100201000"]
)
def test_malformed_division_codes_are_rejected(code: str) -> None:
    with pytest.raises(ValueError, match="code"):
        level_of_code(code)


def test_short_official_codes_are_padded() -> None:
    assert canonical_code("360783") == "360783000000"
    assert canonical_code("360783100") == "360783100000"


@given(st.from_regex(r"[1-6][0-9]{5}[0-9]{3}[0-9]{3}", fullmatch=True))
def test_every_code_with_a_level_has_a_parent_above_it(code: str) -> None:
    try:
        level = level_of_code(code)
    except ValueError:
        return
    parent = parent_code(code)
    if level is AreaLevel.PROVINCE:
        assert parent is None
    else:
        assert parent is not None and code.startswith(parent.rstrip("0")[:2])
        assert list(AreaLevel).index(level_of_code(parent)) < list(AreaLevel).index(level)
