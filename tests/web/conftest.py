"""Browser tests: the real app under uvicorn on a free port, over a small seeded world, driven by
Debian's chromium through Playwright (decision 0010). Playwright's own browsers are never used.

Without /usr/bin/chromium the tests are skipped with one line, except in CI (`CI` set), where they
fail: the suite must not pass without having run a browser.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from graph.model import Organisation
from graph.model.enums import OrganisationKind, Role
from graph.store import where
from referral.accounts import service as accounts
from tests.api.conftest import PASSWORD, World, build_world, login

CHROMIUM = os.environ.get("ZHULIAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _require_browser() -> None:
    ci = bool(os.environ.get("CI"))
    if not Path(CHROMIUM).is_file() and shutil.which("chromium") is None:
        if ci:
            pytest.fail(f"CI: chromium is required for the browser tests and is missing at {CHROMIUM}")
        pytest.skip(f"browser tests skipped: no chromium at {CHROMIUM} (apt-get install -y chromium)")
    if not AXE.is_file():
        message = f"the pages' assets are not installed ({AXE} missing): run scripts/setup"
        if ci:
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Race:
    """Two provider accounts of different organisations that both see `hop_id` in their pool."""

    first: str
    second: str
    hop_id: str


@dataclass
class Site:
    url: str
    world: World
    race: Race
    extra_users: dict[str, str] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _race(world: World) -> Race:
    """Sign up one user per provider organisation and find two that share an open pool task."""
    orgs = world.store.run(
        lambda uow: uow.find(
            Organisation, where(kind__in=[OrganisationKind.CHARITY, OrganisationKind.SOCIAL_WORK])
        ),
        write=False,
    )
    names: dict[str, str] = {}

    def add(uow: Any) -> None:
        for org in orgs:
            username = f"org.{org.id.lower()}"
            accounts.add_user(
                uow,
                username=username,
                display_name=f"{org.name}",
                roles=[Role.PROVIDER],
                area_codes=[world.scenario.county],
                organisation_id=org.id,
                password=PASSWORD,
                actor="test:setup",
                now=world.clock.now,
            )
            names[org.id] = username

    world.store.run(add)
    client = world.client()
    seen: dict[str, str] = {}  # hop id -> the first user who sees it
    for username in names.values():
        pool = client.get("/api/v1/tasks/pool?limit=200", headers=login(client, username)).json()
        for task in pool["tasks"]:
            hop = task["hop"]["id"]
            if hop in seen:
                return Race(seen[hop], username, hop)
            seen[hop] = username
    raise AssertionError("no pool task is open to two provider organisations in the test world")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app served by uvicorn in a thread on a free port, over its own small world."""
    _require_browser()
    import uvicorn

    world = build_world(tmp_path_factory.mktemp("web") / "zhulian.db", households=200)
    race = _race(world)
    port = _free_port()
    app = world.app(escalation_interval_minutes=0)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}", world, race)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        world.store.close()


@pytest.fixture(scope="session")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:  # a browser that cannot start must fail loudly, never skip
            pytest.fail(f"chromium at {CHROMIUM} could not be started: {exc}")
        try:
            yield launched
        finally:
            launched.close()


class Watched:
    """A page whose console errors and page errors are collected (asserted empty by the fixture)."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        self.expected: set[int] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        # Chromium logs every 4xx answer to fetch; a test provoking one on purpose names its status.
        failed = re.search(
            r"Failed to load resource: the server responded with a status of (\d+)", message.text
        )
        if failed and int(failed.group(1)) in self.expected:
            return
        self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def allow_failed(self, status: int) -> None:
        """Expect API answers with this status (e.g. 409 of a lost claim): not counted as errors."""
        self.expected.add(status)

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def ready(self) -> None:
        """Wait until the page's script says it has rendered (body[data-ready=true])."""
        self.page.wait_for_selector("body[data-ready='true']", timeout=15_000)

    def sign_in(self, username: str, password: str = PASSWORD, then: str = "/home") -> None:
        self.goto(f"/login?next={then}")
        self.ready()
        self.page.get_by_label("用户名", exact=True).fill(username)
        self.page.get_by_label("密码", exact=True).fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url(lambda url: urlsplit(url).path == urlsplit(then).path)
        self.ready()

    def axe_serious(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations of the page as it is now."""
        self.page.add_script_tag(url=f"{self.base}/vendor/axe.min.js")  # same origin: the CSP allows it
        result: dict[str, Any] = self.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]

    def screenshot(self, name: str) -> None:
        """docs/screenshots/<name>-laptop.png and <name>-phone.png of the page as it is now."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size
        for label, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
            self.page.set_viewport_size(viewport)
            # The first screen only (what a user sees on opening the page): keeps each PNG small.
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"))
        if size:
            self.page.set_viewport_size(size)


@pytest.fixture
def open_page(browser: Any, site: Site) -> Iterator[Callable[..., Watched]]:
    """New browser contexts (separate sessionStorage, like separate people); none may log an error."""
    contexts: list[Any] = []
    watched: list[Watched] = []

    def new(*, viewport: dict[str, int] = LAPTOP, lang: str = "zh-CN") -> Watched:
        context = browser.new_context(viewport=viewport, locale=lang)
        contexts.append(context)
        page = Watched(context.new_page(), site.url)
        watched.append(page)
        return page

    yield new
    errors = [e for w in watched for e in w.errors]
    for context in contexts:
        context.close()
    assert not errors, "console or page errors:\n" + "\n".join(errors)
