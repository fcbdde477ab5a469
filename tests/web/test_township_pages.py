"""The township officer's task pages, the provider's part on the same page, the trace view and the
village worker's plan, in Chromium: only the actions the API lists are shown, a form error sits beside
its field, someone else's earlier move (409) is said with a refresh, the chain shows as a graph, a hop
list and a timeline with overdue hops marked; no console error and no serious axe violation on any
page. Screenshots go to docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.model import Need, Organisation, new_id
from graph.model.enums import NeedStatus, NeedType, OrganisationKind
from graph.store import where
from tests.api.conftest import login
from tests.web.conftest import PHONE, SCREENSHOTS, Site, Watched
from tests.web.test_pages import no_serious_violations

pytestmark = pytest.mark.slow
OpenPage = Callable[..., Watched]


@dataclass
class Case:
    """A need of the provider's household dispatched by the county to the township (hop 1 requested)."""

    household_id: str
    need_id: str
    referral_id: str
    hop_id: str
    provider_org: str


def _api(client: TestClient, user: str) -> Callable[..., Any]:
    headers = login(client, user)

    def call(method: str, path: str, json: Any = None, expect: int = 200) -> Any:
        response = client.request(method, f"/api/v1{path}", json=json, headers=headers)
        assert response.status_code == expect, response.text
        return response.json()

    return call


@pytest.fixture(scope="module")
def api_client(site: Site) -> TestClient:
    return site.world.client()


@pytest.fixture(scope="module")
def case(site: Site, api_client: TestClient) -> Case:
    return dispatched_need(site, api_client)


def dispatched_need(site: Site, api_client: TestClient) -> Case:
    """Setup through the API: a village worker's report of a need type with a matched provider (the
    township then has someone to assign it to), dispatched by the county."""
    village, township = _api(api_client, "village"), _api(api_client, "township")
    coordinator = _api(api_client, "coordinator")
    household = site.world.scenario.hh_provider
    taken = {
        n.type
        for n in site.world.store.run(lambda uow: uow.find(Need, where(household_id=household)), write=False)
        if n.status in (NeedStatus.OPEN, NeedStatus.REFERRED)
    }
    charities = {
        o.id
        for o in site.world.store.run(
            lambda uow: uow.find(
                Organisation, where(kind__in=[OrganisationKind.CHARITY, OrganisationKind.SOCIAL_WORK])
            ),
            write=False,
        )
    }
    for kind in NeedType:
        if kind in taken:
            continue
        need = village(
            "POST",
            "/needs",
            {
                "household_id": household,
                "type": kind.value,
                "urgency": "general",
                "description": "入户走访发现",
            },
            expect=201,
        )
        listed = township("GET", f"/needs/{need['id']}/candidates?limit=50")["candidates"]
        providers = [c["resource"]["provider_id"] for c in listed if c["resource"]["provider_id"]]
        staffed = [p for p in providers if p in charities]
        if staffed:
            referral = coordinator("POST", f"/needs/{need['id']}/referrals", {}, expect=201)
            return Case(household, need["id"], referral["id"], referral["hops"][0]["id"], staffed[0])
        village("POST", f"/needs/{need['id']}/withdraw", {"reason": "测试准备 / test setup"})
    raise AssertionError("no need type of the household has a matched provider")


def provider_user(org_id: str) -> str:
    """The sign-in of the organisation's staff (the site makes one per charity and social-work body)."""
    return f"org.{org_id.lower()}"


def shot(page: Watched, name: str) -> None:
    """The page's screenshots at laptop and phone widths, each small enough to keep in the repository."""
    page.screenshot(name)
    for width in ("laptop", "phone"):
        size = (SCREENSHOTS / f"{name}-{width}.png").stat().st_size
        assert size < 150_000, f"{name}-{width}.png is {size} bytes"


def actions(page: Watched) -> list[str]:
    found: list[str] = page.page.locator("#action-buttons button").evaluate_all(
        "buttons => buttons.map(b => b.dataset.action)"
    )
    return found


def open_task(page: Watched, path: str) -> None:
    page.goto(path)
    page.ready()


def test_township_accepts_assigns_reopens_and_verifies(
    open_page: OpenPage, site: Site, api_client: TestClient, case: Case
) -> None:
    officer = open_page()
    officer.allow_failed(409)
    officer.sign_in("township")
    # From the home page: the notification of the dispatched task leads to its page.
    officer.page.locator(f"#notification-list a[href='/tasks/{case.hop_id}']").first.click()
    officer.page.wait_for_url(f"**/tasks/{case.hop_id}")
    officer.ready()
    assert actions(officer) == ["receive", "accept", "reject"]
    no_serious_violations(officer)
    shot(officer, "task-township")

    # A second officer (another tab, another person) accepts first: this page's accept is refused (409).
    other = open_page(viewport=PHONE)
    other.sign_in("township", then=f"/tasks/{case.hop_id}")
    other.page.locator("#action-buttons button[data-action='accept']").click()
    other.page.locator("#page-message.success").wait_for()
    officer.page.locator("#action-buttons button[data-action='accept']").click()
    conflict = officer.page.locator("#page-message.error")
    conflict.wait_for()
    assert "已被他人处理" in conflict.inner_text()
    officer.page.get_by_role("button", name="刷新").click()
    officer.page.wait_for_function(
        "() => !document.querySelector(\"#action-buttons [data-action='receive']\")"
    )
    officer.ready()
    assert actions(officer) == ["reject", "start", "assign", "offer"]

    # The reject form: a reason is required, said beside the field.
    officer.page.locator("#action-buttons button[data-action='reject']").click()
    officer.page.get_by_role("button", name="确认退回").click()
    assert officer.page.locator("#form-reject-reason_code-error").inner_text() == "请选择原因类别"
    assert officer.page.locator("#form-reject-reason-error").inner_text() == "请写明原因"
    assert officer.page.get_by_label("原因说明").get_attribute("aria-invalid") == "true"
    officer.page.get_by_role("button", name="取消").click()

    # Assign onward to a matched provider: choosing none is an error beside the field first.
    officer.page.locator("#action-buttons button[data-action='assign']").click()
    officer.page.get_by_role("button", name="确认转派").click()
    assert officer.page.locator("#form-assign-organisation_id-error").inner_text() == "请选择服务机构"
    no_serious_violations(officer)
    shot(officer, "task-form-error")
    officer.page.get_by_label("转派给服务机构").select_option(case.provider_org)
    officer.page.get_by_label("备注（可不填）").fill("请尽快联系家属")
    officer.page.get_by_role("button", name="确认转派").click()
    officer.page.get_by_text("已转派，新的一环已发出。").wait_for()
    officer.ready()
    hop2 = officer.page.locator("#hops-table tr[data-hop]").nth(1).get_attribute("data-hop")
    assert hop2 and actions(officer) == []

    # The provider accepts, starts and completes on the same task page.
    provider = open_page()
    provider.sign_in(provider_user(case.provider_org), then=f"/tasks/{hop2}")
    assert actions(provider) == ["receive", "accept", "reject"]
    for step in ("accept", "start"):
        provider.page.locator(f"#action-buttons button[data-action='{step}']").click()
        provider.page.locator("#page-message.success").wait_for()
        provider.ready()
    provider.page.locator("#action-buttons button[data-action='complete']").click()
    provider.page.get_by_label("提供了什么").select_option("service")
    provider.page.get_by_label("说明").fill("上门送去冬衣")
    no_serious_violations(provider)
    shot(provider, "task-provider")
    provider.page.get_by_role("button", name="确认办结").click()
    provider.page.get_by_text("已办结，等待镇街核验。").wait_for()

    # Back to the township through the verification request: reopen with a reason.
    officer.goto("/home")
    officer.ready()
    officer.page.locator(f"#notification-list a[href='/referrals/{case.referral_id}']").first.click()
    officer.ready()
    assert actions(officer) == ["verify", "reopen"]
    officer.page.locator("#action-buttons button[data-action='reopen']").click()
    officer.page.get_by_role("button", name="确认重新办理").click()
    assert officer.page.locator("#form-reopen-reason-error").inner_text() == "请写明原因"
    officer.page.get_by_label("原因类别").select_option("incomplete")
    officer.page.get_by_label("原因说明").fill("冬衣尺码不合适")
    officer.page.get_by_role("button", name="确认重新办理").click()
    officer.page.get_by_text("已重新办理，新的一环已发出。").wait_for()
    officer.ready()
    assert officer.page.locator("#hops-table tr[data-hop]").count() == 3
    assert "冬衣尺码不合适" in officer.page.locator("#hops-table").inner_text()
    hop3 = officer.page.locator("#hops-table tr[data-hop]").nth(2).get_attribute("data-hop")

    # The provider delivers again (setup through the API), then the township verifies and closes.
    worker = _api(api_client, provider_user(case.provider_org))
    for step in ("accept", "start"):
        worker("POST", f"/tasks/{hop3}/{step}")
    worker("POST", f"/tasks/{hop3}/complete", {"kind": "goods", "delivered_on": "2026-11-02"})
    officer.goto(f"/referrals/{case.referral_id}")
    officer.ready()
    officer.page.locator("#action-buttons button[data-action='verify']").click()
    officer.page.get_by_label("金额（元，可不填）").fill("12.345")
    officer.page.get_by_role("button", name="确认核验办结").click()
    assert officer.page.locator("#form-verify-result-error").inner_text() == "请选择成效评估结果"
    assert officer.page.locator("#form-verify-amount-error").is_visible()
    officer.page.get_by_label("成效评估").select_option("resolved")
    officer.page.get_by_label("金额（元，可不填）").fill("300")
    officer.page.get_by_label("帮扶后风险等级（可不填）").select_option("3")
    officer.page.get_by_role("button", name="确认核验办结").click()
    officer.page.get_by_text("已核验办结。").wait_for()
    officer.ready()
    assert actions(officer) == []
    assert "已完成" in officer.page.locator("#task-facts").inner_text()


def close_through_the_api(client: TestClient, case: Case) -> None:
    """Setup only: the journey of the test above, made through the API."""
    township, provider = _api(client, "township"), _api(client, provider_user(case.provider_org))
    township("POST", f"/tasks/{case.hop_id}/accept")
    routed = township("POST", f"/tasks/{case.hop_id}/assign", {"organisation_id": case.provider_org}, 201)
    delivery = {"kind": "goods", "delivered_on": "2026-11-02"}
    for hop in (routed["hops"][1]["id"], None):
        if hop is None:
            reason = {"reason_code": "incomplete", "reason": "冬衣尺码不合适"}
            hop = township("POST", f"/referrals/{case.referral_id}/reopen", reason)["hops"][2]["id"]
        for step in ("accept", "start"):
            provider("POST", f"/tasks/{hop}/{step}")
        provider("POST", f"/tasks/{hop}/complete", delivery)
    township("POST", f"/referrals/{case.referral_id}/verify", {"result": "resolved"})


def test_provider_rejects_and_the_township_offers_it_to_the_pool(
    open_page: OpenPage, site: Site, api_client: TestClient
) -> None:
    fresh = dispatched_need(site, api_client)
    township = _api(api_client, "township")
    township("POST", f"/tasks/{fresh.hop_id}/accept")
    routed = township("POST", f"/tasks/{fresh.hop_id}/assign", {"organisation_id": fresh.provider_org}, 201)
    hop2 = routed["hops"][1]["id"]
    provider = open_page(viewport=PHONE)
    provider.sign_in(provider_user(fresh.provider_org), then=f"/tasks/{hop2}")
    provider.page.locator("#action-buttons button[data-action='reject']").click()
    provider.page.get_by_label("原因类别").select_option("no_capacity")
    provider.page.get_by_label("原因说明").fill("本月名额已满")
    provider.page.get_by_role("button", name="确认退回").click()
    provider.page.get_by_text("已退回派出方。").wait_for()
    provider.ready()
    assert actions(provider) == []  # the task is no longer the provider's: nothing more to do on it

    officer = open_page()
    officer.sign_in("township", then=f"/tasks/{hop2}")
    assert actions(officer) == ["assign", "offer"]  # the sender routes a returned task again
    assert "本月名额已满" in officer.page.locator("#hops-table").inner_text()
    officer.page.locator("#action-buttons button[data-action='offer']").click()
    officer.page.get_by_text("已发布到任务池。").wait_for()
    officer.ready()
    pooled = officer.page.locator("#hops-table tr[data-hop]").nth(2)
    assert "任务池" in pooled.inner_text()
    hop3 = pooled.get_attribute("data-hop")
    no_serious_violations(officer)

    # The provider sees it in the pool (masked, the task alone), claims it, then gives it back.
    provider.goto(f"/tasks/{hop3}")
    provider.ready()
    assert actions(provider) == ["claim"]
    provider.page.locator("#action-buttons button[data-action='claim']").click()
    provider.page.get_by_text("认领成功。").wait_for()
    provider.ready()
    assert actions(provider) == ["reject", "start", "release"]
    provider.page.locator("#action-buttons button[data-action='release']").click()
    assert "逾期未开始" not in provider.page.get_by_label("原因类别").inner_text()
    provider.page.get_by_label("原因类别").select_option("no_capacity")
    provider.page.get_by_label("原因说明").fill("人手不足，交回任务池")
    provider.page.get_by_role("button", name="确认交回").click()
    provider.page.get_by_text("已交回任务池。").wait_for()
    provider.ready()
    assert actions(provider) == ["claim"]
    no_serious_violations(provider)


def test_trace_of_a_completed_chain_graph_and_timeline(
    open_page: OpenPage, site: Site, case: Case, api_client: TestClient
) -> None:
    if _api(api_client, "township")("GET", f"/referrals/{case.referral_id}")["status"] != "completed":
        close_through_the_api(api_client, case)  # run alone: the chain the journey above leaves
    page = open_page()
    page.sign_in("township", then=f"/households/{case.household_id}")
    page.page.locator("#open-trace").click()
    page.page.wait_for_url("**/trace?household=*")
    page.ready()
    graph = page.page.locator("#graph")
    assert int(graph.get_attribute("data-nodes") or 0) >= 5  # household, need, county, township, provider
    assert int(graph.get_attribute("data-edges") or 0) >= 5
    assert page.page.locator("#graph canvas").count() >= 1
    timeline = page.page.locator("#timeline").inner_text()
    assert "成效评估：已解决" in timeline and "冬衣尺码不合适" in timeline
    assert "红色虚线" in page.page.locator("#legend").inner_text()
    # The keyboard way into the graph: a hop's button shows its details beside it.
    row = page.page.locator("#trace-hops tr[data-hop]").first
    row.get_by_role("button", name="在图中显示").click()
    details = page.page.locator("#graph-details")
    assert "第1环" in details.inner_text() and "开始" in details.inner_text()
    no_serious_violations(page)
    # The need's own chain (the household's whole one grows with every test that reports a need).
    page.goto(f"/trace?need={case.need_id}")
    page.ready()
    assert page.page.locator("#trace-hops tr[data-hop]").count() == 3  # to the township, provider, again
    page.page.locator("#trace-hops tr[data-hop]").nth(2).get_by_role("button", name="在图中显示").click()
    assert "第3环" in page.page.locator("#graph-details").inner_text()
    # A click on the graph itself: the household, the layout's root, sits at the top in the middle.
    page.page.locator("#graph").scroll_into_view_if_needed()
    box = page.page.locator("#graph").bounding_box()
    assert box is not None
    for y in range(12, 100, 6):
        page.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + y)
        if "家庭" in page.page.locator("#graph-details").inner_text():
            break
    assert "查看家庭" in page.page.locator("#graph-details").inner_text()
    no_serious_violations(page)
    page.page.evaluate("window.scrollTo(0, 0)")
    shot(page, "trace-need")


def test_trace_marks_overdue_hops(open_page: OpenPage, site: Site, api_client: TestClient) -> None:
    overdue = _api(api_client, "township")("GET", "/queues/overdue?limit=1")["items"]
    assert overdue, "the seeded township has an overdue task"
    item = overdue[0]
    page = open_page(viewport=PHONE)
    page.sign_in("township")
    # From the home page's overdue queue to the task.
    page.page.locator(f"#queue-overdue a.task-link[href='/tasks/{item['hop_id']}']").click()
    page.page.wait_for_url(f"**/tasks/{item['hop_id']}")
    page.ready()
    assert page.page.locator("#task-facts .tag.overdue").count() == 1
    page.page.get_by_role("link", name="查看需求帮扶链").click()
    page.page.wait_for_url("**/trace?need=*")
    page.ready()
    assert int(page.page.locator("#graph").get_attribute("data-overdue") or 0) >= 1
    late = page.page.locator(f"#trace-hops tr.overdue[data-hop='{item['hop_id']}']")
    assert late.count() == 1 and "逾期" in late.inner_text()  # said in words, not by colour alone
    assert page.page.locator("#timeline li.late").count() >= 1
    no_serious_violations(page)
    page.page.locator("#graph-card").scroll_into_view_if_needed()
    shot(page, "trace-overdue")


def test_village_worker_reads_the_plan(open_page: OpenPage, site: Site) -> None:
    page = open_page()
    page.sign_in("village", then=f"/households/{site.world.scenario.hh_provider}")
    plan = page.page.locator("#plan-body")
    assert "您的角色不能查看帮扶方案" not in plan.inner_text()
    assert re.search("生成于|政策", plan.inner_text())
    assert page.page.get_by_role("button", name=re.compile("打印")).count() == 1
    no_serious_violations(page)
    shot(page, "household-village")


def test_a_task_outside_scope_says_not_found(open_page: OpenPage, site: Site) -> None:
    page = open_page()
    page.allow_failed(404)
    page.sign_in("fartownship", then=f"/trace?household={site.world.scenario.hh_provider}")
    assert "不存在，或不在您的工作范围内" in page.page.locator("#page-message").inner_text()
    page.goto(f"/tasks/{new_id()}")
    page.ready()
    assert "不存在，或不在您的工作范围内" in page.page.locator("#page-message").inner_text()
