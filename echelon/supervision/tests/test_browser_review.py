"""The review screen in a real browser, on a desktop (1440×900) and a phone (390×844): the village secretary
records the party members' study (its type fixed by the action) with a sign-in sheet (an image and a PDF
page) and a photo, and submits; the township instructor opens the review, sees the attendees, the minutes,
the sign-in sheet inline (picture and PDF frame), the Word material as text and a PDF material framed, takes
the per-check choices by their labels, and decides from the sticky decision bar."""

from __future__ import annotations

import io

import pytest

from echelon.conftest import build_tree
from echelon.supervision.models import GroupKind, Meeting, Review
from echelon.supervision.tests import files
from echelon.supervision.tests.helpers import PREPARED, ahead, group, make_campaign, part, user
from echelon.supervision.tests.test_gates import meeting, upload
from echelon.testing.browser import SCREENSHOTS, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Review-Screen-2014"
DEVICES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def world(settings, tmp_path):
    from echelon.accounts import services as account_services
    from echelon.supervision import services

    settings.MEDIA_ROOT = tmp_path / "media"
    tree = build_tree()
    secretary = account_services.user_create(actor=None, username="secretary", password=PASSWORD)
    account_services.grant_add(actor=None, user=secretary, unit=tree.village, role="operator")
    instructor = user("instructor")
    instructor.set_password(PASSWORD)
    instructor.save()
    campaign = make_campaign(tree.region)
    g = group(campaign, tree.township, "可可以力更镇指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR)
    p = part(campaign, tree.village)
    services.assign(actor=None, group=g, participation=p)
    upload(secretary, p, 0, "plan")
    meeting(secretary, p, 0, "mobilize")
    services.gate_submit(actor=secretary, participation=p, day=PREPARED)  # the study phase open since then
    upload(secretary, p, 1, "opinions", content=files.docx(), name="入户走访征求意见汇总.docx")
    own = services.own_action_add(
        actor=secretary, participation=p, phase=1, title="走访困难党员", evidence="material", required=True
    )
    services.material_upload(
        actor=secretary,
        participation=p,
        phase=1,
        action_key=own.key,
        fileobj=io.BytesIO(files.pdf("Visits to members in need: 14 households")),
        name="走访记录.pdf",
    )
    ahead(p)  # its township has not passed the study phase: the county office lets the village go first
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "签到表.png").write_bytes(files.png(720, 480))
    (folder / "签到表（第二页）.pdf").write_bytes(files.pdf("Sign-in sheet, page 2"))
    (folder / "现场照片.png").write_bytes(files.png(480, 320, ruled=False))
    return campaign, tree, folder


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("device", list(DEVICES))
def test_record_a_typed_meeting_and_decide_on_the_review_screen(browser, live_server, world, device):
    campaign, tree, folder = world
    viewport = DEVICES[device]
    secretary = browser.new_context(locale="zh-CN", viewport=viewport).new_page()
    instructor = browser.new_context(locale="zh-CN", viewport=viewport).new_page()

    # the operator records the study meeting: its type is the action's, the fields are labelled
    login(secretary, live_server, "secretary", PASSWORD)
    secretary.goto(f"{live_server.url}/supervision/{campaign.pk}/u/{tree.village.code}/")
    item = secretary.locator("li[data-action=study]")
    item.locator("summary", has_text="记录会议").click()
    form = item.locator("[data-testid=meeting-form]")
    assert form.locator("[data-testid=meeting-type]").inner_text() == "集中学习"
    assert form.locator("input[name=rated_good]").count() == 0  # not an appraisal: no counts asked
    form.get_by_label("日期").fill(PREPARED.replace(day=20).isoformat())
    form.get_by_label("时段").select_option("pm")
    form.get_by_label("地点").fill("村委会二楼会议室")
    form.get_by_label("实到人数").fill("23")
    form.get_by_label("参加人员").fill("党支部书记王建国，委员李秀英、张海军，党员23名，驻村第一书记刘洋列席")
    form.get_by_label("会议纪要").fill(
        "一、集中学习党章和习近平总书记关于党的群众路线的重要论述。\n二、对照“四风”交流学习体会，每名党员发言。"
    )
    form.get_by_label("签到表（图片或 PDF）").set_input_files(
        [str(folder / "签到表.png"), str(folder / "签到表（第二页）.pdf")]
    )
    form.get_by_label("现场照片（图片或 PDF）").set_input_files(str(folder / "现场照片.png"))
    shot(secretary, f"meeting-form-{device}")
    form.get_by_role("button", name="保存会议记录").click()
    secretary.wait_for_load_state()
    assert "会议记录已保存" in secretary.inner_text("body")
    recorded = Meeting.objects.get(phase=1)
    assert recorded.type == "study" and recorded.present == 23 and recorded.attachments.count() == 3
    assert no_sideways_scroll(secretary), "the unit page scrolls sideways"
    secretary.get_by_role("button", name="提交督导组审核").click()
    secretary.wait_for_load_state()
    review = Review.objects.get(state="open")

    # the supervisor sees everything in the page
    login(instructor, live_server, "instructor", PASSWORD)
    url = f"{live_server.url}/supervision/reviews/{review.pk}/"
    instructor.goto(url)
    instructor.wait_for_load_state("networkidle")
    body = instructor.inner_text("body")
    assert "李秀英、张海军" in body and "对照“四风”交流学习体会" in body and "实到 23 人" in body
    sheet = instructor.locator("[data-testid=attachment-sign_in] img").first
    sheet.scroll_into_view_if_needed()
    instructor.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 720", arg=sheet.element_handle()
    )
    frames = instructor.locator("iframe.pdf-frame")
    assert frames.count() == 2  # the sign-in sheet's second page and the own action's PDF material
    for n in range(frames.count()):
        src = frames.nth(n).get_attribute("src")
        kind = instructor.evaluate(
            "async (src) => { const r = await fetch(src); "
            "return [r.status, r.headers.get('content-type'), r.headers.get('content-disposition')]; }",
            src,
        )
        assert kind[0] == 200 and kind[1] == "application/pdf" and kind[2].startswith("inline"), kind
    assert "梳理意见建议 23 条" in instructor.locator("[data-testid=material-docx]").inner_text()
    assert no_sideways_scroll(instructor), "the review screen scrolls sideways"

    # the decision bar sticks to the bottom of the screen while the evidence is read
    instructor.evaluate("window.scrollTo(0, 0)")
    bar = instructor.locator("[data-testid=decision-bar]")
    box = bar.bounding_box()
    assert box is not None and abs(box["y"] + box["height"] - viewport["height"]) <= 2, box

    # per-check choices by their labels, a note for one of them, the decision
    for legend in ("思想关", "材料关", "工作关"):
        check = instructor.locator("fieldset.review-check", has=instructor.locator("legend", has_text=legend))
        check.locator("label", has_text="通过").first.click()
    instructor.get_by_label("对“材料关”的意见").fill("征求意见汇总清楚，入户走访覆盖全部困难党员")
    instructor.get_by_label("审核意见").fill("学习扎实，征求意见充分，同意进入下一环节。")
    bar.locator("label", has_text="打回修改").click()
    assert instructor.get_by_label("整改期限（打回、返工）").is_visible()  # asked only for a return or redo
    bar.locator("label", has_text="通过").click()
    assert not instructor.get_by_label("整改期限（打回、返工）").is_visible()
    instructor.evaluate("window.scrollTo(0, 0)")
    instructor.wait_for_timeout(1500)  # let the PDF viewer paint its pages before the pictures are taken
    # what the reviewer sees first (the bar stuck to the bottom of the screen), and the whole page
    # (scrolled to the end, so the bar stands at its own place under the evidence)
    top, whole = ("", "-full") if device == "desktop" else ("-top", "")
    instructor.screenshot(path=str(SCREENSHOTS / f"review-screen-{device}{top}.png"))
    instructor.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    shot(instructor, f"review-screen-{device}{whole}")
    bar.get_by_role("button", name="保存决定").click()
    instructor.wait_for_selector("[data-testid=decision]")
    review.refresh_from_db()
    assert review.decision == "pass"
    assert [c["passed"] for c in review.checks] == [True, True, True]
    assert review.checks[1]["comment"].startswith("征求意见汇总清楚")
    assert "审核决定已保存" in instructor.inner_text("body")
    # the decision, check by check
    assert "征求意见汇总清楚" in instructor.inner_text("[data-testid=decided]")
    assert no_sideways_scroll(instructor)
    shot(instructor, f"review-decided-{device}")
