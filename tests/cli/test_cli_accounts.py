"""`zhulian user ...` and `zhulian audit verify`, run as an operator runs them."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.model import Area, AuditEntry, User
from graph.model.enums import AreaLevel
from graph.sqlite.store import SqliteStore
from graph.store import Order, where

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cli-test-signing-key-" + "c" * 32


def zhulian(*args: str, store: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHULIAN_")}
    env["ZHULIAN_STORE"] = str(store)
    env["COLUMNS"] = "200"  # tables of `user list` on one line each
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-accounts") / "demo.db"
    built = zhulian("demo", "--households", "200", "--store", str(path), "--no-serve", store=path)
    assert built.returncode == 0, built.stderr
    assert "demo.village" in built.stdout
    return path


@pytest.fixture(scope="module")
def village(demo_store: Path) -> str:
    with SqliteStore(demo_store) as store:
        code: str = store.run(lambda uow: uow.find(Area, where(level=AreaLevel.VILLAGE))[0].code, write=False)
    return code


@pytest.fixture
def api(demo_store: Path) -> Iterator[TestClient]:
    """The API on the demo store, to sign in as the users the commands made."""
    store = SqliteStore(demo_store)
    try:
        yield TestClient(create_app(Settings(store=str(demo_store), secret_key=SECRET), store=store))
    finally:
        store.close()


def user(store_path: Path, username: str) -> User:
    with SqliteStore(store_path) as store:
        found: list[User] = store.run(lambda uow: uow.find(User, where(username=username)), write=False)
    assert found, username
    return found[0]


def one_time_password(output: str) -> str:
    match = re.search(r"one-time password: (\S+)", output, re.IGNORECASE)
    assert match, output
    return match.group(1)


def sign_in(api: TestClient, username: str, password: str) -> dict[str, object]:
    response = api.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_user_add_prints_a_one_time_password_that_must_be_changed(
    demo_store: Path, village: str, api: TestClient
) -> None:
    result = zhulian(
        "user", "add", "cli.worker", "--role", "village_worker", "--area", village, store=demo_store
    )
    assert result.returncode == 0, result.stderr
    password = one_time_password(result.stdout)
    assert len(password) >= 12
    assert user(demo_store, "cli.worker").must_change_password is True
    pair = sign_in(api, "cli.worker", password)
    assert pair["password_change_required"] is True
    me = api.get("/api/v1/households", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 403


def test_user_add_with_password_reads_it_from_standard_input(
    demo_store: Path, village: str, api: TestClient
) -> None:
    chosen = "Chosen-by-the-operator-7"
    result = zhulian(
        "user", "add", "cli.typed", "--role", "township_officer", "--area", village[:9],
        "--name", "王专干", "--password", store=demo_store, stdin=chosen + "\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert chosen not in result.stdout + result.stderr
    assert "one-time" not in result.stdout.lower()
    created = user(demo_store, "cli.typed")
    assert created.must_change_password is False and created.display_name == "王专干"
    assert created.area_codes == [village[:9] + "000"]  # a short code is padded to 12 digits
    assert sign_in(api, "cli.typed", chosen)["password_change_required"] is False


def test_user_add_with_a_weak_typed_password_says_why(demo_store: Path, village: str) -> None:
    result = zhulian(
        "user", "add", "cli.weak", "--role", "village_worker", "--area", village, "--password",
        store=demo_store, stdin="short\n",
    )  # fmt: skip
    assert result.returncode == 1
    assert "10+ characters" in result.stderr and "Traceback" not in result.stderr
    assert "short" not in result.stderr


@pytest.mark.parametrize("area", ["360783999999", "abc"])
def test_user_add_with_an_unknown_area_is_one_clear_line(demo_store: Path, area: str) -> None:
    result = zhulian("user", "add", "cli.lost", "--role", "village_worker", "--area", area, store=demo_store)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert area in lines[0] and "unknown area" in lines[0]


def test_user_add_with_a_bad_name_blames_the_argument_not_the_configuration(
    demo_store: Path, village: str
) -> None:
    result = zhulian(
        "user", "add", "Upper Case", "--role", "village_worker", "--area", village, store=demo_store
    )
    assert result.returncode == 2
    assert "username" in result.stderr and "configuration" not in result.stderr
    assert "Traceback" not in result.stderr


def test_user_add_twice_is_a_conflict(demo_store: Path, village: str) -> None:
    args = ("user", "add", "cli.twice", "--role", "village_worker", "--area", village)
    assert zhulian(*args, store=demo_store).returncode == 0
    again = zhulian(*args, store=demo_store)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_user_disable_then_sign_in_fails_and_enable_restores(
    demo_store: Path, village: str, api: TestClient
) -> None:
    chosen = "Disable-me-later-42"
    added = zhulian(
        "user", "add", "cli.leaver", "--role", "village_worker", "--area", village, "--password",
        store=demo_store, stdin=chosen + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    token = sign_in(api, "cli.leaver", chosen)["access_token"]
    disabled = zhulian("user", "disable", "cli.leaver", store=demo_store)
    assert disabled.returncode == 0, disabled.stderr
    assert user(demo_store, "cli.leaver").disabled is True
    assert api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    refused = api.post("/api/v1/auth/login", json={"username": "cli.leaver", "password": chosen})
    assert refused.status_code == 401
    assert zhulian("user", "enable", "cli.leaver", store=demo_store).returncode == 0
    assert sign_in(api, "cli.leaver", chosen)["password_change_required"] is False


def test_user_disable_of_an_unknown_user_is_one_clear_line(demo_store: Path) -> None:
    result = zhulian("user", "disable", "no.such.user", store=demo_store)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "zhulian: Not found: 用户 no.such.user 不存在 / user no.such.user not found"
    ]


def test_user_reset_password_prints_a_new_one_time_password(
    demo_store: Path, village: str, api: TestClient
) -> None:
    chosen = "Forgotten-soon-99"
    zhulian(
        "user", "add", "cli.forgetful", "--role", "village_worker", "--area", village, "--password",
        store=demo_store, stdin=chosen + "\n",
    )  # fmt: skip
    result = zhulian("user", "reset-password", "cli.forgetful", store=demo_store)
    assert result.returncode == 0, result.stderr
    fresh = one_time_password(result.stdout)
    assert (
        api.post("/api/v1/auth/login", json={"username": "cli.forgetful", "password": chosen}).status_code
        == 401
    )
    assert sign_in(api, "cli.forgetful", fresh)["password_change_required"] is True


def test_user_list_shows_every_user_and_their_state(demo_store: Path, village: str) -> None:
    zhulian("user", "add", "cli.listed", "--role", "village_worker", "--area", village, store=demo_store)
    result = zhulian("user", "list", store=demo_store)
    assert result.returncode == 0, result.stderr
    rows = {
        line.split()[0]: line
        for line in result.stdout.splitlines()
        if line.strip().startswith(("demo.", "cli."))
    }
    assert {f"demo.{r}" for r in ("coordinator", "village", "provider", "admin")} <= set(rows)
    assert "must change password" in rows["cli.listed"] and village in rows["cli.listed"]
    assert "active" in rows["demo.village"]
    assert "argon2" not in result.stdout


def test_audit_verify_passes_then_names_an_edited_entry(tmp_path: Path, demo_store: Path) -> None:
    good = zhulian("audit", "verify", store=demo_store)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "intact" in good.stdout

    # Tamper with a copy, as someone with the file (not the app) would.
    copy = tmp_path / "tampered.db"
    source, target = sqlite3.connect(demo_store), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    with SqliteStore(copy) as store:
        entries = store.run(lambda uow: uow.find(AuditEntry, order_by=[Order("seq")]), write=False)
        victim = entries[len(entries) // 2]
        store.run(lambda uow: uow.upsert(victim.model_copy(update={"action": "nothing_to_see"})))
    bad = zhulian("audit", "verify", store=copy)
    assert bad.returncode != 0
    assert f"entry {victim.seq} ({victim.id})" in bad.stdout
    assert "content changed" in bad.stdout and "tampered" in bad.stdout
