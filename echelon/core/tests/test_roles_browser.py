"""Every role, in a real browser, on a desktop (1440×900) and a phone (390×844): from the login to 我的待办
and on to its next task in at most two clicks, and no page it reaches from its home and the main menu
scrolls sideways at 390 px (tables become cards there). Screenshots of each role's home at both widths go to
``screenshots/home-<role>-<width>.png``."""

from __future__ import annotations

import os
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser

from echelon.accounts.models import User
from echelon.ledger import services as ledger
from echelon.supervision.tests import kit
from echelon.testing.browser import SCREENSHOTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Roles-Pass-2014"
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# the roles a person logs in as (conftest's personas), the wrong-role ones and the outsider aside
ROLES = (
    "region_office",
    "league_office",
    "county_office",
    "county_supervisor",
    "township_operator",
    "village_secretary",
    "liaison_leader",
    "kit_instructor",  # the township's instructor: a supervisor whose group has a submission to review
)
# the county group's supervisor has nothing submitted to it in this world: its home says so, and it is
# still crawled
IDLE = {"county_supervisor"}
# links a crawl does not follow: files, the admin, the API, leaving, printing, switching language
SKIP = (
    "/accounts/logout",
    "/admin",
    "/api/",
    "/i18n/",
    "/media/",
    "/static/",
    "export",
    "download",
    ".xlsx",
    ".docx",
    ".pdf",
    ".csv",
    "/print",
    "template.xlsx",
)
CRAWL = 45  # kinds of page per role
OVERFLOW = """() => {
  const d = document.documentElement;
  const over = d.scrollWidth - d.clientWidth;
  if (over <= 0) return null;
  const wide = [];
  document.querySelectorAll("body *").forEach((el) => {
    const r = el.getBoundingClientRect();
    if (r.right > d.clientWidth + 1 && r.width > 0) {
      wide.push(el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
        ? "." + el.className.trim().split(/\\s+/).join(".") : "") + " " + Math.round(r.right));
    }
  });
  return {over: over, wide: wide.slice(0, 6)};
}"""


@pytest.fixture
def world(tree, personas):
    """The access kit's running campaign (built through the services): groups at the county and the
    township, the village's study phase submitted to its instructor, a liaison point; and a public opinion
    for the village."""
    ctx = SimpleNamespace(tree=tree, personas=personas)
    kit.liaison(ctx)
    ledger.opinion_submit_public(
        actor=AnonymousUser(), unit_code=tree.village.code, text="村里路灯坏了没人修"
    )
    for name in ROLES:
        person = User.objects.get(username=name)
        person.set_password(PASSWORD)
        person.save()
    return ctx


def _overflow(page) -> object:
    return page.evaluate(OVERFLOW)


def _links(page, origin: str) -> list[str]:
    """Same-site page links in the main menu and the page's content (not the footer's)."""
    hrefs = page.eval_on_selector_all(
        "nav a[href], main a[href], .container a[href]", "els => els.map(e => e.href)"
    )
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or not parts.path or parts.path == "/":
            continue
        if any(s in href for s in SKIP):
            continue
        url = f"{origin}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        if url not in out:
            out.append(url)
    return out


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_its_work_without_sideways_scrolling(browser, live_server, world, role):
    origin = live_server.url
    problems: list[str] = []
    for width, viewport in (("1440", DESK), ("390", PHONE)):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        page = context.new_page()
        login(page, live_server, role, PASSWORD)
        page.wait_for_url(f"{origin}/")  # the login lands on 我的待办
        assert page.get_by_role("heading", name="我的待办").is_visible()
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"home-{role}-{width}.png"), full_page=True)
        if width == "390" and (found := _overflow(page)):
            problems.append(f"{role} home at 390: {found}")
        # the next task: one click on the first item of 我的待办 (the home itself is the landing page)
        items = page.locator("[data-testid=todo] a.list-group-item")
        if role in IDLE:
            assert page.get_by_test_id("todo-empty").is_visible() or items.count() > 0
        else:
            assert items.count() > 0, f"{role}: nothing waits on the home at {width}"
            target = items.first.get_attribute("href")
            items.first.click()
            page.wait_for_load_state()
            assert urlsplit(page.url).path == urlsplit(target or "").path, (role, width, page.url)
            assert page.locator("h1, h2").first.is_visible(), (role, width, page.url)
            if width == "390" and (found := _overflow(page)):
                problems.append(f"{role} task {page.url}: {found}")
        if width == "390":
            # the crawl: the main pages reachable from the home and the main menu, and the pages they link
            # to (one of each kind: a path's numbers and codes stand for any)
            page.goto(f"{origin}/")
            first = _links(page, origin)
            assert len(first) >= 3, (role, first)
            queue = [(url, 1) for url in first]
            kinds: set[str] = set()
            while queue and len(kinds) < CRAWL:
                url, depth = queue.pop(0)
                kind = re.sub(r"\d+", "#", urlsplit(url).path)
                if kind in kinds:
                    continue
                kinds.add(kind)
                response = page.goto(url)
                if (
                    response is None
                    or response.status >= 400
                    or "html" not in response.headers.get("content-type", "")
                ):
                    continue  # refused or absent pages are the access kit's business
                if found := _overflow(page):
                    problems.append(f"{role} {url}: {found}")
                if os.environ.get("ECHELON_CRAWL_SHOTS"):  # to look at every crawled page on a phone
                    slug = re.sub(r"[^0-9A-Za-z]+", "-", kind).strip("-") or "home"
                    page.screenshot(path=str(SCREENSHOTS / f"crawl-{role}-{slug}.png"), full_page=True)
                if depth < 2:
                    queue += [(link, depth + 1) for link in _links(page, origin)]
        context.close()
    assert not problems, "\n".join(problems)
