"""The dispatch board in Chromium: the county coordinator dispatches one need with its explained
candidates, then reviews a batch proposal, unticks a row and dispatches the rest; the township officer
sends a need to the pool; roles that do not dispatch are told so without a refused call."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.web.conftest import PHONE, Site, Watched

pytestmark = pytest.mark.slow

OpenPage = Callable[..., Watched]


def no_serious_violations(page: Watched) -> None:
    violations = page.axe_serious()
    assert not violations, [(v["id"], v["impact"], v["help"], len(v["nodes"])) for v in violations]


def test_coordinator_dispatches_one_need_with_explained_candidates(open_page: OpenPage, site: Site) -> None:
    page = open_page()
    page.sign_in("coordinator", then="/dispatch")
    board = page.page.locator("#board-list")
    cards = board.locator("article.need-card")
    assert cards.count() >= 5
    first = cards.first
    need_id = first.get_attribute("data-need")
    # Candidates come with the parts of their score, readable.
    text = first.locator("fieldset.candidates").inner_text()
    assert re.search(r"得分 \d+", text) and "需求类型契合" in text and "紧急程度" in text
    first.get_by_role("button", name="为何未列入其他资源").click()
    page.page.locator(f"#excluded-{need_id} li, #excluded-{need_id} p").first.wait_for()
    no_serious_violations(page)
    page.screenshot("dispatch-board")

    # Nothing is dispatched without the confirmation; cancelling leaves the need open.
    first.get_by_role("button", name="派单", exact=True).click()
    dialog = page.page.locator("#confirm-dialog")
    dialog.wait_for()
    assert "镇街助联体" in dialog.inner_text()
    dialog.get_by_role("button", name="取消").click()
    assert first.locator(".result").is_hidden()
    first.get_by_role("button", name="派单", exact=True).click()
    dialog.get_by_role("button", name="确认派单").click()
    result = first.locator(".result.ok")
    result.wait_for()
    assert "已派单" in result.inner_text()
    page.ready()
    need = site.world.client().get(f"/api/v1/needs/{need_id}", headers=_auth(site, "coordinator")).json()
    assert need["status"] == "referred"


def _auth(site: Site, username: str) -> dict[str, str]:
    from tests.api.conftest import login

    return login(site.world.client(), username)
