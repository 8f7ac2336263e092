"""The pickers in a real browser, on a desktop and on a phone (390 px): the county supervisor types 马家
in the patrol form, sees both villages of that name each with its township, picks the right one and
records the visit; in the header's search box 马家 offers the same two with their parent paths and opens
the chosen unit's page. No page scrolls sideways."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from echelon.conftest import build_tree
from echelon.orgs.models import Kind, Level
from echelon.supervision.models import PatrolVisit
from echelon.supervision.tests.helpers import group, make_campaign, part
from echelon.testing.browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Picker-Patrol-2014"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def patrol_world():
    from echelon.accounts import services as account_services
    from echelon.conftest import make_unit
    from echelon.supervision import services

    tree = build_tree()
    mjh = make_unit(tree.township, "150125100202", "马家壕村", Level.VILLAGE, Kind.VILLAGE, "village")
    make_unit(tree.community_township, "150125001202", "马家壕村", Level.VILLAGE, Kind.VILLAGE, "village")
    make_unit(tree.units["150222100"], "150222100202", "马家湾村", Level.VILLAGE, Kind.VILLAGE, "village")
    supervisor = account_services.user_create(
        actor=None, username="patroller", password=PASSWORD, display_name="李督导"
    )
    campaign = make_campaign(tree.region)
    g = group(campaign, tree.county, "武川县第一督导组", members=(supervisor,))
    services.assign(actor=None, group=g, participation=part(campaign, tree.township))
    return tree, g, mjh


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_patrol_picker_and_header_search(browser, live_server, patrol_world, size):
    _tree, g, mjh = patrol_world
    viewport = DESKTOP if size == "desktop" else PHONE
    page = browser.new_context(locale="zh-CN", viewport=viewport).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server, "patroller", PASSWORD)

    page.goto(f"{live_server.url}/supervision/groups/{g.pk}/")
    picker = page.locator("[data-testid=patrol-unit] .ts-control input")
    picker.click()
    picker.fill("马家")
    options = page.locator(".ts-dropdown [data-testid=picker-option]")
    options.first.wait_for()
    texts = options.all_inner_texts()
    assert len(texts) == 2, texts
    assert any("可可以力更镇" in t for t in texts) and any("城关街道" in t for t in texts)
    assert not any("马家湾村" in t for t in texts)  # 包头市's village is not the supervisor's to see
    assert no_sideways_scroll(page)
    shot(page, f"picker-patrol-{size}")
    page.locator(".ts-dropdown [data-testid=picker-option]", has_text="可可以力更镇").click()
    assert page.locator("input[name=code]").input_value() == mjh.code
    page.fill("input[name=date]", date.today().isoformat())
    page.fill("textarea[name=findings]", "征求意见台账缺页")
    with page.expect_navigation():
        page.click("text=记录巡查")
    assert "巡查记录已保存" in page.content(), page.locator(".alert").all_inner_texts()
    assert list(PatrolVisit.objects.values_list("unit__code", flat=True)) == [mjh.code]

    if size == "phone":
        page.click(".navbar-toggler")
    box = page.locator("input[data-search-lookup]")
    box.click()
    box.fill("马家")
    hits = page.locator("[data-testid=search-suggestions] a.dropdown-item")
    hits.first.wait_for()
    rows = hits.all_inner_texts()
    assert any("马家壕村" in r and "武川县 › 可可以力更镇" in r for r in rows), rows
    assert any("马家壕村" in r and "武川县 › 城关街道" in r for r in rows), rows
    assert not any("马家湾村" in r for r in rows)
    assert no_sideways_scroll(page)
    shot(page, f"picker-search-{size}")
    page.locator("[data-testid=search-suggestions] a.dropdown-item", has_text="城关街道").first.click()
    page.wait_for_url("**/orgs/u/150125001202/")

    # the suffix-tolerant results page, with the parent path
    page.goto(f"{live_server.url}/orgs/search/?q=武川县党委")
    assert "武川县" in page.locator("[data-testid=search-results]").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e or "TomSelect" in e], errors


def test_liaison_point_picked_by_name(browser, live_server, patrol_world):
    """The county office picks the leader by name and the point by pinyin initials (desktop)."""
    from echelon.accounts import services as account_services
    from echelon.supervision.models import LiaisonPoint

    tree, _g, _mjh = patrol_world
    office = account_services.user_create(actor=None, username="county_desk", password=PASSWORD)
    account_services.grant_add(actor=None, user=office, unit=tree.county, role="office")
    leader = account_services.user_create(
        actor=None, username="leader_wang", password=None, display_name="王建国"
    )
    account_services.grant_add(actor=None, user=leader, unit=tree.county, role="leader")
    page = browser.new_context(locale="zh-CN", viewport=DESKTOP).new_page()
    login(page, live_server, "county_desk", PASSWORD)
    page.goto(f"{live_server.url}/supervision/liaison/points/")
    people = page.locator("input[name=leader] + .ts-wrapper .ts-control input")
    people.click()
    people.fill("王")
    page.locator(".ts-dropdown [data-testid=picker-option]", has_text="王建国").first.click()
    expect(page.locator("input[name=leader]")).to_have_value("leader_wang")  # set when the option is taken
    units = page.locator("input[name=code] + .ts-wrapper .ts-control input")
    units.click()
    units.fill("kkylgz")
    option = page.locator(".ts-dropdown [data-testid=picker-option]", has_text="可可以力更镇").first
    option.wait_for()
    assert "武川县" in option.inner_text()  # its parent path
    shot(page, "picker-liaison-desktop")
    option.click()
    expect(page.locator("input[name=leader]")).to_have_value("leader_wang")
    expect(page.locator("input[name=code]")).to_have_value(tree.township.code)
    with page.expect_navigation():
        page.click("text=添加联系点")
    assert "已添加联系点" in page.content(), page.locator(".alert").all_inner_texts()
    point = LiaisonPoint.objects.get()
    assert (point.leader.username, point.unit.code) == ("leader_wang", tree.township.code)

    # the campaign form's scope starts at the office's own unit: shown by its name, not its code
    page.goto(f"{live_server.url}/campaigns/new/")
    scope = page.locator("input[name=root] + .ts-wrapper .ts-control .item")
    page.wait_for_function(
        "document.querySelector('input[name=root] + .ts-wrapper .item')?.innerText.includes('武川县')"
    )
    assert "武川县" in scope.inner_text()
    shot(page, "picker-campaign-desktop")
