"""The dispatch board in Chromium: the county coordinator dispatches one need with its explained
candidates, then reviews a batch proposal, unticks a row and dispatches the rest; the township officer
sends a need to the pool; roles that do not dispatch are told so without a refused call."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from graph.model import Household, Need
from graph.model.enums import NeedStatus, NeedType
from graph.store import where
from tests.api.conftest import login
from tests.web.conftest import PHONE, SCREENSHOTS, Site, Watched

pytestmark = pytest.mark.slow

OpenPage = Callable[..., Watched]
ACTIVE = (NeedStatus.OPEN, NeedStatus.REFERRED)


def no_serious_violations(page: Watched) -> None:
    violations = page.axe_serious()
    assert not violations, [(v["id"], v["impact"], v["help"], len(v["nodes"])) for v in violations]


def shot(page: Watched, name: str) -> None:
    """The page's screenshots at laptop and phone widths, each small enough to keep in the repository."""
    page.screenshot(name)
    for width in ("laptop", "phone"):
        size = (SCREENSHOTS / f"{name}-{width}.png").stat().st_size
        assert size < 150_000, f"{name}-{width}.png is {size} bytes"


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
    no_serious_violations(page)
    shot(page, "dispatch-board")
    first.get_by_role("button", name="为何未列入其他资源").click()
    page.page.locator(f"#excluded-{need_id} ul.excluded li").first.wait_for()
    assert first.get_by_role("button", name="为何未列入其他资源").get_attribute("aria-expanded") == "true"
    assert "不属于适用对象" in page.page.locator(f"#excluded-{need_id}").inner_text()

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
    assert _need(site, "coordinator", str(need_id))["status"] == "referred"


def _auth(site: Site, username: str) -> dict[str, str]:
    return login(site.world.client(), username)


def _need(site: Site, username: str, need_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (
        site.world.client().get(f"/api/v1/needs/{need_id}", headers=_auth(site, username)).json()
    )
    return found


def neighbour(site: Site) -> str:
    """A household of the scenario's village other than hh_provider (whose need types other tests use)."""
    scenario = site.world.scenario
    households = site.world.store.run(
        lambda uow: uow.find(Household, where(village_code=scenario.village)), write=False
    )
    return next(h.id for h in sorted(households, key=lambda h: h.id) if h.id != scenario.hh_provider)


def _report(site: Site, *, urgency: str = "urgent") -> str:
    """A new open need in the scenario's village, of a type the household has none open of (reported
    through the API: setup, not the subject)."""
    household = neighbour(site)
    active = site.world.store.run(
        lambda uow: {n.type for n in uow.find(Need, where(household_id=household, status__in=list(ACTIVE)))},
        write=False,
    )
    fresh = next(t for t in NeedType if t not in active)
    client = site.world.client()
    body = {"household_id": household, "type": fresh.value, "urgency": urgency, "description": "测试需求"}
    response = client.post("/api/v1/needs", json=body, headers=login(client, "village"))
    assert response.status_code == 201, response.text
    need_id: str = response.json()["id"]
    return need_id


def test_a_need_dispatched_behind_the_boards_back_is_refused_clearly(open_page: OpenPage, site: Site) -> None:
    page = open_page()
    page.allow_failed(409)
    page.sign_in("coordinator", then="/dispatch")
    card = page.page.locator("#board-list article.need-card").first
    need_id = card.get_attribute("data-need")
    client = site.world.client()
    taken = client.post(f"/api/v1/needs/{need_id}/referrals", json={}, headers=login(client, "coordinator"))
    assert taken.status_code == 201, taken.text
    card.get_by_role("button", name="派单", exact=True).click()
    page.page.locator("#confirm-dialog").get_by_role("button", name="确认派单").click()
    refused = card.locator(".result.refused")
    refused.wait_for()
    assert "需求已有变化" in refused.inner_text() and "请刷新后再试" in refused.inner_text()
    assert "需求已有变化" in page.page.locator("#page-message.error").inner_text()


def test_batch_proposal_reviewed_unticked_and_dispatched(open_page: OpenPage, site: Site) -> None:
    village = site.world.scenario.village
    _report(site, urgency="general")
    page = open_page()
    page.sign_in("coordinator", then="/dispatch")
    page.page.get_by_label("区域", exact=True).select_option(village)
    page.page.get_by_role("button", name="显示").click()
    page.ready()
    page.page.get_by_role("button", name="计算分配方案").click()
    rows = page.page.locator("#batch-assignments tbody tr")
    rows.first.wait_for()
    page.ready()
    assert rows.count() >= 2
    assert "黄坑村委会" in page.page.locator("#batch-summary").inner_text()
    assert "需求类型契合" in rows.first.inner_text() or "紧急程度" in rows.first.inner_text()
    kept = rows.nth(0).get_attribute("data-need")
    sent = [rows.nth(i).get_attribute("data-need") for i in range(1, rows.count())]
    rows.nth(0).get_by_role("checkbox").uncheck()
    no_serious_violations(page)
    # The proposal, its summary and the button that dispatches it, in the first screen.
    page.page.locator("#batch").evaluate("(el) => el.scrollIntoView({block: 'start'})")
    shot(page, "dispatch-batch")

    page.page.get_by_role("button", name="派单已勾选的分配").click()
    dialog = page.page.locator("#confirm-dialog")
    assert dialog.locator("li").count() == len(sent)
    dialog.get_by_role("button", name="确认派单").click()
    page.page.locator("#page-message.success").wait_for()
    page.ready()
    assert f"已派单 {len(sent)} 个" in page.page.locator("#page-message").inner_text()
    for need_id in sent:
        assert (
            "已派单"
            in page.page.locator(f"#batch-assignments tr[data-need='{need_id}'] .result").inner_text()
        )
        assert _need(site, "coordinator", str(need_id))["status"] == "referred"
    assert page.page.locator(f"#batch-assignments tr[data-need='{kept}'] .result").is_hidden()
    assert _need(site, "coordinator", str(kept))["status"] == "open"


def test_township_officer_offers_a_need_to_the_pool(open_page: OpenPage, site: Site) -> None:
    need_id = _report(site)
    page = open_page(viewport=PHONE)
    page.sign_in("township", then="/dispatch")
    card = page.page.locator(f"article.need-card[data-need='{need_id}']")
    card.wait_for()
    # To a provider needs a resource: said beside the need, nothing is sent.
    card.get_by_label("不指定资源").check()
    card.get_by_role("button", name="派单", exact=True).click()
    assert "须选择一个候选资源" in card.locator(".result.refused").inner_text()
    page.page.get_by_label("派往").select_option("pool")
    card.get_by_role("checkbox").check()
    assert "已选 1 个" in page.page.locator("#selected-count").inner_text()
    page.page.get_by_role("button", name="派单所选需求").click()
    dialog = page.page.locator("#confirm-dialog")
    assert "任务池" in dialog.inner_text()
    no_serious_violations(page)
    dialog.get_by_role("button", name="确认派单").click()
    card.locator(".result.ok").wait_for()
    page.ready()
    assert "任务池" in card.locator(".result.ok").inner_text()
    need = _need(site, "township", need_id)
    assert need["status"] == "referred"
    referral = (
        site.world.client()
        .get(f"/api/v1/referrals/{need['referral_ids'][-1]}", headers=_auth(site, "township"))
        .json()
    )
    assert referral["hops"][-1]["pool_area_code"] is not None


def test_roles_that_do_not_dispatch_are_told(open_page: OpenPage) -> None:
    page = open_page()
    page.sign_in("village", then="/dispatch")
    assert "您的角色不能派单" in page.page.locator("#page-message").inner_text()
    assert page.page.locator("#board").is_hidden()
    assert page.page.get_by_role("link", name="派单台").count() == 0
    no_serious_violations(page)
