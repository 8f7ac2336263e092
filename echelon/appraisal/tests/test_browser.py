"""民主评议 on a phone (390 px): the village secretary opens the meeting, taps a grade for each member
present, finalises, and talks with the member rated 差; the county office sees the counts and no name.
Screenshots go to /tmp/appraisal_*.png."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from echelon.accounts import services as account_services
from echelon.appraisal.models import Appraisal, FollowUp, State
from echelon.conftest import PERSONAS, build_tree, make_member
from echelon.supervision.tests.helpers import make_campaign
from echelon.testing.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Appraisal-Pass-2014"
PHONE = {"width": 390, "height": 844}
SHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tree = build_tree()
    for name, (attr, role) in PERSONAS.items():
        user = account_services.user_create(actor=None, username=name, password=PASSWORD, display_name=name)
        account_services.grant_add(actor=None, user=user, unit=getattr(tree, attr), role=role)
    make_campaign(tree.region)
    for n, name in enumerate(["张伟", "李娜", "王芳"], start=1):
        make_member(tree.village, f"B-{n}", name=name)
    return tree


def _phone(browser, live_server, who: str):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, live_server, who, PASSWORD)
    page.errors = errors
    return page


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_rate_on_a_phone(world, browser, live_server):
    tree = world
    page = _phone(browser, live_server, "village_secretary")
    page.goto(f"{live_server.url}/appraisal/u/{tree.village.code}/branch/")
    form = page.get_by_test_id("appraisal-create")
    form.locator("input[name=meeting_date]").fill("2014-06-10")
    form.locator("input[name=present]").fill("2")
    form.get_by_role("button").click()
    page.wait_for_load_state()
    grid = page.get_by_test_id("appraisal-grid")
    grid.get_by_text("好", exact=True).first.click()  # 张伟
    grid.locator("label[for^='g-'][for$='-3']").nth(1).click()  # 李娜: 差
    _fits(page)
    page.screenshot(path=str(SHOTS / "appraisal_grid_phone.png"), full_page=True)
    grid.get_by_role("button", name="保存评议结果").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="完成评议（完成后不能修改）").click()
    page.wait_for_load_state()
    appraisal = Appraisal.objects.get()
    assert (appraisal.state, appraisal.rated, appraisal.lowest) == (State.RECORDED, 2, 1)
    talk = page.get_by_test_id("followup")
    talk.locator("input[name=deadline]").fill("2014-09-30")
    talk.locator("input[name=talk_date]").fill("2014-06-12")
    talk.locator("textarea[name=talk]").fill("指出不足，提出改进要求。")
    talk.get_by_role("button", name="登记帮助谈话").click()
    page.wait_for_load_state()
    assert FollowUp.objects.get().rating.member.name == "李娜"
    _fits(page)
    page.screenshot(path=str(SHOTS / "appraisal_followup_phone.png"), full_page=True)
    assert not page.errors

    county = _phone(browser, live_server, "county_office")
    county.goto(f"{live_server.url}/appraisal/u/{tree.village.code}/branch/")
    assert county.get_by_test_id("appraisal-counts").inner_text().replace(" ", "").find("差1") >= 0
    assert "李娜" not in county.content()
    county.goto(f"{live_server.url}/appraisal/u/{tree.county.code}/")
    _fits(county)
    county.screenshot(path=str(SHOTS / "appraisal_summary_phone.png"), full_page=True)
