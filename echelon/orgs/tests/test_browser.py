"""The registry in a real browser: log in, find a village by pinyin, open it, expand the tree."""

from __future__ import annotations

import pytest

from echelon.accounts import services as account_services
from echelon.conftest import build_tree, make_member
from echelon.testing.browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Echelon-2014-test"


@pytest.fixture
def office(db):
    tree = build_tree()
    for i in range(3):
        make_member(tree.village, f"M{i}", name=f"测试{i}")
    user = account_services.user_create(actor=None, username="league_office", password=PASSWORD)
    account_services.grant_add(actor=None, user=user, unit=tree.league, role="office")
    return tree


def test_login_search_by_pinyin_and_open_village(page, live_server, office):
    login(page, live_server, "league_office", PASSWORD)
    # A league office lands on its work (我的待办); the registry opens on its league.
    page.wait_for_selector("[data-testid=todo-empty], [data-testid=todo]")
    page.click("nav >> text=组织")
    page.wait_for_selector("[data-testid=unit-name]")
    assert page.inner_text("[data-testid=unit-name]") == "呼和浩特市"
    shot(page, "unit-league")
    page.fill("input.ech-search", "dtc")  # 东土城村
    page.press("input.ech-search", "Enter")
    page.wait_for_selector("[data-testid=search-results]")
    page.click("text=东土城村")
    page.wait_for_selector("[data-testid=unit-name]")
    assert page.inner_text("[data-testid=unit-name]") == "东土城村"
    assert page.inner_text("[data-testid=sub-members]") == "3"
    shot(page, "unit-village")


def test_lazy_tree_loads_children(page, live_server, office):
    login(page, live_server, "league_office", PASSWORD)
    page.goto(f"{live_server.url}/orgs/u/150125/")
    page.wait_for_selector("[data-testid=unit-name]")
    # the outsider's league is never shown, even in the breadcrumb
    assert "包头市" not in page.content()
    assert "内蒙古自治区" not in page.inner_text("nav[aria-label=breadcrumb]")


def test_english_is_available(page, live_server, office):
    login(page, live_server, "league_office", PASSWORD)
    page.goto(f"{live_server.url}/orgs/")
    page.wait_for_selector("[data-testid=unit-name]")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
