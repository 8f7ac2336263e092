"""The gate, in a real browser: the village secretary submits phase two, the township instructor returns it
with a comment, the secretary uploads a new version and resubmits, the instructor passes it and phase three
opens (不达目的不过关)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from echelon.conftest import build_tree
from echelon.supervision.models import GroupKind, Review
from echelon.supervision.tests.helpers import PREPARED, ahead, group, make_campaign, part, user
from echelon.supervision.tests.test_gates import meeting, upload
from echelon.testing.browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Gate-Keeper-2014"


@pytest.fixture
def gate_world(settings, tmp_path):
    from echelon.accounts import services as account_services

    settings.MEDIA_ROOT = tmp_path
    tree = build_tree()
    secretary = account_services.user_create(actor=None, username="secretary", password=PASSWORD)
    account_services.grant_add(actor=None, user=secretary, unit=tree.village, role="operator")
    instructor = user("instructor")
    instructor.set_password(PASSWORD)
    instructor.save()
    campaign = make_campaign(tree.region)
    g = group(campaign, tree.township, "可可以力更镇指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR)
    from echelon.supervision import services

    p = part(campaign, tree.village)
    services.assign(actor=None, group=g, participation=p)
    upload(secretary, p, 0, "plan")  # phase one (preparation) done and closed: it has no gate
    meeting(secretary, p, 0, "mobilize")
    services.gate_submit(actor=secretary, participation=p, day=PREPARED)  # phase two open since then
    upload(secretary, p, 1, "opinions")  # phase two's actions done, not yet submitted
    meeting(secretary, p, 1, "study", type="study")
    ahead(p)  # its township has not passed phase two: the county office lets the village go first
    return campaign, tree, tmp_path


def test_return_fix_and_pass_opens_the_next_phase(browser, live_server, gate_world):
    campaign, tree, tmp_path = gate_world
    unit_url = f"{live_server.url}/supervision/{campaign.pk}/u/{tree.village.code}/"
    secretary = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    instructor = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()

    login(secretary, live_server, "secretary", PASSWORD)
    secretary.goto(unit_url)
    secretary.click("text=提交督导组审核")
    secretary.wait_for_load_state()
    review = Review.objects.get(state="open")

    login(instructor, live_server, "instructor", PASSWORD)
    instructor.goto(f"{live_server.url}/supervision/workbench/")
    assert tree.village.name in instructor.content()
    instructor.goto(f"{live_server.url}/supervision/reviews/{review.pk}/")
    instructor.check("input[name=check_thinking][value=pass]")
    instructor.check("input[name=check_materials][value=fail]")
    instructor.fill("input[name=note_materials]", "征求意见不充分，缺少入户走访记录")
    instructor.check("input[name=check_work][value=pass]")
    instructor.check("input[name=decision][value=return]")
    instructor.fill("textarea[name=comment]", "请补充入户走访记录后重新提交")
    instructor.fill("input[name=deadline]", (date.today() + timedelta(days=14)).isoformat())
    instructor.click("text=保存决定")
    instructor.wait_for_selector("[data-testid=decision]")
    shot(instructor, "gate-returned")

    secretary.goto(unit_url)
    assert "请补充入户走访记录后重新提交" in secretary.content()
    pdf = tmp_path / "入户走访记录.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% visits\n")
    secretary.set_input_files("li[data-action=opinions] input[name=file]", str(pdf))
    secretary.click("li[data-action=opinions] form:has(input[name=file]) button[type=submit]")
    secretary.wait_for_load_state()
    secretary.click("text=提交督导组审核")
    secretary.wait_for_load_state()
    second = Review.objects.get(state="open")

    instructor.goto(f"{live_server.url}/supervision/reviews/{second.pk}/")
    for check in ("thinking", "materials", "work"):
        instructor.check(f"input[name=check_{check}][value=pass]")
    instructor.check("input[name=decision][value=pass]")
    instructor.click("text=保存决定")
    instructor.wait_for_selector("[data-testid=decision]")

    secretary.goto(unit_url)
    shot(secretary, "gate-passed")
    assert "当前环节：查摆问题、开展批评" in secretary.inner_text("body")
    assert (
        Review.objects.filter(decision="return").count() == 1
        and Review.objects.filter(decision="pass").count() >= 1
    )
