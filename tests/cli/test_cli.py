"""The `zhulian` command, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph.model import NODE_TYPES, REL_TYPES

ROOT = Path(__file__).resolve().parents[2]


def zhulian(*args: str, store: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHULIAN_")}
    env["ZHULIAN_STORE"] = str(store)
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_init_twice_then_info_json_shows_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "zhulian.db"
    first, second = zhulian("init", store=db), zhulian("init", store=db)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    result = zhulian("info", "--json", store=db)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert str(db) in info["store"]
    assert set(info["nodes"]) == set(NODE_TYPES) and set(info["relationships"]) == set(REL_TYPES)
    assert all(count == 0 for count in info["nodes"].values())
    assert "uq_User_username" in info["constraints"]
    assert "ix_Need_status" in info["indexes"]


def test_demo_makes_a_fresh_store_of_the_real_county_and_reports_it(tmp_path: Path) -> None:
    demo = tmp_path / "demo.db"
    result = zhulian(
        "demo", "--households", "300", "--store", str(demo), "--no-serve", store=tmp_path / "unused.db"
    )
    assert result.returncode == 0, result.stderr
    for shown in ("龙南市 360783000000", "龙南镇", "Households", "Overdue hops", str(demo)):
        assert shown in result.stdout
    info = json.loads(zhulian("info", "--json", store=demo).stdout)
    assert info["nodes"]["Household"] == 300
    assert info["nodes"]["Area"] == 125  # 龙南市: 1 county, 16 township-level units, 108 villages
    assert info["nodes"]["ReferralHop"] > 0
    assert not (tmp_path / "unused.db").exists()  # the configured store is never touched by a demo
    again = zhulian(
        "demo", "--households", "300", "--store", str(demo), "--no-serve", store=tmp_path / "unused.db"
    )
    assert again.returncode == 0
    assert json.loads(zhulian("info", "--json", store=demo).stdout)["nodes"] == info["nodes"]


def test_seed_streams_a_county_into_the_configured_store_without_doubling(tmp_path: Path) -> None:
    db = tmp_path / "z.db"
    args = ("seed", "--county", "511123", "--households", "50", "--seed", "3", "--now", "2026-10-01T08:00:00")
    first = zhulian(*args, store=db)
    assert first.returncode == 0, first.stderr
    info = json.loads(zhulian("info", "--json", store=db).stdout)
    assert info["nodes"]["Household"] == 50
    assert info["nodes"]["Area"] == 219  # 犍为县, from the 乐山市 extract
    assert zhulian(*args, store=db).returncode == 0
    assert json.loads(zhulian("info", "--json", store=db).stdout)["nodes"] == info["nodes"]


def test_seed_of_an_unknown_county_says_which_extracts_exist(tmp_path: Path) -> None:
    result = zhulian("seed", "--county", "999999", store=tmp_path / "z.db")
    assert result.returncode != 0
    assert "999999" in result.stderr and "areas-360783.csv" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("ftp://example/zhulian", "unsupported scheme 'ftp'"),
        ("{tmp}", "is a directory"),
        ("{tmp}/missing.db", "run `zhulian init` first"),
        ("bolt://127.0.0.1:9", "cannot reach Neo4j"),
    ],
)
def test_bad_configuration_gets_one_clear_line(tmp_path: Path, store: str, message: str) -> None:
    result = zhulian("info", store=store.format(tmp=tmp_path))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) <= 2, result.stderr  # the driver's message may wrap once; no traceback
    assert "Traceback" not in result.stderr
    assert message in result.stderr


def test_not_a_store_file_is_reported_clearly(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("this is not sqlite " * 100)
    result = zhulian("info", store=junk)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "junk.db" in result.stderr
