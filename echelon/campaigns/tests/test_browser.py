"""The Gantt in a real browser: ECharts draws the timeline (no script error under the CSP), the rows drill
down from the region to a village, and a unit's printable schedule renders."""

from __future__ import annotations

import pytest

from echelon.accounts import services as account_services
from echelon.campaigns.tests.helpers import scheduled_campaign
from echelon.conftest import build_tree
from echelon.testing.browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Echelon-2014-test"


def test_gantt_draws_and_drills_down(page, live_server):
    tree = build_tree()
    campaign = scheduled_campaign(tree.region, publish=True)
    user = account_services.user_create(actor=None, username="region_office", password=PASSWORD)
    account_services.grant_add(actor=None, user=user, unit=tree.region, role="office")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None
        ),
    )

    login(page, live_server, "region_office", PASSWORD)
    page.wait_for_selector("[data-testid=todo-empty], [data-testid=todo]")  # 我的待办
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/gantt/")
    page.wait_for_selector("#gantt canvas")
    assert page.eval_on_selector("#gantt", "el => el.offsetHeight") > 200
    shot(page, "campaign-gantt-region")
    for name in ("呼和浩特市", "武川县", "可可以力更镇", "东土城村"):
        page.click(f"[data-testid=gantt-rows] a:has-text('{name}')")
        page.wait_for_selector("#gantt canvas")
    assert "东土城村" in page.inner_text("[data-testid=gantt-path]")
    shot(page, "campaign-gantt-village")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/u/{tree.village.code}/print/")
    page.wait_for_selector(".ech-print-table")
    shot(page, "campaign-unit-print")
    assert errors == []
