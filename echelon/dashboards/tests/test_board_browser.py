"""The dashboard's "done when", in a real browser: the region office clicks from the map of the leagues to
呼和浩特市, from its county map to 武川县, down to a late village and sees why it is late (its current
phase's planned end has passed and its submission waits for the group); each office lands on its own part.
Screenshots at a desk and on a phone go to /tmp/dashboard_*.png."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from echelon.accounts import services as account_services
from echelon.conftest import PERSONAS, build_tree
from echelon.supervision.tests import kit as sv
from echelon.testing.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Board-Pass-2014"
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tree = build_tree()
    personas = {}
    for name, (attr, role) in PERSONAS.items():
        user = account_services.user_create(actor=None, username=name, password=PASSWORD, display_name=name)
        account_services.grant_add(actor=None, user=user, unit=getattr(tree, attr), role=role)
        personas[name] = user
    sv.world(SimpleNamespace(tree=tree, personas=personas))  # the village's study phase waits for the group
    return tree


def _page(browser, live_server, who: str, viewport: dict[str, int] = DESK):
    context = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, live_server, who, PASSWORD)
    page.wait_for_load_state()
    page.errors = errors
    return page


def _click_area(page, name: str) -> None:
    """Click an area of the drawn map at the centre ECharts gives for it."""
    page.wait_for_function(
        "() => { const el = document.getElementById('board-map');"
        " const c = el && window.echarts && echarts.getInstanceByDom(el);"
        " return c && c.getOption().series[0].type === 'map'; }"
    )
    x, y = page.evaluate(
        """(name) => {
          const el = document.getElementById('board-map');
          const chart = echarts.getInstanceByDom(el);
          const map = echarts.getMap(chart.getOption().series[0].map);
          const f = map.geoJSON.features.find((f) => f.properties.name === name);
          const [px, py] = chart.convertToPixel({seriesIndex: 0}, f.properties.cp || f.properties.center);
          const box = el.getBoundingClientRect();
          return [box.left + px + window.scrollX, box.top + py + window.scrollY];
        }""",
        name,
    )
    page.mouse.click(x - page.evaluate("window.scrollX"), y - page.evaluate("window.scrollY"))


def test_from_the_region_map_down_to_a_late_village(world, browser, live_server):
    tree = world
    page = _page(browser, live_server, "region_office")
    page.goto(f"{live_server.url}/dashboard/")
    assert page.get_by_test_id("board-unit").inner_text() == tree.region.name
    page.get_by_test_id("board-map").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "dashboard_region.png"), full_page=True)
    with page.expect_navigation():
        _click_area(page, tree.league.name)
    assert page.get_by_test_id("board-unit").inner_text() == tree.league.name
    page.get_by_test_id("board-map").scroll_into_view_if_needed()
    with page.expect_navigation():
        _click_area(page, tree.county.name)
    assert page.get_by_test_id("board-unit").inner_text() == tree.county.name
    page.screenshot(path=str(SHOTS / "dashboard_county.png"), full_page=True)
    # the county's township, then its overdue units: the village is among them
    page.get_by_test_id("board-children").get_by_role("link", name=tree.township.name).click()
    assert page.get_by_test_id("board-unit").inner_text() == tree.township.name
    page.get_by_test_id("card-overdue").click()
    assert page.get_by_test_id("units-measure").inner_text() == "当前环节逾期"
    page.get_by_test_id("units-table").get_by_role("link", name=tree.village.name).click()
    assert page.get_by_test_id("board-unit").inner_text() == tree.village.name
    why = page.get_by_test_id("board-own").inner_text()
    assert "计划结束日已过" in why and "等待督导组审核" in why
    assert page.get_by_test_id("why-state").first.inner_text() == "已提交待审核"
    page.screenshot(path=str(SHOTS / "dashboard_village.png"), full_page=True)
    assert not page.errors


@pytest.mark.parametrize("who,unit_attr", [("league_office", "league"), ("county_office", "county")])
def test_each_office_lands_on_its_own_part_on_a_phone(world, browser, live_server, who, unit_attr):
    page = _page(browser, live_server, who, PHONE)
    page.goto(f"{live_server.url}/dashboard/")
    assert page.get_by_test_id("board-unit").inner_text() == getattr(world, unit_attr).name
    assert world.sibling_league.name not in page.content()
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not overflow, "the page is wider than the phone"
    page.screenshot(path=str(SHOTS / f"dashboard_{who}_phone.png"), full_page=True)
    assert not page.errors
