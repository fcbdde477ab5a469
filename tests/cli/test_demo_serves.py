"""The issue's bar, end to end as a new user meets it: `zhulian demo`, sign in, see what a role may."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Demo:
    url: str
    stdout: Path
    passwords: dict[str, str]


def _wait_for(proc: subprocess.Popen[bytes], out: Path, url: str, deadline: float) -> str:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the demo exited with {proc.returncode}:\n{out.read_text()}")
        text = out.read_text()
        if "Serving at" in text:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    return text
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    pytest.fail(f"the demo did not serve in time:\n{out.read_text()}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("demo-serves")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHULIAN_")}
    env.update(ZHULIAN_STORE=str(tmp / "unused.db"), PYTHONUNBUFFERED="1", COLUMNS="60")  # a narrow terminal
    out, err = tmp / "stdout.txt", tmp / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "demo", "--households", "300", "--store", str(tmp / "demo.db"),
             "--port", str(port)],
            cwd=ROOT, env=env, stdout=stdout, stderr=stderr,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        text = _wait_for(proc, out, url, time.monotonic() + 120)
        assert f"Serving at {url}/" in text
        passwords = dict(re.findall(r"^\s*(demo\.[a-z]+)\s+(\S+)\s", text, re.MULTILINE))
        yield Demo(url, out, passwords)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("the server did not stop on Ctrl+C")
    assert code == 0, err.read_text()
    assert "Traceback" not in err.read_text()
    assert not (tmp / "unused.db").exists()


def sign_in(demo: Demo, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{demo.url}/api/v1/auth/login",
        json={"username": username, "password": demo.passwords[username]},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["password_change_required"] is False
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_demo_prints_every_account_with_a_whole_password(demo: Demo) -> None:
    roles = ("coordinator", "township", "village", "socialworker", "liaison", "provider", "auditor", "admin")
    assert set(demo.passwords) == {f"demo.{r}" for r in roles}
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", p) for p in demo.passwords.values()), demo.passwords


def test_a_village_worker_sees_own_village_masked_and_nothing_else(demo: Demo) -> None:
    village = sign_in(demo, "demo.village")
    coordinator = sign_in(demo, "demo.coordinator")
    api = f"{demo.url}/api/v1"

    own = httpx.get(f"{api}/households", params={"limit": 50}, headers=village, timeout=10).json()
    assert own["total"] > 0
    villages = {h["village_code"] for h in own["items"]}
    assert len(villages) == 1
    everyone = httpx.get(f"{api}/households", params={"limit": 200}, headers=coordinator, timeout=10).json()
    elsewhere = next(h for h in everyone["items"] if h["village_code"] not in villages)
    outside = httpx.get(f"{api}/households/{elsewhere['id']}", headers=village, timeout=10)
    assert outside.status_code == 404
    assert outside.headers["content-type"] == "application/problem+json"

    checked = 0
    for item in own["items"]:
        mine = httpx.get(f"{api}/households/{item['id']}", headers=village, timeout=10)
        assert mine.status_code == 200, mine.text
        full = httpx.get(f"{api}/households/{item['id']}", headers=coordinator, timeout=10).json()
        numbers = {p["id"]: p["id_number"] for p in full["members"] if p["id_number"]}
        for person in mine.json()["members"]:
            if person["id"] in numbers:
                unmasked = numbers[person["id"]]
                assert "*" not in unmasked and len(unmasked) == 18
                assert person["id_number"] != unmasked and "*" in person["id_number"]
                assert person["id_number"][-4:] == unmasked[-4:]
                checked += 1
        if checked:
            break
    assert checked, "no member with an ID number in the village's first households"


def test_the_openapi_document_is_3_1(demo: Demo) -> None:
    document = httpx.get(f"{demo.url}/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1.")
    assert "/api/v1/auth/login" in document["paths"]
