"""Approval first, in a real browser (ADR 18): the township's operator sees the democratic life meeting
locked ("待督导组审核方案"), uploads the meeting plan; the county group's member finds it in the workbench's
queue, returns it with a reason, then approves the next version; the meeting unlocks. On a phone too."""

from __future__ import annotations

import io

import pytest

from echelon.conftest import build_tree
from echelon.supervision import services
from echelon.supervision.models import ApprovalState, MaterialApproval
from echelon.supervision.tests.helpers import group, make_campaign, part, user
from echelon.supervision.tests.kit_approval import PDF, to_examine
from echelon.testing.browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Plan-First-2014"


@pytest.fixture
def world(settings, tmp_path):
    from echelon.accounts import services as account_services

    settings.MEDIA_ROOT = tmp_path
    tree = build_tree()
    operator = account_services.user_create(actor=None, username="operator", password=PASSWORD)
    account_services.grant_add(actor=None, user=operator, unit=tree.township, role="operator")
    reviewer = user("reviewer")
    reviewer.set_password(PASSWORD)
    reviewer.save()
    campaign = make_campaign(tree.region)
    g = group(campaign, tree.county, "武川县第一督导组", members=(reviewer,))
    p = part(campaign, tree.township)
    services.assign(actor=None, group=g, participation=p)
    to_examine(p, operator, reviewer)
    return campaign, tree, tmp_path


def upload_in_page(page, tmp_path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(PDF)
    row = page.locator('li[data-action="meeting_plan"]')
    row.locator('input[type="file"]').set_input_files(str(path))
    row.locator("button", has_text="上传").click()
    page.wait_for_load_state()


def test_the_meeting_unlocks_once_the_group_approved_the_plan(browser, live_server, world):
    campaign, tree, tmp_path = world
    unit_url = f"{live_server.url}/supervision/{campaign.pk}/u/{tree.township.code}/"
    unit = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    group_page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()

    login(unit, live_server, "operator", PASSWORD)
    unit.goto(unit_url)
    meeting_row = unit.locator('li[data-action="meeting"]')
    assert "待督导组审核方案" in meeting_row.inner_text()
    assert meeting_row.locator("summary", has_text="记录会议").count() == 0  # no form while locked
    upload_in_page(unit, tmp_path, "民主生活会方案.pdf")
    assert "待督导组审核" in unit.locator('li[data-action="meeting_plan"]').inner_text()
    shot(unit, "approval-unit-waiting")

    login(group_page, live_server, "reviewer", PASSWORD)
    group_page.goto(f"{live_server.url}/supervision/workbench/")
    queue = group_page.locator('[data-testid="approval-queue"]')
    assert "可可以力更镇" in queue.inner_text() and "专题民主生活会方案报督导组审核" in queue.inner_text()
    shot(group_page, "approval-queue")
    item = queue.locator("li[data-approval]").first
    item.locator('input[name="reason"]').fill("方案未列出征求到的主要意见")
    item.locator("button", has_text="退回修改").click()
    group_page.wait_for_load_state()
    assert MaterialApproval.objects.get().state == ApprovalState.RETURNED

    unit.goto(unit_url)
    assert "方案未列出征求到的主要意见" in unit.locator('li[data-action="meeting"]').inner_text()
    upload_in_page(unit, tmp_path, "民主生活会方案（修改稿）.pdf")

    group_page.goto(f"{live_server.url}/supervision/workbench/")
    group_page.locator('[data-testid="approval-queue"] li[data-approval] button', has_text="审核通过").click()
    group_page.wait_for_load_state()
    assert MaterialApproval.objects.filter(state=ApprovalState.APPROVED).count() == 1

    unit.goto(unit_url)
    meeting_row = unit.locator('li[data-action="meeting"]')
    assert "待督导组审核方案" not in meeting_row.inner_text()
    assert meeting_row.locator("summary", has_text="记录会议").count() == 1
    assert "督导组已审核通过" in unit.locator('li[data-action="meeting_plan"]').inner_text()
    shot(unit, "approval-unit-approved")


def test_the_lock_and_the_queue_fit_a_phone(browser, live_server, world):
    campaign, tree, _tmp = world
    upload = services.material_upload
    p = part(campaign, tree.township)
    from echelon.accounts.models import User

    upload(
        actor=User.objects.get(username="operator"),
        participation=p,
        phase=2,
        action_key="meeting_plan",
        fileobj=io.BytesIO(PDF),
        name="方案.pdf",
    )
    for name, url in (
        ("operator", f"/supervision/{campaign.pk}/u/{tree.township.code}/"),
        ("reviewer", "/supervision/workbench/"),
    ):
        phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
        login(phone, live_server, name, PASSWORD)
        phone.goto(f"{live_server.url}{url}")
        wide = phone.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, (name, wide)
        shot(phone, f"approval-phone-{name}")
