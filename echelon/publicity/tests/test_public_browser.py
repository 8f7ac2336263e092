"""A village's public page on a phone (390 × 844), in Chinese and in Mongolian (issue 12 item 6): what the
village published, the opinion box, the tracking lookup; in Mongolian the text runs top to bottom in
columns from left to right (vertical-lr) in Noto Sans Mongolian, served from our own static files; the page
never scrolls sideways (the columns scroll inside their own box). Screenshots: /tmp/publicity_*.png."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from echelon.conftest import build_tree
from echelon.ledger import services as ledger
from echelon.publicity import services
from echelon.supervision.tests.helpers import make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())
PHONE = {"width": 390, "height": 844}
FONT = '16px "Noto Sans Mongolian"'
MONGOL = "ᠮᠣᠩᠭᠣᠯ"


@pytest.fixture
def village(settings):
    from echelon.accounts import services as accounts

    tree = build_tree()
    campaign = make_campaign(tree.region)
    people = {}
    for name, unit in (("secretary", tree.village), ("township", tree.township)):
        people[name] = accounts.user_create(actor=None, username=name, password=None)
        accounts.grant_add(actor=None, user=people[name], unit=unit, role="operator")
    secretary = people["secretary"]
    problem = ledger.problem_create(
        actor=secretary,
        unit=tree.village,
        title="村里路灯坏了三个月没人修",
        category="bureaucratism",
        source="public",
    )
    task = ledger.task_add(
        actor=secretary, problem=problem, measure="更换路灯三盏", responsible="李会计", deadline=campaign.end
    )
    ledger.task_claim(actor=secretary, task=task, note="已更换路灯三盏")
    ledger.problem_create(
        actor=secretary, unit=tree.village, title="村务公开栏更新不及时", category="formalism", source="self"
    )
    for kind, content in (
        ("promises", {"items": ["每月 5 日公开村务财务", "群众反映的问题 7 日内答复"]}),
        ("problems", None),
    ):
        p = services.publication_create(actor=secretary, unit=tree.village, kind=kind, content=content)
        services.publication_submit(actor=secretary, publication=p)
        services.publication_approve(actor=people["township"], publication=p)
    return tree


def _phone(browser, locale: str):
    context = browser.new_context(
        locale=locale, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    return context.new_page()


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width}px)"


def test_the_village_page_in_chinese_and_in_mongolian(browser, live_server, village):
    url = f"{live_server.url}/p/{village.village.code}/"

    page = _phone(browser, "zh-CN")
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.inner_text("h1") == "东土城村"
    assert "每月 5 日公开村务财务" in page.inner_text("[data-testid=published]")
    assert "村里路灯坏了三个月没人修" in page.inner_text("[data-testid=published]")
    assert page.locator("[data-testid=opinion-form]").count() == 1
    assert page.locator("[data-testid=track-lookup]").count() == 1
    _no_sideways_scroll(page)
    body = page.locator("[data-testid=public-body]")
    assert body.evaluate("e => getComputedStyle(e).writingMode") == "horizontal-tb"
    page.screenshot(path=str(SHOTS / "publicity_zh.png"), full_page=True)

    # the switch: 中文 / ᠮᠣᠩᠭᠣᠯ, both always shown
    switch = page.locator("[data-testid=language-switch]")
    assert "中文" in switch.inner_text() and MONGOL in switch.inner_text()
    switch.locator("button[value=mn]").click()
    page.wait_for_selector("html[lang=mn]")
    page.evaluate("document.fonts.ready")
    assert page.evaluate(f"document.fonts.check('{FONT}', '{MONGOL}')")
    page.context.close()

    # a Mongolian browser gets Mongolian without touching the switch
    page = _phone(browser, "mn-MN")
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "mn"
    page.evaluate("document.fonts.ready")
    body = page.locator("[data-testid=public-body]")
    assert body.evaluate("e => getComputedStyle(e).writingMode") == "vertical-lr"
    lead = page.locator(".pub-lead").first
    assert lead.evaluate("e => getComputedStyle(e).writingMode") == "vertical-lr"
    assert "ᠰᠠᠨᠠᠯ" in lead.inner_text()  # sanal: the opinion, in the traditional script
    assert page.evaluate(f"document.fonts.check('{FONT}', '{MONGOL}')"), "the Mongolian font is not loaded"
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.family.includes('Mongolian')).map(f => f.status)"
    )
    assert loaded == ["loaded"]
    box = lead.bounding_box()
    assert box and box["height"] > box["width"], "the Mongolian lines do not run top to bottom"
    _no_sideways_scroll(page)
    # the columns run left to right: the unit's name comes before (left of) the published notices
    name_x = page.locator("h1").bounding_box()["x"]
    published_x = page.locator("[data-testid=published]").bounding_box()["x"]
    assert name_x < published_x
    assert "每月 5 日公开村务财务" in page.inner_text("[data-testid=published]")
    page.screenshot(path=str(SHOTS / "publicity_mn.png"), full_page=False)
    body.evaluate("e => e.scrollLeft = e.scrollWidth")
    page.screenshot(path=str(SHOTS / "publicity_mn_end.png"), full_page=False)
    page.context.close()


def test_the_printable_notice(browser, live_server, village):
    from echelon.publicity.models import Publication

    published = Publication.objects.filter(kind="problems").get()
    context = browser.new_context(locale="zh-CN", viewport={"width": 794, "height": 1123})
    page = context.new_page()
    page.goto(f"{live_server.url}/p/{village.village.code}/notice/{published.pk}/")
    assert "村务公开栏更新不及时" in page.inner_text("[data-testid=notice]")
    box = page.locator("[data-testid=notice-qr] svg").bounding_box()
    assert box and box["width"] > 100
    page.screenshot(path=str(SHOTS / "publicity_notice.png"), full_page=True)
    context.close()


def test_the_qr_poster_in_mongolian_fills_one_a4_page(browser, live_server, village):
    context = browser.new_context(locale="mn", viewport={"width": 794, "height": 1123})
    page = context.new_page()
    page.goto(f"{live_server.url}/p/{village.village.code}/poster/")
    assert page.locator("html").get_attribute("lang") == "mn"
    page.evaluate("document.fonts.ready")
    assert page.evaluate(f"document.fonts.check('{FONT}', '{MONGOL}')")
    sheet = page.locator("[data-testid=poster]")
    assert sheet.evaluate("e => getComputedStyle(e).writingMode") == "vertical-lr"
    assert sheet.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the columns spill off the sheet"
    page.screenshot(path=str(SHOTS / "publicity_poster_mn.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1, (
        "the poster spills onto a second sheet"
    )
    context.close()
