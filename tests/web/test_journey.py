"""The journeys end to end, every step through the pages (the world is set up by fixtures only):
a village worker reports a need on the form, it is dispatched on the board, the township officer
accepts it and sends it on, a provider delivers, the township verifies and closes, and the chain
shows on the trace page. Three roads: the county's single dispatch with the township offering the
task to the pool and a provider claiming it; the county's batch proposal with the township assigning
the task to a matched provider by name; the township dispatching from its own board to the pool,
where two providers race for the claim. No console error on any page; axe on the pages the journey
ends on."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from graph.model import Household, Need, Organisation, new_id
from graph.model.enums import NeedStatus, NeedType, OrganisationKind
from graph.store import where
from referral.access.tasks import organisation_serves
from tests.web.conftest import PHONE, Site, Watched
from tests.web.test_dispatch_board import no_serious_violations, shot

pytestmark = pytest.mark.slow

OpenPage = Callable[..., Watched]
ACTIVE = (NeedStatus.OPEN, NeedStatus.REFERRED)


@dataclass
class Report:
    """What the village worker is about to report: a household, a type it has no need of, words."""

    household_id: str
    need_type: NeedType
    description: str


def journey_household(site: Site) -> str:
    """A household of the scenario's village that other tests leave alone: not hh_provider (the
    township's tests trace it), the last by id (the board's tests take the first)."""
    scenario = site.world.scenario
    households = site.world.store.run(
        lambda uow: uow.find(Household, where(village_code=scenario.village)), write=False
    )
    return max(h.id for h in households if h.id != scenario.hh_provider)


def new_report(site: Site) -> Report:
    """A need type the household has none open of (each journey ends with its need met)."""
    household = journey_household(site)
    active = site.world.store.run(
        lambda uow: {n.type for n in uow.find(Need, where(household_id=household, status__in=list(ACTIVE)))},
        write=False,
    )
    fresh = next(t for t in NeedType if t not in active)
    return Report(household, fresh, f"入户走访：{fresh.zh}困难（{new_id()[-6:]}）")


def providers_serving(site: Site, village: str) -> list[str]:
    """Sign-ins of the charities and social-work bodies serving the village (the site made one each)."""
    orgs = site.world.store.run(
        lambda uow: uow.find(
            Organisation, where(kind__in=[OrganisationKind.CHARITY, OrganisationKind.SOCIAL_WORK])
        ),
        write=False,
    )
    return [
        f"org.{o.id.lower()}" for o in sorted(orgs, key=lambda o: o.id) if organisation_serves(o, village)
    ]


def report_on_the_form(open_page: OpenPage, report: Report) -> None:
    village = open_page(viewport=PHONE)
    village.sign_in("village", then="/needs/new")
    village.page.get_by_label("家庭编号").fill(report.household_id)
    village.page.get_by_label("需求类型").select_option(report.need_type.value)
    village.page.get_by_label("紧急", exact=True).check()
    village.page.get_by_label("情况说明").fill(report.description)
    village.page.get_by_role("button", name="提交").click()
    village.page.locator("#page-message.success").wait_for()


def board_card(page: Watched, report: Report, area: str) -> str:
    """Show the area on the board; the need's card by its words; its need id."""
    page.page.get_by_label("区域", exact=True).select_option(area)
    page.page.get_by_role("button", name="显示").click()
    page.ready()
    card = page.page.locator("article.need-card", has_text=report.description)
    card.wait_for()
    need_id = card.get_attribute("data-need")
    assert need_id
    return need_id


def confirm(page: Watched) -> None:
    page.page.locator("#confirm-dialog").get_by_role("button", name="确认派单").click()


def referral_hops(page: Watched, referral_path: str) -> list[str]:
    """Open the referral's page; the ids of its hops, in order."""
    page.goto(referral_path)
    page.ready()
    hops: list[str] = page.page.locator("#hops-table tr[data-hop]").evaluate_all(
        "rows => rows.map(r => r.dataset.hop)"
    )
    return hops


def act(page: Watched, action: str, done: str) -> None:
    page.page.locator(f"#action-buttons button[data-action='{action}']").click()
    page.page.get_by_text(done).wait_for()
    page.ready()


def township_opens_from_notification(page: Watched, href: str) -> None:
    page.goto("/home")
    page.ready()
    page.page.locator(f"#notification-list a[href='{href}']").first.click()
    page.page.wait_for_url(f"**{href}")
    page.ready()


def claim_and_complete_on_the_task_board(page: Watched, hop: str, note: str) -> None:
    row = f"#pool-list tr[data-hop='{hop}']"
    assert "已隐藏" in page.page.locator(row).inner_text()  # the pool is masked for providers
    page.page.locator(f"{row} button.claim").click()
    page.page.get_by_text("认领成功").wait_for()
    page.ready()
    mine = f"#mine-list tr[data-hop='{hop}']"
    page.page.locator(f"{mine} button[data-action='start']").click()
    page.page.locator(f"{mine} button[data-action='complete']").wait_for()
    page.page.locator(f"{mine} button[data-action='complete']").click()
    dialog = page.page.locator("#complete-dialog")
    dialog.get_by_label("提供了什么").select_option("service")
    dialog.get_by_label("说明").fill(note)
    dialog.get_by_role("button", name="确认办结").click()
    page.page.get_by_text("已办结，等待镇街核验。").wait_for()
    page.ready()


def verify_and_close(officer: Watched, referral_id: str) -> None:
    township_opens_from_notification(officer, f"/referrals/{referral_id}")
    officer.page.locator("#action-buttons button[data-action='verify']").click()
    officer.page.get_by_label("成效评估").select_option("resolved")
    officer.page.get_by_role("button", name="确认核验办结").click()
    officer.page.get_by_text("已核验办结。").wait_for()
    officer.ready()
    assert "已完成" in officer.page.locator("#task-facts").inner_text()


def trace_shows_the_chain(page: Watched, report: Report, hops: list[str], note: str) -> None:
    page.goto(f"/households/{report.household_id}")
    page.ready()
    page.page.locator("#open-trace").click()
    page.page.wait_for_url("**/trace?household=*")
    page.ready()
    for hop in hops:
        assert page.page.locator(f"#trace-hops tr[data-hop='{hop}']").count() == 1, hop
    graph = page.page.locator("#graph")
    assert int(graph.get_attribute("data-nodes") or 0) >= 5
    assert int(graph.get_attribute("data-edges") or 0) >= len(hops)
    timeline = page.page.locator("#timeline").inner_text()
    assert report.description in timeline or report.need_type.zh in timeline
    assert note in timeline and "成效评估：已解决" in timeline


def test_county_dispatch_township_offers_to_the_pool_provider_claims(open_page: OpenPage, site: Site) -> None:
    scenario = site.world.scenario
    report = new_report(site)
    provider_user = providers_serving(site, scenario.village)[0]
    report_on_the_form(open_page, report)

    coordinator = open_page()
    coordinator.sign_in("coordinator", then="/dispatch")
    need_id = board_card(coordinator, report, scenario.village)
    card = coordinator.page.locator(f"article.need-card[data-need='{need_id}']")
    card.get_by_role("button", name="派单", exact=True).click()
    confirm(coordinator)
    link = card.locator(".result.ok a.referral-link")
    link.wait_for()
    referral_path = link.get_attribute("href")
    assert referral_path and referral_path.startswith("/referrals/")
    referral_id = referral_path.rsplit("/", 1)[1]
    (first_hop,) = referral_hops(coordinator, referral_path)

    officer = open_page()
    officer.sign_in("township")
    township_opens_from_notification(officer, f"/tasks/{first_hop}")
    act(officer, "accept", "已受理。")
    act(officer, "offer", "已发布到任务池。")
    hops = referral_hops(officer, referral_path)
    assert len(hops) == 2 and hops[0] == first_hop

    provider = open_page(viewport=PHONE)
    provider.sign_in(provider_user, then="/tasks")
    claim_and_complete_on_the_task_board(provider, hops[1], "上门探访，送去米油")

    verify_and_close(officer, referral_id)

    trace_shows_the_chain(coordinator, report, hops, "上门探访，送去米油")
    no_serious_violations(coordinator)
    coordinator.page.evaluate("window.scrollTo(0, 0)")
    shot(coordinator, "journey-trace")


def test_county_batch_township_assigns_to_a_matched_provider(open_page: OpenPage, site: Site) -> None:
    scenario = site.world.scenario
    report = new_report(site)
    report_on_the_form(open_page, report)

    # The coordinator proposes for the village and dispatches only this need's row.
    coordinator = open_page()
    coordinator.sign_in("coordinator", then="/dispatch")
    need_id = board_card(coordinator, report, scenario.village)
    coordinator.page.get_by_role("button", name="计算分配方案").click()
    rows = coordinator.page.locator("#batch-assignments tbody tr")
    rows.first.wait_for()
    coordinator.ready()
    for i in range(rows.count()):
        if rows.nth(i).get_attribute("data-need") != need_id:
            rows.nth(i).get_by_role("checkbox").uncheck()
    coordinator.page.get_by_role("button", name="派单已勾选的分配").click()
    assert coordinator.page.locator("#confirm-dialog li").count() == 1
    confirm(coordinator)
    link = coordinator.page.locator(f"#batch-assignments tr[data-need='{need_id}'] a.referral-link")
    link.wait_for()
    referral_path = link.get_attribute("href")
    assert referral_path
    referral_id = referral_path.rsplit("/", 1)[1]
    (first_hop,) = referral_hops(coordinator, referral_path)

    # The township accepts and assigns it by name to a provider the matching found.
    officer = open_page()
    officer.sign_in("township")
    township_opens_from_notification(officer, f"/tasks/{first_hop}")
    act(officer, "accept", "已受理。")
    officer.page.locator("#action-buttons button[data-action='assign']").click()
    choice = officer.page.get_by_label("转派给服务机构")
    staffed = set(providers_serving(site, scenario.village))
    offered = [v for v in choice.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
    org = next(v for v in offered if f"org.{v.lower()}" in staffed)
    choice.select_option(org)
    officer.page.get_by_role("button", name="确认转派").click()
    officer.page.get_by_text("已转派，新的一环已发出。").wait_for()
    officer.ready()
    hops = referral_hops(officer, referral_path)
    assert len(hops) == 2

    # The provider works the task on its task page: accept, start, complete.
    provider = open_page()
    provider.sign_in(f"org.{org.lower()}", then=f"/tasks/{hops[1]}")
    act(provider, "accept", "已受理。")
    provider.page.locator("#action-buttons button[data-action='start']").click()
    provider.page.locator("#page-message.success").wait_for()
    provider.ready()
    provider.page.locator("#action-buttons button[data-action='complete']").click()
    provider.page.get_by_label("提供了什么").select_option("service")
    provider.page.get_by_label("说明").fill("联系康复机构，安排上门评估")
    provider.page.get_by_role("button", name="确认办结").click()
    provider.page.get_by_text("已办结，等待镇街核验。").wait_for()

    verify_and_close(officer, referral_id)
    trace_shows_the_chain(officer, report, hops, "联系康复机构，安排上门评估")


def test_township_dispatches_to_the_pool_and_one_of_two_providers_wins(
    open_page: OpenPage, site: Site
) -> None:
    scenario = site.world.scenario
    report = new_report(site)
    first_user, second_user = providers_serving(site, scenario.village)[:2]
    report_on_the_form(open_page, report)

    officer = open_page()
    officer.sign_in("township", then="/dispatch")
    need_id = board_card(officer, report, scenario.village)
    officer.page.get_by_label("派往").select_option("pool")
    card = officer.page.locator(f"article.need-card[data-need='{need_id}']")
    card.get_by_role("button", name="派单", exact=True).click()
    confirm(officer)
    link = card.locator(".result.ok a.referral-link")
    link.wait_for()
    referral_path = link.get_attribute("href")
    assert referral_path
    referral_id = referral_path.rsplit("/", 1)[1]
    (pool_hop,) = referral_hops(officer, referral_path)

    winner, loser = open_page(), open_page(viewport=PHONE)
    loser.allow_failed(409)
    winner.sign_in(first_user, then="/tasks")
    loser.sign_in(second_user, then="/tasks")
    row = f"#pool-list tr[data-hop='{pool_hop}']"
    assert winner.page.locator(row).count() == 1 and loser.page.locator(row).count() == 1
    claim_and_complete_on_the_task_board(winner, pool_hop, "陪同就医一次")
    loser.page.locator(f"{row} button.claim").click()
    assert "该任务刚被其他机构认领" in loser.page.locator("#page-message.error").inner_text()

    verify_and_close(officer, referral_id)

    coordinator = open_page()
    coordinator.sign_in("coordinator")
    trace_shows_the_chain(coordinator, report, [pool_hop], "陪同就医一次")
    assert re.search(r"\d", coordinator.page.locator("#graph").get_attribute("data-nodes") or "")
