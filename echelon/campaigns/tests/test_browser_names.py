"""Names are text in the charts (issue 8): a unit named like markup shows literally in the Gantt's tooltip
and no element is created from it, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from echelon.accounts import services as account_services
from echelon.campaigns.tests.helpers import scheduled_campaign
from echelon.conftest import build_tree, make_unit
from echelon.orgs.models import Kind, Level
from echelon.testing.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Echelon-2014-test"
EVIL = "<img src=x onerror=alert(1)>某村"

# Show the tooltip of the first bar of the last row whose label contains `needle` (the unit row, below the
# aggregate rows), through the ECharts API as a hover would; return the row's index.
SHOW_TIP = """needle => {
  const chart = echarts.getInstanceByDom(document.getElementById("gantt"));
  const option = chart.getOption();
  const row = option.yAxis[0].data.findLastIndex((label) => String(label).includes(needle));
  const index = option.series[0].data.findIndex((bar) => bar.value[0] === row);
  chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: index });
  return row;
}"""
# The tooltip is the one element in the chart's container that is not the canvas layer.
TOOLTIP_TEXT = """needle => {
  const el = Array.from(document.querySelectorAll("#gantt div")).find(
    (d) => d.children.length < 10 && d.textContent.includes(needle) && getComputedStyle(d).display !== "none"
  );
  return el ? el.textContent : null;
}"""


def test_a_unit_name_shows_as_text_in_the_gantt_tooltip(page, live_server):
    tree = build_tree()
    make_unit(tree.township, "150125100202", EVIL, Level.VILLAGE, Kind.VILLAGE, "village")
    campaign = scheduled_campaign(tree.region, publish=True)
    user = account_services.user_create(actor=None, username="region_office", password=PASSWORD)
    account_services.grant_add(actor=None, user=user, unit=tree.region, role="office")
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_dialog(dialog: Any) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: problems.append(f"request: {r.url}") if r.url.endswith("/x") else None)

    login(page, live_server, "region_office", PASSWORD)
    page.wait_for_selector("[data-testid=todo-empty], [data-testid=todo]")  # 我的待办
    gantt = f"{live_server.url}/campaigns/{campaign.pk}/gantt/"
    # At the township: the village's aggregate row (drill down); at the village: its unit row with phases.
    for focus, expected in ((tree.township.code, "1 个单位"), ("150125100202", f"{EVIL} · ")):
        page.goto(f"{gantt}?unit={focus}")
        page.wait_for_selector("#gantt canvas")
        # The table below the chart is Django's (escaped): the literal name.
        assert EVIL in page.inner_text("[data-testid=gantt-rows]")
        assert page.evaluate(SHOW_TIP, "某村") >= 0
        page.wait_for_function(f"() => ({TOOLTIP_TEXT})('某村') !== null")
        text = page.evaluate(TOOLTIP_TEXT, "某村")
        assert EVIL in text and expected in text and "2014-" in text, text
        # No element was made from the name: not in the tooltip, nor anywhere on the page.
        assert page.eval_on_selector_all("#gantt img", "els => els.length") == 0
        assert page.eval_on_selector_all("img[src='x']", "els => els.length") == 0
    # Another village's tooltip reads as before: its name, its dates, its counts.
    page.goto(f"{gantt}?unit={tree.township.code}")
    page.wait_for_selector("#gantt canvas")
    page.evaluate(SHOW_TIP, "东土城村")
    page.wait_for_function(f"() => ({TOOLTIP_TEXT})('东土城村') !== null")
    plain = page.evaluate(TOOLTIP_TEXT, "东土城村")
    assert plain == "东土城村2014-02-09～2014-09-301 个单位，已开始 0，推迟开始 0", plain
    assert problems == []
