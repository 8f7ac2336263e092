"""The satisfaction evaluation on the dashboard, in a real browser: the region office reads the satisfied
share and the units below the threshold, clicks through to the village in its remedial round (补课); the
county office reads its part on a phone without sideways scrolling. Screenshots go to screenshots/."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from echelon.accounts import services as account_services
from echelon.campaigns import progress
from echelon.campaigns.models import Participation
from echelon.conftest import PERSONAS, build_tree
from echelon.evaluation import services as evaluation
from echelon.evaluation.tests.helpers import HELD_ON, evaluation_world
from echelon.testing.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Board-Pass-2014"
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parents[3] / "screenshots"


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tree = build_tree()
    personas = {}
    for name, (attr, role) in PERSONAS.items():
        user = account_services.user_create(actor=None, username=name, password=PASSWORD, display_name=name)
        account_services.grant_add(actor=None, user=user, unit=getattr(tree, attr), role=role)
        personas[name] = user
    w = evaluation_world(tree, personas)
    Participation.objects.filter(pk=w.village.pk).update(actual_start=date(2014, 2, 10))
    progress.rebuild()  # the set-up wrote the village's phase directly
    secretary = personas["village_secretary"]
    session = evaluation.session_open(actor=secretary, unit=tree.village, held_on=HELD_ON)
    evaluation.group_set(actor=secretary, session=session, kind="public", present=20)
    evaluation.tally_record(actor=secretary, session=session, kind="public", votes=[[4, 2, 8], [5, 5, 4]])
    evaluation.session_close(actor=secretary, session=session)  # 42.9 %: below 60 %, a remedial round opens
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


def test_the_region_reads_the_satisfaction_and_clicks_to_the_village(world, browser, live_server):
    tree = world
    SHOTS.mkdir(exist_ok=True)
    page = _page(browser, live_server, "region_office")
    page.goto(f"{live_server.url}/dashboard/")
    card = page.get_by_test_id("board-evaluation")
    assert "42.9%" in page.get_by_test_id("evaluation-satisfied_votes").inner_text()
    assert page.get_by_test_id("evaluation-redo_open").inner_text().split()[1] == "1"
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "dashboard_evaluation_region.png"), full_page=True)
    page.get_by_test_id("evaluation-eval_below").click()
    assert page.get_by_test_id("units-measure").inner_text() == "满意度未达标"
    page.get_by_test_id("units-table").get_by_role("link", name=tree.village.name).click()
    assert page.get_by_test_id("board-unit").inner_text() == tree.village.name
    assert not page.errors


def test_the_county_reads_its_part_on_a_phone(world, browser, live_server):
    SHOTS.mkdir(exist_ok=True)
    page = _page(browser, live_server, "county_office", PHONE)
    page.goto(f"{live_server.url}/dashboard/")
    assert page.get_by_test_id("board-unit").inner_text() == world.county.name
    assert "42.9%" in page.get_by_test_id("board-evaluation").inner_text()
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not overflow, "the page is wider than the phone"
    page.get_by_test_id("board-evaluation").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "dashboard_evaluation_county_phone.png"), full_page=True)
    assert not page.errors
