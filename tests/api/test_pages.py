"""The page shells and their assets as the app serves them (decision 0010), without a browser:
security headers, no inline script or style, the vendor allow-list, the app without installed
assets, and catalogues that cover every message key the pages use."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import pages
from api.app import create_app
from api.settings import Settings
from graph.model.enums import NeedType, Role
from referral.matching.models import Exclusion, ScorePart, UnmetReason

PAGE_PATHS = [
    "/login",
    "/home",
    "/households/01ABC",
    "/needs/new",
    "/tasks",
    "/tasks/01ABC",
    "/referrals/01ABC",
    "/trace?household=01ABC",
    "/dispatch",
    "/figures",
    "/map",
]
WEB = pages.WEB_DIR


def _client(tmp_path: Path, web_dir: Path = WEB) -> TestClient:
    # Page routes read no store: the app is not started (no lifespan), so no store is opened.
    settings = Settings(store=str(tmp_path / "none.db"), secret_key="s" * 40)
    return TestClient(create_app(settings, web_dir=web_dir), raise_server_exceptions=False)


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_pages_are_html_with_a_strict_policy(tmp_path: Path, path: str) -> None:
    response = _client(tmp_path).get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="zh-CN">' in response.text


def test_root_goes_home(tmp_path: Path) -> None:
    response = _client(tmp_path).get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/home"


def test_no_inline_script_style_or_handler_in_any_page() -> None:
    for html in (WEB / "pages").glob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), html.name
        assert "<style" not in text and " style=" not in text, html.name
        assert not re.search(r"\son[a-z]+=", text), html.name
        assert "http://" not in text and "https://" not in text, f"{html.name} loads nothing remote"


def test_api_docs_keep_their_own_page(tmp_path: Path) -> None:
    response = _client(tmp_path).get("/docs")
    assert response.status_code == 200
    assert "content-security-policy" not in response.headers


@pytest.mark.parametrize(
    "path", ["/vendor/nothing.js", "/vendor/../package.json", "/vendor/echarts/package.json"]
)
def test_only_allow_listed_assets_are_served(tmp_path: Path, path: str) -> None:
    assert _client(tmp_path).get(path).status_code == 404


def test_every_allow_listed_asset_is_installed(tmp_path: Path) -> None:
    if not (WEB / "node_modules").is_dir():
        message = "web/node_modules is not installed (scripts/setup)"
        if os.environ.get("CI"):  # CI installs them: missing there is a failure, not a skip
            pytest.fail(message)
        pytest.skip(message)
    client = _client(tmp_path)
    for name in pages.VENDOR:
        assert client.get(f"/vendor/{name}").status_code == 200, name


def test_without_installed_assets_the_app_serves_and_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "web"
    shutil.copytree(WEB, bare, ignore=shutil.ignore_patterns("node_modules"))
    client = _client(tmp_path, bare)
    assert client.get("/login").status_code == 200  # the phase-1 pages need no library
    missing = client.get("/vendor/echarts.min.js")
    assert missing.status_code == 404 and "scripts/setup" in missing.text
    monkeypatch.setitem(pages.PAGE_VENDOR, pages.Page.HOME, ("echarts.min.js",))
    page = _client(tmp_path, bare).get("/home")
    assert page.status_code == 503
    assert (
        "前端资源未安装" in page.text and "npm ci --prefix web" in page.text and "echarts.min.js" in page.text
    )
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize(("path", "asset"), [("/figures", "echarts.min.js"), ("/map", "leaflet.js")])
def test_chart_and_map_pages_say_what_to_install(tmp_path: Path, path: str, asset: str) -> None:
    bare = tmp_path / "web"
    shutil.copytree(WEB, bare, ignore=shutil.ignore_patterns("node_modules"))
    page = _client(tmp_path, bare).get(path)
    assert page.status_code == 503 and asset in page.text and "npm ci --prefix web" in page.text
    assert _client(tmp_path, bare).get("/dispatch").status_code == 200  # no library needed


def test_pages_load_only_the_vendor_assets_their_route_checks() -> None:
    for which in pages.Page:
        text = (WEB / "pages" / f"{which.value}.html").read_text(encoding="utf-8")
        loaded = set(re.findall(r"/vendor/([\w./-]+)", text))
        assert loaded == set(pages.PAGE_VENDOR[which]), which


def test_enum_labels_come_from_the_model(tmp_path: Path) -> None:
    labels = _client(tmp_path).get("/i18n/enums.json").json()
    assert labels["NeedType"] == {t.value: {"zh": t.zh, "en": t.en} for t in NeedType}
    assert labels["Role"]["provider"]["zh"] == Role.PROVIDER.zh
    # Matching's reason codes and score parts: the dispatch board explains candidates with them.
    assert labels["ScorePart"]["fit"] == {"zh": ScorePart.FIT.zh, "en": ScorePart.FIT.en}
    assert set(labels["UnmetReason"]) == {r.value for r in UnmetReason}
    assert set(labels["Exclusion"]) == {r.value for r in Exclusion}


def test_catalogue_has_both_languages_and_every_key_the_pages_use() -> None:
    catalogue = json.loads((WEB / "static" / "i18n" / "messages.json").read_text(encoding="utf-8"))
    assert set(catalogue) == {"zh-CN", "en"}
    assert set(catalogue["zh-CN"]) == set(catalogue["en"])
    used: set[str] = set()
    for source in [*(WEB / "static" / "js").glob("*.js"), *(WEB / "pages").glob("*.html")]:
        text = source.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\(\"([a-z_]+\.[a-z_]+)\"", text))
        used |= set(re.findall(r"data-i18n(?:-title|-placeholder|-aria)?=\"([a-z_]+\.[a-z_]+)\"", text))
        used |= set(re.findall(r", \"([a-z]+\.[a-z_]+)\"", text))
    assert used, "no message keys found"
    assert not used - set(catalogue["zh-CN"]), sorted(used - set(catalogue["zh-CN"]))


def test_every_task_action_has_its_words() -> None:
    """task.js names actions by the API's values (action.<value>, _done, and _submit for forms)."""
    from referral.routing.models import TaskAction

    catalogue = json.loads((WEB / "static" / "i18n" / "messages.json").read_text(encoding="utf-8"))
    forms = {"reject", "fail", "release", "assign", "complete", "verify", "reopen"}
    for lang in ("zh-CN", "en"):
        for action in TaskAction:
            assert f"action.{action.value}" in catalogue[lang], action
            assert f"action.{action.value}_done" in catalogue[lang], action
            if action.value in forms:
                assert f"action.{action.value}_submit" in catalogue[lang], action


def test_the_trace_page_needs_cytoscape(tmp_path: Path) -> None:
    bare = tmp_path / "web"
    shutil.copytree(WEB, bare, ignore=shutil.ignore_patterns("node_modules"))
    page = _client(tmp_path, bare).get("/trace?household=01ABC")
    assert page.status_code == 503 and "cytoscape.min.js" in page.text
