"""Region codes for generated ID numbers that python-stdnum accepts for the birth year.

stdnum checks the first six digits against the codes that existed when the person was born
(龙南县 was 360727 from 1998 to 2020 and is 龙南市 360783 since), so a generator must pick the code
the county had in that year.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_ENTRY = re.compile(r'^  (\d{4}) county="(?:\[(\d*)-(\d*)\])?(.+)"')
_SUFFIX = re.compile(r"(自治县|自治旗|县|市|区|旗|特区|林区)$")


@cache
def _table() -> dict[str, list[tuple[str, int, int, str]]]:
    """Province code -> [(six-digit code, first year, last year, core name)]."""
    text = resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8")
    table: dict[str, list[tuple[str, int, int, str]]] = {}
    province = ""
    for line in text.splitlines():
        if re.match(r"^\d{2} ", line):
            province = line[:2]
            continue
        match = _ENTRY.match(line)
        if match and province:
            code, first, last, name = match.groups()
            table.setdefault(province, []).append(
                (province + code, int(first or 0), int(last or 9999), _SUFFIX.sub("", name))
            )
    return table


@cache
def birth_region(county_code: str, year: int) -> str:
    """A six-digit region code valid in `year` for the county `county_code` (or a neighbour)."""
    county = county_code[:6]
    entries = _table().get(county[:2], [])
    valid = [e for e in entries if e[1] <= year <= e[2] and not e[0].endswith("00")]
    names = {e[3] for e in entries if e[0] == county}
    for code, *_rest in (e for e in valid if e[3] in names):
        return code
    same_prefecture = [e for e in valid if e[0][:4] == county[:4] and e[0][4:] != "01"]
    if same_prefecture:
        return same_prefecture[0][0]
    same_province = [e for e in valid if e[0][4:] not in ("00", "01")]
    return same_province[0][0] if same_province else county
