"""On-screen editing in a real browser, on a desktop and on a phone (390 px): from the blind spots, the county
office registers an inflow unit (登记流入组织), then fills it in for a mobile member (editing the member),
and the member is no longer a blind spot. No page scrolls sideways on the phone."""

from __future__ import annotations

import pytest

from echelon.accounts import services as account_services
from echelon.conftest import build_tree, make_member
from echelon.orgs.models import Member, Unit
from echelon.testing.browser import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Echelon-2014-test"
SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def county(db):
    tree = build_tree()
    make_member(tree.village, "B-1", name="刘流动", mobile=True)
    make_member(tree.village, "M-1", name="王常住")
    user = account_services.user_create(actor=None, username="county_office", password=PASSWORD)
    account_services.grant_add(actor=None, user=user, unit=tree.county, role="office")
    return tree


def _fits(page, size: str) -> None:
    if size == "phone":
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES["phone"]["width"] + 1, f"{page.url} scrolls sideways ({width}px)"


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_register_an_inflow_unit_and_fill_it_in_from_the_blind_spots(browser, live_server, county, size):
    context = browser.new_context(locale="zh-CN", viewport=SIZES[size], is_mobile=size == "phone")
    page = context.new_page()
    try:
        login(page, live_server, "county_office", PASSWORD)
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/orgs/u/150125/blind-spots/")
        page.wait_for_selector("[data-testid=register-inflow]")
        assert "刘流动" in page.content() and "王常住" not in page.content()
        _fits(page, size)
        shot(page, f"editing-blind-spots-{size}")

        page.click("[data-testid=register-inflow]")
        page.wait_for_selector("[data-testid=form-title]")
        assert page.input_value("#id_parent") == "150125"
        assert page.input_value("#id_kind") == "nonpublic"
        page.fill("#id_code", "150125-F01")
        page.fill("#id_name", "武川县某物流园党支部")
        _fits(page, size)
        shot(page, f"editing-inflow-unit-form-{size}")
        page.click("[data-testid=save]")
        page.wait_for_selector("[data-testid=register-inflow]")  # back on the blind spots
        assert "已登记流入组织“武川县某物流园党支部”" in page.content()
        assert Unit.objects.get(code="150125-F01").parent.code == "150125"

        page.click("text=填写流入组织")
        page.wait_for_selector("#id_inflow_unit")
        assert page.is_checked("#id_is_mobile")
        page.fill("#id_inflow_unit", "150125-F0")  # a typo first: the importer's words, on the field
        page.click("[data-testid=save]")
        page.wait_for_selector(".invalid-feedback")
        assert "找不到组织代码“150125-F0”" in page.inner_text("[data-field=inflow_unit]")
        _fits(page, size)
        shot(page, f"editing-member-error-{size}")
        page.fill("#id_inflow_unit", "150125-F01")
        page.fill("#id_phone", "13900001111")
        page.click("[data-testid=save]")
        page.wait_for_selector("[data-testid=register-inflow]")
        assert "已保存党员“刘流动”的修改" in page.content()
        assert "没有符合条件的党员" in page.content()  # no blind spot left
        _fits(page, size)
        shot(page, f"editing-blind-spots-done-{size}")
        member = Member.objects.get(code="B-1")
        assert (member.inflow_unit.code, member.phone) == ("150125-F01", "13900001111")

        page.goto(f"{live_server.url}/orgs/m/B-1/")
        page.wait_for_selector("[data-testid=member-edit]")
        assert "武川县某物流园党支部" in page.content()
        _fits(page, size)
        shot(page, f"editing-member-{size}")
    finally:
        context.close()
