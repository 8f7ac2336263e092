"""The personas of the full demo against the real stack (`make load`; see load/run.py).

Who (weights: a working day of the campaign, reads far above writes):
- offices of the region, a league and a county read: their to-do list, the dashboard and its drill-downs,
  unit pages, member lists, the ledger, the Gantt chart, the participations, coverage, and export files;
- village secretaries and township operators record their current phase on the unit-work page (confirm,
  upload a material, record a meeting) and submit it when nothing is missing;
- supervisors (the county group's leader, the township's instructor) open their workbench and decide
  the reviews waiting there (mostly pass, sometimes return for changes);
- the public posts opinions through a unit's public page (the short link on its poster), then reads the
  receipt.

Every signed-in user logs in once through the login form (CSRF cookie and token, as a browser does).
Writes go through the pages a person uses, with the CSRF token of the page they came from; after a
write the page it redirects to is read and a red error message there counts as a failure: 0 errors means
every write was accepted. Each writer works on units its own pages offer, and no two simulated users work
on the same unit or decide the same review at the same time (claims kept in this process), so a refusal
is never the expected answer of a flow. Requests are named by route (Django URL name), not by URL.

The plan (accounts, campaign, public unit codes) comes from the runner: LOAD_PLAN, a JSON file.
"""

from __future__ import annotations

import json
import os
import random
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from locust import HttpUser, between, task

PLAN: dict[str, Any] = json.loads(Path(os.environ.get("LOAD_PLAN", "var/load/plan.json")).read_text())
CAMPAIGN = PLAN["campaign"]
PDF = (  # the smallest material the upload accepts (its content says PDF)
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n%%EOF\n"
)
ERROR_FLASH = "alert-danger alert-dismissible"

# Units and reviews someone is working on right now (one locust process: gevent, no threads).
_units_taken: set[str] = set()
_reviews_taken: set[int] = set()
_accounts_next: dict[str, int] = {}


def _account(kind: str) -> dict[str, str]:
    """The next account of this kind, round robin (each writer gets its own while there are enough)."""
    accounts = PLAN["accounts"][kind]
    n = _accounts_next.get(kind, 0)
    _accounts_next[kind] = n + 1
    return accounts[n % len(accounts)]


class Forms(HTMLParser):
    """The forms of a page: action, enctype, and their fields (first option of a select, radios' values),
    with the data-action of the list item a form sits in (the unit-work page's required actions)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._action_key = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "li" and "data-action" in a:
            self._action_key = a["data-action"]
        elif tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "multipart": "multipart" in a.get("enctype", ""),
                "item": self._action_key,
                "fields": {},
                "radios": {},
                "required": set(),
                "types": {},
            }
        elif self._form is None:
            return
        elif tag in ("input", "textarea", "select") and a.get("name"):
            name = a["name"]
            kind = a.get("type", tag)
            self._form["types"][name] = kind
            if "required" in a:
                self._form["required"].add(name)
            if kind == "radio":
                self._form["radios"].setdefault(name, []).append(a.get("value", ""))
            elif kind == "checkbox":
                if "checked" in a:
                    self._form["fields"][name] = a.get("value", "on")
            elif kind != "file":
                self._form["fields"].setdefault(name, a.get("value", ""))
            if tag == "select":
                self._select = name
                self._form["fields"][name] = None
        elif tag == "option" and self._select and self._form["fields"].get(self._select) is None:
            self._form["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "li":
            self._action_key = ""


def links(html: str, pattern: str) -> list[str]:
    """The distinct hrefs of a page that match a regular expression (in page order)."""
    seen: dict[str, None] = {}
    for href in re.findall(r'href="([^"#]+)"', html):
        href = href.replace("&amp;", "&")
        if re.fullmatch(pattern, href):
            seen[href] = None
    return list(seen)


class Persona(HttpUser):
    """A signed-in person: logs in once through the form, then reads and writes with the session."""

    abstract = True
    wait_time = between(3, 12)  # reading a page, typing
    kind = ""

    def on_start(self) -> None:
        # A new connection per request, as a browser's after a pause: gunicorn keeps an idle connection
        # 2 s, the think time is longer, and reusing one the server is closing reads as a reset.
        self.client.headers["Connection"] = "close"
        self.account = _account(self.kind)
        self.code = self.account["code"]
        page = self.client.get("/accounts/login/", name="accounts:login")
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post(
            "/accounts/login/",
            data={"username": self.account["username"], "password": PLAN["password"], "next": "/",
                  "csrfmiddlewaretoken": token},
            headers={"Referer": page.url},
            name="accounts:login POST",
            allow_redirects=False,
            catch_response=True,
        ) as r:  # fmt: skip
            if r.status_code != 302:
                r.failure(f"login of {self.account['username']} refused ({r.status_code})")

    # --- reading -----------------------------------------------------------------------------------

    def get(self, url: str, name: str, expect: int = 200) -> str:
        with self.client.get(url, name=name, catch_response=True) as r:
            if r.status_code != expect:
                r.failure(f"{r.status_code} on {url} {r.error or ''}")
                return ""
            return (
                r.text
                if "html" in r.headers.get("Content-Type", "") or "json" in r.headers.get("Content-Type", "")
                else ""
            )

    # --- writing: a form posted as a browser does, then the page it leads to ---------------------------

    def post_form(self, page_url: str, form: dict[str, Any], data: dict[str, Any], name: str,
                  follow: str, files: dict[str, Any] | None = None,
                  refusals: tuple[str, ...] = ()) -> str | None:  # fmt: skip
        """POST; a redirect is expected (a page answered again means the form was refused); the page
        it redirects to is read (named ``follow``) and must carry no error message. The page's HTML, or
        None when the write failed. ``refusals``: messages that are the flow's intended answer (the
        form comes back with one of them): counted apart, as "NAME (refused by the rules)", not as
        errors."""
        url = urljoin(page_url, form["action"] or page_url)
        payload = {**{k: v for k, v in form["fields"].items() if v is not None}, **data}
        payload["csrfmiddlewaretoken"] = form["fields"].get("csrfmiddlewaretoken", "")
        with self.client.post(
            url, data=payload, files=files, name=name, headers={"Referer": page_url},
            allow_redirects=False, catch_response=True,
        ) as r:  # fmt: skip
            if r.status_code == 200 and refusals and any(m in _first_error(r.text) for m in refusals):
                r.request_meta["name"] = f"{name} (refused by the rules)"
                r.success()
                return None
            if r.status_code != 302:
                r.failure(f"{r.status_code} on POST {urlsplit(url).path}: {_first_error(r.text)}")
                return None
            target = urljoin(url, r.headers["Location"])
            after = self.client.get(target, name=follow)
            if after.status_code != 200:
                r.failure(f"{after.status_code} after POST {urlsplit(url).path}")
                return None
            if ERROR_FLASH in after.text:
                r.failure(f"refused: POST {urlsplit(url).path}: {_first_error(after.text)}")
                return None
            return after.text


def _first_error(html: str) -> str:
    """The text of the page's first error message (a flash, a form's errors), tags removed."""
    found = re.search(
        r'class="(?:alert alert-danger|invalid-feedback|errorlist|text-danger)[^"]*"[^>]*>', html
    )
    if not found:
        return ""
    text = re.sub(r"<[^>]+>", " ", html[found.end() : found.end() + 600])
    return " ".join(text.split())[:200]


# --- offices ------------------------------------------------------------------------------------------


class Office(Persona):
    """An office reads: what waits, the dashboard and its drill-downs, lists, the ledger, exports."""

    abstract = True

    @task(3)
    def todo(self) -> None:
        self.get("/", "home")

    @task(6)
    def dashboard(self) -> None:
        html = self.get("/dashboard/", "dashboards:index")
        children = [u for u in links(html, r"/dashboard/u/\d+/") if not u.endswith(f"/{self.code}/")]
        drills = links(html, r"/dashboard/u/\d+/units/\?.+")
        if drills:
            self.get(random.choice(drills), "dashboards:units")
        if children:
            self.get(random.choice(children), "dashboards:unit")

    @task(1)
    def warnings(self) -> None:
        self.get(f"/dashboard/u/{self.code}/warnings/", "dashboards:warnings")

    @task(4)
    def unit_page(self) -> None:
        html = self.get(f"/orgs/u/{self.code}/", "orgs:unit")
        children = [u for u in links(html, r"/orgs/u/\d+/") if not u.endswith(f"/{self.code}/")]
        if children:
            self.get(random.choice(children), "orgs:unit")

    @task(3)
    def members(self) -> None:
        page = random.choice(["", "", "?page=2", f"?page={random.randint(3, 40)}"])
        self.get(f"/orgs/u/{self.code}/members/{page}", "orgs:unit_members")

    @task(3)
    def ledger(self) -> None:
        self.get(f"/ledger/unit/{self.code}/", "ledger:unit")
        query = random.choice(["", "?status=open", "?overdue=1", "?category=formalism"])
        self.get(f"/ledger/problems/{query}", "ledger:problems")

    @task(2)
    def gantt(self) -> None:
        self.get(f"/campaigns/{CAMPAIGN}/gantt/", "campaigns:gantt")

    @task(2)
    def participations(self) -> None:
        self.get(f"/campaigns/{CAMPAIGN}/units/", "campaigns:units")

    @task(1)
    def coverage(self) -> None:
        self.get(f"/supervision/{CAMPAIGN}/coverage/", "supervision:coverage")

    @task(1)
    def export_ledger(self) -> None:
        self.get(f"/ledger/exports/rollup/{self.code}/xlsx/", "ledger:export_rollup")

    @task(1)
    def export_report(self) -> None:
        self.get(f"/dashboard/u/{self.code}/report.xlsx", "dashboards:report_xlsx")


class RegionOffice(Office):
    weight = 3
    kind = "region_office"


class LeagueOffice(Office):
    weight = 5
    kind = "league_office"


class CountyOffice(Office):
    weight = 7
    kind = "county_office"

    @task(1)
    def export_county_ledger(self) -> None:
        self.get(f"/ledger/exports/unit/{self.code}/xlsx/", "ledger:export_unit")

    @task(1)
    def export_plan_csv(self) -> None:
        self.get(f"/campaigns/{CAMPAIGN}/export.csv", "campaigns:export_csv")


# --- units recording their phase -------------------------------------------------------------------------


class UnitWorker(Persona):
    """A village secretary or a township operator: their own unit's phase page, one step at a time."""

    abstract = True

    def on_start(self) -> None:
        super().on_start()
        self.phase_url = f"/supervision/{CAMPAIGN}/u/{self.code}/"
        self.steps = 0

    @task(8)
    def record(self) -> None:
        if self.code in _units_taken:  # another simulated user of the same account is at it: read instead
            self.get(self.phase_url, "supervision:unit")
            return
        _units_taken.add(self.code)
        try:
            self._next_step()
        finally:
            _units_taken.discard(self.code)

    def _next_step(self) -> None:
        url = self.phase_url
        html = self.get(url, "supervision:unit")
        if not html:
            return
        forms = [f for f in Forms(html).forms if f["method"] == "post"]
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for f in forms:
            for kind in ("confirm", "material", "meeting", "submit"):
                if f["action"].endswith(f"/{kind}/"):
                    by_kind.setdefault(kind, []).append(f)
        undone = [f for f in by_kind.get("confirm", [])]
        if undone:
            form = random.choice(undone)
            self.post_form(url, form, {}, "supervision:unit_confirm", "supervision:unit")
            return
        missing = 'data-testid="missing"' in html
        meetings = [f for f in by_kind.get("meeting", []) if _open_meeting(html, f["item"])]
        materials = [f for f in by_kind.get("material", []) if _undone(html, f["item"])]
        if meetings and (missing or random.random() < 0.5):
            self._meeting(url, random.choice(meetings))
            return
        if materials and (missing or random.random() < 0.5):
            self._material(url, random.choice(materials))
            return
        waiting = 'data-testid="waiting"' in html  # the template's rules say "not yet" (minimum days)
        if by_kind.get("submit") and not waiting:
            form = by_kind["submit"][0]
            data = {k: "已按要求整改，正在推进。" for k in form["fields"] if k.startswith("explain-")}
            data["note"] = random.choice(["", "材料已齐，请审核。"])
            self.post_form(url, form, data, "supervision:unit_submit", "supervision:unit")
        elif by_kind.get("material") and random.random() < 0.3:  # nothing due: a revised material
            self._material(url, random.choice(by_kind["material"]))

    def _material(self, url: str, form: dict[str, Any]) -> None:
        files = {"file": (f"材料-{self.code}-{random.randint(1, 9999)}.pdf", PDF, "application/pdf")}
        self.post_form(url, form, {}, "supervision:unit_material", "supervision:unit", files=files)

    def _meeting(self, url: str, form: dict[str, Any]) -> None:
        present = random.randint(15, 40)
        good = random.randint(5, present // 2)
        data = {
            "date": date.today().isoformat(),
            "half_day": random.choice(["am", "pm"]),
            "place": "党员活动室",
            "present": str(present),
            "attendees": "全体党员",
            "minutes": "会议学习了有关文件，查摆了问题，提出了整改措施。",
        }
        if "rated_good" in form["types"]:  # a democratic appraisal of members: how many rated what
            data.update(rated_good=str(good), rated_fair=str(present - good - 1), rated_poor="1")
        self.post_form(url, form, data, "supervision:unit_meeting", "supervision:unit")

    @task(2)
    def todo(self) -> None:
        self.get("/", "home")

    @task(2)
    def own_plan(self) -> None:
        self.get(f"/campaigns/{CAMPAIGN}/u/{self.code}/", "campaigns:unit_plan")

    @task(1)
    def own_ledger(self) -> None:
        self.get(f"/ledger/unit/{self.code}/", "ledger:unit")

    @task(1)
    def own_dashboard(self) -> None:
        self.get("/dashboard/", "dashboards:index")


def _item(html: str, key: str) -> str:
    found = re.search(rf'<li class="list-group-item" data-action="{re.escape(key)}">(.*?)</li>', html, re.S)
    return found.group(1) if found else ""


def _undone(html: str, key: str) -> bool:
    return "未完成" in _item(html, key)


def _open_meeting(html: str, key: str) -> bool:
    return 'data-testid="meeting-open"' in _item(html, key)


class VillageSecretary(UnitWorker):
    weight = 12
    kind = "village"


class TownshipOperator(UnitWorker):
    weight = 6
    kind = "township"


# A pass the template's rules refuse: the unit's leadership body has not passed the phase yet (leader
# first), or the phase's minimum days are not over. The review page does not say so beforehand, so a
# supervisor learns it by trying; the product's answer is the intended one and the review stays open.
RULE_REFUSALS = ("暂不能通过", "才能通过")

# --- supervisors deciding ------------------------------------------------------------------------------


class Supervisor(Persona):
    """A supervision group's member: the workbench, then a waiting review decided."""

    abstract = True

    @task(6)
    def decide(self) -> None:
        html = self.get("/supervision/workbench/", "supervision:workbench")
        waiting = [int(pk) for pk in re.findall(r'href="/supervision/reviews/(\d+)/"', html)]
        free = [pk for pk in dict.fromkeys(waiting) if pk not in _reviews_taken]
        if not free:
            return
        pk = random.choice(free[:20])
        _reviews_taken.add(pk)
        try:
            url = f"/supervision/reviews/{pk}/"
            page = self.get(url, "supervision:review")
            form = next((f for f in Forms(page).forms if "decision" in f["radios"]), None)
            if form is None:  # decided meanwhile by someone else of the group (another process) or not ours
                return
            verdict = "pass" if random.random() < 0.85 else "return"
            data: dict[str, Any] = {"decision": verdict}
            for name in form["radios"]:
                if name.startswith("check_"):
                    data[name] = "pass" if verdict == "pass" else "fail"
            if verdict == "return":
                data["comment"] = "材料不全，请补充后重新提交。"
                data["deadline"] = (date.today() + timedelta(days=7)).isoformat()
            self.post_form(
                url, form, data, "supervision:review POST", "supervision:review", refusals=RULE_REFUSALS
            )
        finally:
            _reviews_taken.discard(pk)

    @task(2)
    def todo(self) -> None:
        self.get("/", "home")

    @task(1)
    def dashboard(self) -> None:
        self.get("/dashboard/", "dashboards:index")


class CountySupervisor(Supervisor):
    weight = 2
    kind = "county_supervisor"


class TownshipInstructor(Supervisor):
    weight = 2
    kind = "township_instructor"


# --- the public ---------------------------------------------------------------------------------------

OPINION_PARTS = (
    ["村里的路", "村卫生室", "低保评定", "村务公开栏", "党员活动室", "集体土地", "饮水工程", "合作社"],
    ["希望尽快解决", "一直没有人管", "请村干部多听听大家的意见", "办事要公开透明", "希望增加开放时间"],
)


class Public(HttpUser):
    """A villager with a phone: the unit's page from its poster, an opinion written, sent, the receipt.
    Each post comes from another villager (X-Forwarded-For through the load run's trusted proxy)."""

    weight = 7
    wait_time = between(5, 20)

    def on_start(self) -> None:
        self.client.headers["Connection"] = "close"  # as Persona's

    @task
    def post_opinion(self) -> None:
        code = random.choice(PLAN["public_codes"])
        address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        headers = {"X-Forwarded-For": address}
        url = f"/p/{code}/"
        with self.client.get(url, name="public:unit", headers=headers, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} on {url}")
                return
            form = next((f for f in Forms(r.text).forms if "text" in f["fields"]), None)
            if form is None:
                r.failure("no opinion form")
                return
        self._sleep(random.uniform(4, 10))  # reading and typing: the form refuses a post within 3 s
        what, wish = random.choice(OPINION_PARTS[0]), random.choice(OPINION_PARTS[1])
        text = f"{what}的问题，{wish}。（第{random.randint(1, 10**6)}号）"
        data = {**{k: v for k, v in form["fields"].items() if v is not None}, "text": text, "contact": ""}
        with self.client.post(
            url, data=data, name="public:unit POST", headers={**headers, "Referer": r.url},
            allow_redirects=False, catch_response=True,
        ) as posted:  # fmt: skip
            if posted.status_code != 302:
                posted.failure(f"{posted.status_code} on POST {url}: {_first_error(posted.text)}")
                return
            receipt = self.client.get(urljoin(url, posted.headers["Location"]), name="public:receipt",
                                      headers=headers)  # fmt: skip
            if receipt.status_code != 200:
                posted.failure(f"receipt {receipt.status_code}")

    def _sleep(self, seconds: float) -> None:
        import gevent

        gevent.sleep(seconds)
