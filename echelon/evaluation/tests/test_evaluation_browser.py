"""The evaluation's "done when", in a real browser: 东土城村 holds its satisfaction evaluation (paper tallies
and two online ballots cast on a phone with the codes of the printed slips), falls below the threshold, its
redo opens by itself; the secretary records the work, holds a second evaluation that passes, and the
township's instructor group (the county supervisor) decides the redo done. Screenshots go to
/tmp/evaluation_*.png."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from echelon.accounts import services as account_services
from echelon.conftest import PERSONAS, build_tree
from echelon.evaluation.models import Redo, RedoStatus, Session
from echelon.evaluation.tests.helpers import evaluation_world
from echelon.testing.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Evaluation-Pass-2014"
DESK = {"width": 1366, "height": 900}
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
    evaluation_world(tree, personas)
    return tree


def _page(browser, live_server, who: str | None, viewport: dict[str, int] = DESK):
    context = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if who:
        login(page, live_server, who, PASSWORD)
        page.wait_for_load_state()
    page.errors = errors
    return page


def _evaluate(page, live_server, code: str, present: str, votes: list[list[int]]) -> None:
    """Open a session on the unit page, register the public present and enter the paper votes."""
    page.goto(f"{live_server.url}/evaluation/unit/{code}/")
    page.fill("#id_held_on", "2014-09-10")
    with page.expect_navigation():
        page.get_by_test_id("session-new").click()
    page.select_option("#id_kind", "public")
    page.fill("#id_present", present)
    with page.expect_navigation():
        page.get_by_test_id("group-save").click()
    group = page.get_by_test_id("group-public")
    for i, row in enumerate(votes):
        for o, n in enumerate(row):
            group.locator(f"input[name=v_{i}_{o}]").fill(str(n))
    with page.expect_navigation():
        page.get_by_test_id("tally-save-public").click()


def _close(page) -> None:
    with page.expect_navigation():
        page.get_by_test_id("session-close").click()


def test_below_threshold_redo_done_and_evaluated_again(world, browser, live_server):
    tree = world
    page = _page(browser, live_server, "village_secretary")
    _evaluate(page, live_server, tree.village.code, "12", [[2, 1, 7], [2, 2, 6]])
    page.screenshot(path=str(SHOTS / "evaluation_session.png"), full_page=True)
    # more paper votes than people present: refused on the page, nothing written
    group = page.get_by_test_id("group-public")
    group.locator("input[name=v_0_0]").fill("9")
    with page.expect_navigation():
        page.get_by_test_id("tally-save-public").click()
    assert "超过了基层群众的到会人数 12" in page.content()
    # two online codes: the slips open in a new tab, the codes shown this once
    group = page.get_by_test_id("group-public")
    group.locator("input[name=count]").fill("2")
    with page.expect_popup() as popup:
        group.get_by_role("button", name=re.compile("生成并打印测评票")).click()
    slips = popup.value
    slips.wait_for_load_state()
    codes = [c.replace(" ", "") for c in slips.get_by_test_id("slip-code").all_inner_texts()]
    assert len(codes) == 2
    slips.screenshot(path=str(SHOTS / "evaluation_slips.png"), full_page=True)
    # on a phone, without an account: both codes vote "not satisfied"; the second use of one is refused
    phone = _page(browser, live_server, None, PHONE)
    for code in codes:
        phone.goto(f"{live_server.url}/p/ballot/?code={code}")
        assert phone.get_by_test_id("ballot-unit").inner_text() == tree.village.name
        phone.locator("label[for=item-0-2]").click()
        phone.locator("label[for=item-1-1]").click()
        phone.screenshot(path=str(SHOTS / "evaluation_ballot_phone.png"), full_page=True)
        with phone.expect_navigation():
            phone.get_by_test_id("ballot-submit").click()
        assert phone.get_by_test_id("ballot-thanks").is_visible()
    phone.goto(f"{live_server.url}/p/ballot/?code={codes[0]}")
    assert "已经使用过" in phone.get_by_test_id("ballot-error").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # closing: (2 + 1) satisfied of 12 → 25 %, below 60 %: the redo opens by itself
    page.reload()
    _close(page)
    assert "25.0%" in page.get_by_test_id("session-result").inner_text()
    with page.expect_navigation():
        page.get_by_test_id("session-redo").click()
    assert "60.0%" in page.get_by_test_id("redo-reasons").inner_text()
    assert page.get_by_test_id("redo-status").inner_text() == "补课中"
    page.fill("#id_work", "逐户走访群众，公开村务账目，整改了道路和低保两件事。")
    with page.expect_navigation():
        page.get_by_test_id("redo-work-save").click()
    page.screenshot(path=str(SHOTS / "evaluation_redo.png"), full_page=True)
    # the second evaluation passes: the redo waits for the group
    _evaluate(page, live_server, tree.village.code, "10", [[7, 2, 1], [6, 3, 1]])
    _close(page)
    assert "90.0%" in page.get_by_test_id("session-result").inner_text()
    redo = Redo.objects.get()
    assert redo.status == RedoStatus.PASSED and Session.objects.filter(redo=redo, passed=True).exists()
    page.goto(f"{live_server.url}/evaluation/redos/{redo.pk}/")
    assert page.get_by_test_id("redo-decide").count() == 0  # who did the work never decides it

    narrow = _page(browser, live_server, "village_secretary", PHONE)
    narrow.goto(f"{live_server.url}/evaluation/unit/{tree.village.code}/")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    narrow.screenshot(path=str(SHOTS / "evaluation_unit_phone.png"), full_page=True)
    group_member = _page(browser, live_server, "county_supervisor")
    group_member.goto(f"{live_server.url}/evaluation/redos/{redo.pk}/")
    group_member.locator("input[name=decision][value=done]").check()
    group_member.fill("#id_comment", "补课扎实，群众认可。")
    with group_member.expect_navigation():
        group_member.get_by_test_id("redo-decide").click()
    assert group_member.get_by_test_id("redo-status").inner_text() == "补课完成"
    group_member.screenshot(path=str(SHOTS / "evaluation_redo_done.png"), full_page=True)
    # the county's board counts the village: evaluated, above the threshold now, its redo done
    office = _page(browser, live_server, "county_office")
    office.goto(f"{live_server.url}/evaluation/?unit={tree.county.code}")
    totals = office.get_by_test_id("evaluation-totals").inner_text()
    assert "90.0%" in totals
    office.screenshot(path=str(SHOTS / "evaluation_board.png"), full_page=True)
    assert not (page.errors or phone.errors or group_member.errors or office.errors)
