"""我的待办 in a real browser, on a desktop and on a phone: the secretary lands on the village's phase and
the ledger's waiting work, with no sideways scrolling at 390 px."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from echelon.ledger import services as ledger
from echelon.supervision.tests.helpers import make_campaign
from echelon.testing.browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Todo-Pass-2014"


def test_the_secretary_lands_on_the_work(browser, live_server, tree, personas):
    make_campaign(tree.region)
    ledger.opinion_submit_public(
        actor=AnonymousUser(), unit_code=tree.village.code, text="村里路灯坏了没人修"
    )
    secretary = personas["village_secretary"]
    secretary.set_password(PASSWORD)
    secretary.save()
    for name, viewport in (
        ("desk", {"width": 1440, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        page = context.new_page()
        login(page, live_server, "village_secretary", PASSWORD)
        page.goto(f"{live_server.url}/")
        assert page.get_by_role("heading", name="我的待办").is_visible()
        page.get_by_text("待处理的群众意见").click()
        assert "/ledger/opinions/" in page.url
        page.goto(f"{live_server.url}/")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name}: {overflow}px sideways"
        shot(page, f"todo_{name}")
        context.close()
