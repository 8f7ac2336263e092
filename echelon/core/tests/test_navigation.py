"""The menus are what the apps registered (ADR 13): per role, nothing dead, every URL resolving."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import resolve, reverse

from echelon.core import navigation
from echelon.core.models import AuditEvent

pytestmark = pytest.mark.django_db

MAIN = ["组织", "调度看板", "活动安排", "督导", "问题台账", "满意度测评", "民主评议", "典型案例"]
EVERYONE = ["通知", "我的后台任务", "API 令牌", "修改密码", "退出登录"]
OFFICE = ["通知", "我的后台任务", "用户与授权", "审计记录", "API 令牌", "修改密码", "退出登录"]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def header(html: str) -> dict[str, list[tuple[str, str]]]:
    """The navbar's entries as (label, url): the main menu, the user's dropdown and the search box."""
    nav = re.search(r'<nav class="navbar.*?</nav>', html, re.S)
    assert nav, "no page header"
    text = nav.group(0)
    main = re.findall(
        r'<a class="nav-link[^"]*"\s+href="([^"]*)">\s*<i class="bi [^"]+"></i>\s*([^<]+?)\s*</a>', text
    )
    links = re.findall(
        r'class="dropdown-item" href="([^"]*)"><i class="bi [^"]+"></i>\s*([^<]+?)\s*(?:<|$)', text
    )
    posts = re.findall(
        r'<form method="post" action="([^"]*)">.*?<button class="dropdown-item"[^>]*>'
        r'<i class="bi [^"]+"></i>\s*([^<]+?)\s*</button>',
        text,
        re.S,
    )
    search = re.findall(r'<form class="d-flex me-2" role="search" action="([^"]*)"', text)
    return {
        "main": [(label, url) for url, label in main],
        "user": [(label, url) for url, label in links + posts],
        "search": [("search", url) for url in search],
    }


@pytest.mark.parametrize(
    ("persona", "dropdown"),
    [
        ("region_office", OFFICE),
        ("county_office", OFFICE),
        ("county_supervisor", EVERYONE),
        ("township_operator", EVERYONE),
        ("village_secretary", EVERYONE),
        ("liaison_leader", EVERYONE),
    ],
)
def test_the_menu_per_role(personas, persona, dropdown):
    html = login(personas[persona]).get(reverse("jobs:list")).content.decode()
    menus = header(html)
    assert [label for label, _ in menus["main"]] == MAIN
    assert [label for label, _ in menus["user"]] == dropdown
    assert menus["search"] == [("search", reverse("orgs:search"))]
    # Nothing dead: no "coming soon" entries for apps that do not exist yet, every link resolves.
    assert "即将推出" not in html
    for _label, url in menus["main"] + menus["user"] + menus["search"]:
        resolve(url)


def test_the_superuser_sees_the_office_entries(admin_user):
    menus = header(login(admin_user).get(reverse("jobs:list")).content.decode())
    assert [label for label, _ in menus["user"]] == OFFICE


def test_the_active_area(personas):
    menus = login(personas["county_office"]).get(reverse("campaigns:list")).content.decode()
    assert re.search(r'<a class="nav-link active"\s+href="/campaigns/">', menus)
    assert len(re.findall(r'class="nav-link active"', menus)) == 1


def test_no_menu_for_anonymous_visitors(db):
    html = Client().get(reverse("accounts:login")).content.decode()
    assert "dropdown-item" not in html and "nav-link" not in html


def test_every_registered_entry_resolves():
    registered = navigation.entries()
    assert {(e.section, e.key) for e in registered} >= {
        ("main", "orgs"),
        ("main", "campaigns"),
        ("main", "supervision"),
        ("user", "notifications"),
        ("user", "jobs"),
        ("user", "users"),
        ("user", "audit"),
        ("user", "tokens"),
        ("user", "password"),
        ("user", "logout"),
        ("search", "orgs"),
        ("unit", "campaigns"),
    }
    for entry in registered:
        url = entry.url("150000") if entry.section == "unit" else entry.url()
        assert resolve(url), entry


def test_a_registered_entry_appears_for_whom_it_is_visible(personas):
    navigation.register(
        "probe",
        "探针",
        "bi-activity",
        "jobs:list",
        section="main",
        order=12,
        visible=lambda user: user.username == "county_office",
    )
    try:
        office = header(login(personas["county_office"]).get(reverse("jobs:list")).content.decode())
        village = header(login(personas["village_secretary"]).get(reverse("jobs:list")).content.decode())
    finally:
        navigation.unregister("main", "probe")
    assert [label for label, _ in office["main"]] == ["组织", "探针", *MAIN[1:]]
    assert [label for label, _ in village["main"]] == MAIN


def test_home_is_my_work_with_the_areas_below(personas):
    response = login(personas["village_secretary"]).get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200 and "我的待办" in html
    assert reverse("orgs:browse") in html  # the areas of the main menu, with nothing waiting


def test_the_unit_page_shows_the_tabs_of_the_apps_above(personas, tree):
    client = login(personas["county_office"])
    html = client.get(reverse("orgs:unit", args=[tree.county.code])).content.decode()
    campaigns_tab = reverse("campaigns:unit_campaigns", args=[tree.county.code])
    assert f'<a class="nav-link" href="{campaigns_tab}">活动安排</a>' in html
    html = client.get(campaigns_tab).content.decode()
    assert f'<a class="nav-link active" href="{campaigns_tab}">活动安排</a>' in html


def test_the_audit_search_by_unit_code_uses_the_registered_lookup(personas, tree):
    """Core's audit filter narrows by a unit code through the lookup orgs registered (no `get_model`)."""
    client = login(personas["county_office"])
    events = AuditEvent.objects.filter(verb__startswith="unit.")
    under_township = {e.object_repr for e in events if e.unit_path.startswith(tree.township.path)}
    assert under_township
    html = client.get(reverse("audit:list"), {"unit": tree.township.code}).content.decode()
    for name in under_township:
        assert name in html
    assert tree.organ.name not in html  # in the county, outside the township
    html = client.get(reverse("audit:list"), {"unit": "NO-SUCH-UNIT"}).content.decode()
    assert tree.township.name not in html.split("</nav>", 1)[1]
