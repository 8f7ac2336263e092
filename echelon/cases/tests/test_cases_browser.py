"""Typical cases and own actions in a real browser, on a phone (390 px wide): the village secretary adds a
required own action to its phase and sees it beside the prescribed ones, follows "典型案例 (1)" beside the
mobilization meeting to the library of that action, and nominates a case with a file; the county office
publishes it from its review queue."""

from __future__ import annotations

import pytest

from echelon.cases import services as case_services
from echelon.cases.models import Case, CaseStatus
from echelon.conftest import build_tree
from echelon.supervision.models import OwnAction
from echelon.supervision.tests.helpers import make_campaign, part
from echelon.testing.browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Typical-Case-2014"
PHONE = {"width": 390, "height": 844}


def _person(username: str, unit, role: str):
    from echelon.accounts import services as account_services

    user = account_services.user_create(actor=None, username=username, password=PASSWORD)
    account_services.grant_add(actor=None, user=user, unit=unit, role=role)
    return user


def _no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page is {width}px wide on a {PHONE['width']}px phone"


def test_own_action_and_typical_cases_on_a_phone(browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tree = build_tree()
    _person("secretary", tree.village, "operator")
    township_operator = _person("township", tree.township, "operator")
    office = _person("office", tree.county, "office")
    campaign = make_campaign(tree.region)
    model = case_services.case_nominate(
        actor=township_operator,
        participation=part(campaign, tree.township),
        phase_key="prepare",
        action_key="mobilize",
        title="可可以力更镇分片动员",
        text="镇党委分片召开动员会。",
    )
    case_services.case_publish(actor=office, case=model)

    phone = browser.new_context(locale="zh-CN", viewport=PHONE).new_page()
    login(phone, live_server, "secretary", PASSWORD)
    unit_url = f"{live_server.url}/supervision/{campaign.pk}/u/{tree.village.code}/"
    phone.goto(unit_url)
    phone.click("text=添加自选动作")
    phone.fill("#own-title", "走访慰问困难党员")
    phone.select_option("#own-evidence", "confirm")
    phone.check("#own-required")
    phone.click("[data-testid=own-add] button[type=submit]")
    phone.wait_for_load_state()
    assert OwnAction.objects.filter(title="走访慰问困难党员", required=True).exists()
    body = phone.inner_text("body")
    assert "走访慰问困难党员" in body and "自选动作" in body
    assert "走访慰问困难党员" in phone.inner_text("[data-testid=missing]")  # it blocks the submission
    _no_overflow(phone)
    shot(phone, "own-action-phone")

    phone.click("[data-action=mobilize] >> text=典型案例 (1)")
    phone.wait_for_load_state()
    assert "可可以力更镇分片动员" in phone.inner_text("body")
    _no_overflow(phone)
    shot(phone, "cases-library-phone")

    phone.click("[data-testid=case-new]")
    phone.wait_for_load_state()
    phone.fill("#id_title", "东土城村动员会开到田间")
    phone.fill("#id_text", "在田间地头召开党员大会，参会率 98%。")
    pdf = tmp_path / "动员会照片.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% photo\n")
    phone.set_input_files("#case-files", str(pdf))
    phone.click("[data-testid=case-form] button[type=submit]")
    phone.wait_for_selector("[data-testid=case-title]")
    case = Case.objects.get(title="东土城村动员会开到田间")
    assert case.action_key == "mobilize" and case.files.count() == 1 and case.status == CaseStatus.SUBMITTED
    _no_overflow(phone)

    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    login(desk, live_server, "office", PASSWORD)
    desk.goto(f"{live_server.url}/cases/review/")
    desk.click("text=东土城村动员会开到田间")
    desk.fill("#id_comment", "做法实、可复制")
    desk.click("text=发布到案例库")
    desk.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED and case.library_unit == tree.county
    phone.goto(unit_url)
    assert "典型案例 (2)" in phone.inner_text("[data-action=mobilize]")
    shot(phone, "own-action-cases-phone")
