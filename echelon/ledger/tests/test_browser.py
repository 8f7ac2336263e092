"""The ledger's "done when", in a real browser: a villager's opinion posted anonymously from a phone becomes a
problem of the village, is escalated to the township and on to the county, is fixed there, verified by the
level above (销号), and its tracking code shows the public reply. Screenshots of the staff pages at a desk
and on a phone go to /tmp/ledger_*.png."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from echelon.accounts import services as account_services
from echelon.conftest import PERSONAS, build_tree
from echelon.ledger.models import Opinion, OpinionStatus, Problem, ProblemStatus, TaskStatus
from echelon.supervision.tests.helpers import make_campaign
from echelon.testing.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Ledger-Pass-2014"
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path(tempfile.gettempdir())  # /tmp/ledger_*.png


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ECHELON_PUBLIC_MIN_SECONDS = 0  # the form's minimum fill time: a test types at once
    tree = build_tree()
    for name in ("village_secretary", "township_operator", "county_office", "league_office"):
        attr, role = PERSONAS[name]
        user = account_services.user_create(actor=None, username=name, password=PASSWORD, display_name=name)
        account_services.grant_add(actor=None, user=user, unit=getattr(tree, attr), role=role)
    make_campaign(tree.region)
    return tree


def _page(browser, live_server, who: str | None, viewport: dict[str, int] = DESK):
    context = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    if who:
        login(page, live_server, who, PASSWORD)
        page.wait_for_load_state()
    return page


def _shoot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"ledger_{name}.png"), full_page=True)


def _more_work(tree) -> None:
    """A busier county: problems of several units and states, overdue and claimed tasks, opinions waiting,
    an escalation to the county and a hand-over offered to the county office (written by the system)."""
    from django.contrib.auth.models import AnonymousUser

    from echelon.accounts.models import User
    from echelon.ledger import services

    today = date.today()
    titles = ["会议多、文件多，基层疲于应付", "办事要跑好几趟", "公车私用", "村务公开不及时", "检查评比过多"]
    cats = ["formalism", "bureaucratism", "extravagance", "bureaucratism", "formalism"]
    for n, unit in enumerate([tree.village, tree.community, tree.township, tree.organ, tree.county] * 2):
        problem = services.problem_create(
            actor=None,
            unit=unit,
            title=titles[n % 5],
            category=cats[n % 5],
            source="self",
            item="meetings" if n % 3 == 0 else "",
        )
        task = services.task_add(
            actor=None,
            problem=problem,
            measure="精简会议文件，建立台账",
            responsible="张书记",
            deadline=today - timedelta(days=5) if n % 2 else today + timedelta(days=20),
        )
        if n % 4 == 1:
            services.task_claim(actor=None, task=task, note="已完成，材料已上传")
    for text in ("村道路灯坏了三个月没人修", "希望公开村集体收入支出", "低保户名单要公示"):
        services.opinion_submit_public(actor=AnonymousUser(), unit_code=tree.village.code, text=text)
    up = services.problem_create(
        actor=None, unit=tree.township, title="镇卫生院看病难", category="bureaucratism", source="public"
    )
    services.problem_escalate(actor=None, problem=up, to_unit=tree.county, reason="涉及县级医疗资源统筹")
    first = services.problem_create(
        actor=None,
        unit=tree.region,
        title="惠民资金发放缩水",
        category="bureaucratism",
        source="superior",
        item="policies_shrunk",
    )
    task = services.task_add(
        actor=None,
        problem=first,
        measure="核查惠民资金发放台账",
        responsible="自治区办",
        deadline=today + timedelta(days=40),
    )
    services.handover_offer(
        actor=None, task=task, to_unit=tree.county, receiver=User.objects.get(username="county_office")
    )


def test_from_a_villagers_phone_to_the_county_and_back(browser, live_server, world):
    tree = world
    base = live_server.url

    # A villager, on a phone, without an account.
    villager = _page(browser, live_server, None, PHONE)
    villager.goto(f"{base}/p/{tree.village.code}/")
    villager.fill("textarea[name=text]", "村里低保评定不公开，希望张榜公示，接受群众监督。")
    villager.click("[data-testid=submit-opinion]")
    code = villager.get_attribute("[data-testid=tracking-code]", "data-code")
    assert code and Opinion.objects.get(tracking_code=code).status == OpinionStatus.NEW

    # The village secretary finds it waiting, turns it into a problem and sends it up to the township.
    secretary = _page(browser, live_server, "village_secretary")
    secretary.goto(f"{base}/ledger/")
    secretary.click("[data-testid=waiting-opinions] a")
    assert secretary.inner_text("[data-testid=tracking-code]") == code
    secretary.click("[data-testid=to-problem]")
    secretary.select_option("select[name=category]", "bureaucratism")
    secretary.fill("input[name=title]", "低保评定不公开")
    secretary.click("form button[type=submit]:has-text('登记问题')")
    secretary.wait_for_selector("[data-testid=problem-title]")
    problem = Problem.objects.get()
    assert problem.unit_id == tree.village.pk and problem.opinions.get().tracking_code == code
    secretary.select_option("[data-testid=escalate] select[name=to]", tree.township.code)
    secretary.fill("[data-testid=escalate] textarea[name=reason]", "涉及全镇低保评定程序，本村无权调整")
    secretary.click("[data-testid=escalate] button[type=submit]")
    secretary.wait_for_selector("[data-testid=pending-escalation]")

    # The township accepts it and sends it on to the county.
    township = _page(browser, live_server, "township_operator")
    township.goto(f"{base}/ledger/")
    township.click("[data-testid=waiting-escalations] a")
    township.click("[data-testid=escalation-decide] button[value=accept]")
    township.wait_for_selector("[data-testid=escalate-open]")
    problem.refresh_from_db()
    assert problem.unit_id == tree.township.pk and problem.status == ProblemStatus.OPEN
    township.click("[data-testid=escalate-open]")  # folded once the problem has been up before
    township.select_option("[data-testid=escalate] select[name=to]", tree.county.code)
    township.fill("[data-testid=escalate] textarea[name=reason]", "低保政策由县民政局统一制定")
    township.click("[data-testid=escalate] button[type=submit]")
    township.wait_for_selector("[data-testid=pending-escalation]")

    # The county accepts it, sets a measure and, once it is done, asks for it to be ticked off.
    county = _page(browser, live_server, "county_office")
    county.goto(f"{base}/ledger/problems/{problem.pk}/")
    county.click("[data-testid=escalation-decide] button[value=accept]")
    county.wait_for_selector("[data-testid=task-add]")
    county.fill("[data-testid=task-add] textarea[name=measure]", "全县低保名单在各村张榜公示，公布监督电话")
    county.fill("[data-testid=task-add] input[name=responsible]", "王主任")
    county.fill(
        "[data-testid=task-add] input[name=deadline]", (date.today() + timedelta(days=30)).isoformat()
    )
    county.click("[data-testid=task-add] button[type=submit]")
    county.wait_for_selector("[data-testid=task]")
    _shoot(county, "tasks_desk")
    county.click("[data-testid=claim] summary")
    county.fill("[data-testid=claim] textarea[name=note]", "已在各村张榜公示七天，无异议")
    county.click("[data-testid=claim] button[type=submit]")
    county.wait_for_selector("[data-testid=task-status] [data-status=claimed]")
    assert county.locator("[data-testid=verify]").count() == 0  # the county does not tick off its own task

    # The league office, the level above, verifies it: 销号.
    league = _page(browser, live_server, "league_office")
    league.goto(f"{base}/ledger/")
    league.click("[data-testid=waiting-tasks] a")
    _shoot(league, "verify_desk")
    league.check("[data-testid=verify] input[value=accept]")
    league.fill("[data-testid=verify] textarea[name=note]", "经抽查属实")
    league.click("[data-testid=verify] button[type=submit]")
    league.wait_for_selector("[data-testid=task-status] [data-status=verified]")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.DONE and problem.tasks.get().status == TaskStatus.VERIFIED
    assert "已销号" in league.inner_text("[data-testid=problem-status]")

    # The village secretary replies publicly; the villager's tracking page shows it.
    opinion = Opinion.objects.get(tracking_code=code)
    secretary.goto(f"{base}/ledger/opinions/{opinion.pk}/")
    secretary.fill("textarea[name=reply]", "已在全县张榜公示低保名单，欢迎监督。")
    secretary.click("button:has-text('公开答复')")
    secretary.wait_for_selector("[data-testid=public-reply]")
    villager.goto(f"{base}/p/track/{code}/")
    body = villager.inner_text("body")
    assert "已在全县张榜公示低保名单，欢迎监督。" in body and "已整改销号" in body

    # How the staff pages look at a desk and on a phone, with some more of the county's work in them.
    _more_work(tree)
    for size, viewport in (("desk", DESK), ("phone", PHONE)):
        look = _page(browser, live_server, "county_office", viewport)
        for name, url in (
            ("index", "/ledger/"),
            ("problems", "/ledger/problems/"),
            ("problem", f"/ledger/problems/{problem.pk}/"),
            ("opinion", f"/ledger/opinions/{opinion.pk}/"),
            ("new", f"/ledger/problems/new/?unit={tree.township.code}"),
            ("handovers", "/ledger/handovers/"),
        ):
            look.goto(base + url)
            _shoot(look, f"{name}_{size}")
        look.context.close()
