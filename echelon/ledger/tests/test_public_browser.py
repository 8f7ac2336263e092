"""The public intake in a real browser, on a phone (390 × 844): a villager opens the village's short link,
writes an opinion anonymously, gets the tracking code, follows it, and later sees the public reply. The
unit's A4 poster prints on one page. Screenshots go to /tmp/public_*.png."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from echelon.conftest import build_tree
from echelon.ledger import services
from echelon.ledger.models import Opinion
from echelon.supervision.tests.helpers import make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())  # /tmp/public_*.png
PHONE = {"width": 390, "height": 844}
A4 = {"width": 794, "height": 1123}  # 210 × 297 mm at 96 dpi


@pytest.fixture
def world(settings):
    settings.ECHELON_PUBLIC_MIN_SECONDS = 1  # the minimum fill time stays on, shorter for the test
    tree = build_tree()
    make_campaign(tree.region)
    return tree


def phone(browser):
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    return context.new_page()


def test_a_villager_sends_an_opinion_from_a_phone_and_follows_it(browser, live_server, world):
    tree = world
    page = phone(browser)
    page.goto(f"{live_server.url}/p/{tree.village.code}/")
    assert page.locator("h1").inner_text() == tree.village.name
    assert tree.township.name in page.inner_text("body")
    assert not page.locator("#mainnav, .dropdown-menu, .ech-navbar").count()  # nothing of the staff interface
    trap = page.locator("input[name=website]").bounding_box()  # the honeypot: off the screen, for bots only
    assert trap is None or trap["x"] + trap["width"] <= 0
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width}px)"

    page.fill("textarea[name=text]", "村里路灯坏了三个月没人修，晚上出行不便，希望尽快修好。")
    page.screenshot(path=str(SHOTS / "public_unit.png"), full_page=True)
    page.wait_for_timeout(1200)
    page.click("[data-testid=submit-opinion]")
    page.wait_for_selector("[data-testid=tracking-code]")
    code = page.get_attribute("[data-testid=tracking-code]", "data-code")
    assert code and len(code) == 10
    assert page.inner_text("[data-testid=tracking-code]").replace(" ", "").replace("\u00a0", "") == code
    page.screenshot(path=str(SHOTS / "public_receipt.png"), full_page=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("[data-testid=copy-code]")
    page.wait_for_selector("[data-testid=copy-code]:has-text('已复制')")
    assert page.evaluate("navigator.clipboard.readText()") == code
    opinion = Opinion.objects.get(tracking_code=code)
    assert opinion.contact == "" and opinion.unit_id == tree.village.pk

    page.click("[data-testid=track-link]")
    page.wait_for_selector("[data-testid=public-status]")
    assert page.inner_text("[data-testid=status-label]") == "已收到，正在处理"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # the village replies (staff side, through the service); the villager looks again
    from echelon.accounts import services as account_services

    secretary = account_services.user_create(actor=None, username="secretary", password=None)
    account_services.grant_add(actor=None, user=secretary, unit=tree.village, role="operator")
    services.opinion_reply(actor=secretary, opinion=opinion, reply="已更换路灯三盏，感谢您的监督。")
    page.reload()
    assert page.inner_text("[data-testid=status-label]") == "已答复"
    assert "已更换路灯三盏" in page.inner_text("[data-testid=public-reply]")
    page.screenshot(path=str(SHOTS / "public_track.png"), full_page=True)

    # typed by hand from the tracking form, in lower case
    page.goto(f"{live_server.url}/p/track/")
    page.fill("input[name=code]", code.lower())
    page.click("[data-testid=track-form] button[type=submit]")
    page.wait_for_selector("[data-testid=public-status]")
    page.context.close()


def test_the_refusals_look_calm_on_a_phone(browser, live_server, world):
    tree = world
    services.opinion_submit_public(
        actor=AnonymousUser(), unit_code=tree.village.code, text="村卫生室经常没人值班。"
    )
    page = phone(browser)
    page.goto(f"{live_server.url}/p/{tree.village.code}/")
    page.fill("textarea[name=text]", "村卫生室经常没人值班！")
    page.wait_for_timeout(1200)
    page.click("[data-testid=submit-opinion]")
    page.wait_for_selector("[data-testid=form-error]")
    assert "相同内容的意见已经收到" in page.inner_text("[data-testid=form-error]")
    assert page.input_value("textarea[name=text]") == "村卫生室经常没人值班！"  # nothing lost
    page.screenshot(path=str(SHOTS / "public_refused.png"), full_page=True)
    page.goto(f"{live_server.url}/p/track/ABCDEFGHJK/")
    assert "没有找到回执号" in page.inner_text("[data-testid=unknown-code]")
    page.goto(f"{live_server.url}/p/no-such-unit/")
    assert "找不到该组织" in page.inner_text("body")
    page.context.close()


def test_the_poster_fills_one_a4_page(browser, live_server, world):
    tree = world
    context = browser.new_context(locale="zh-CN", viewport=A4)
    page = context.new_page()
    page.goto(f"{live_server.url}/p/{tree.village.code}/poster/")
    assert page.inner_text("h1") == f"向{tree.village.name}提意见"
    assert page.inner_text("[data-testid=poster-url]").endswith(f"/p/{tree.village.code}/")
    box = page.locator("[data-testid=poster-qr] svg").bounding_box()
    assert box and box["width"] > 350 and abs(box["width"] - box["height"]) < 1  # about 10 cm, square
    page.screenshot(path=str(SHOTS / "public_poster.png"), full_page=True)
    page.emulate_media(media="print")
    printed = SHOTS / "public_poster_print.png"
    page.screenshot(path=str(printed), full_page=False)
    reader = shutil.which("zbarimg")
    if reader:  # where a QR reader is installed (Debian's zbar-tools): the printed code scans
        read = subprocess.run(
            [reader, "-q", "--raw", str(printed)], capture_output=True, text=True, check=False
        )
        assert read.stdout.strip() == f"{live_server.url}/p/{tree.village.code}/"
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    assert _pages(pdf) == 1, "the poster spills onto a second sheet"
    (SHOTS / "public_poster.pdf").write_bytes(pdf)
    context.close()


def _pages(pdf: bytes) -> int:
    import re

    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
