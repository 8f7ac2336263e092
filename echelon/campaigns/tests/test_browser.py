"""The Gantt in a real browser: ECharts draws the timeline (no script error under the CSP), the rows drill
down from the region to a village, and a unit's printable schedule renders."""

from __future__ import annotations

from datetime import datetime

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


def test_gantt_on_a_phone_has_a_phase_legend_and_the_plan_windows_axis(browser, live_server):
    """At 390 px: the phases' legend, an axis from the plan's start to its end (not stretched to today), no
    sideways scrolling; the unit rows' long labels wrap instead of being cut."""
    tree = build_tree()
    campaign = scheduled_campaign(tree.region, publish=True)
    user = account_services.user_create(actor=None, username="region_office", password=PASSWORD)
    account_services.grant_add(actor=None, user=user, unit=tree.region, role="office")
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, live_server, "region_office", PASSWORD)
    page.wait_for_selector("[data-testid=todo-empty], [data-testid=todo]")
    for focus in (tree.region.code, tree.village.code):
        page.goto(f"{live_server.url}/campaigns/{campaign.pk}/gantt/?unit={focus}")
        page.wait_for_selector("#gantt canvas")
        legend = page.inner_text("[data-testid=gantt-phases]")
        for phase in campaign.spec.phases:
            assert phase.name in legend
        axis = page.evaluate(
            "() => { const c = echarts.getInstanceByDom(document.getElementById('gantt'));"
            " const x = c.getOption().xAxis[0]; return [x.min, x.max, x.axisLabel.overflow || null]; }"
        )
        start = datetime.combine(campaign.start, datetime.min.time()).timestamp() * 1000
        end = datetime.combine(campaign.end, datetime.min.time()).timestamp() * 1000
        day = 86_400_000
        assert axis[0] <= start, axis  # from the plan's first bar (the first batch began in 2013)
        assert end <= axis[1] <= end + 30 * day, axis  # the plan's end, not today (2026)
        label = page.evaluate(
            "() => echarts.getInstanceByDom(document.getElementById('gantt')).getOption().yAxis[0].axisLabel"
        )
        assert label["overflow"] == "break" and label["width"] < 200
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{focus}: {overflow}px sideways"
        shot(page, f"campaign-gantt-phone-{focus}")
    context.close()
