"""List pages and API lists answer with a number of queries that does not grow with their rows.

Each test asks a list as the persona that uses it (once to warm the caches, once counted), adds more rows
through the services, asks again and compares: equal counts, and the new rows are really on the list (a
list that stopped showing them would be flat for the wrong reason). An N+1 shows as a difference of N.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from echelon.accounts import services as account_services
from echelon.conftest import make_member, make_unit
from echelon.orgs.models import Kind, Level

pytestmark = pytest.mark.django_db
MORE = 4  # rows added between the two counts


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_queries(client: Client, url: str) -> tuple[int, list[str], str]:
    client.get(url)  # warm the caches (versions, scope) so both counts are steady-state
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured), [q["sql"] for q in captured.captured_queries], response.content.decode()


def _shape(sql: str) -> str:
    """A query without its literals (ids, timestamps): the same query for another row has the same shape."""
    import re

    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def assert_flat(client: Client, url: str, add: Callable[[], list[str]]) -> None:
    """`add` writes MORE rows through the services and returns a text of each that the list shows."""
    before, sql_before, _page = count_queries(client, url)
    shown = add()
    after, sql_after, page = count_queries(client, url)
    missing = [s for s in shown if s not in page]
    assert not missing, f"{url}: the added rows are not on the list: {missing}"
    seen = {_shape(q) for q in sql_before}
    extra = [q[:200] for q in sql_after if _shape(q) not in seen][:3]
    assert after == before, f"{url}: {before} queries with the first rows, {after} with {MORE} more: {extra}"


# --- the registry ----------------------------------------------------------------------------------------


def _villages(tree: Any, start: int = 2) -> Callable[[], list[str]]:
    def add() -> list[str]:
        names = []
        for i in range(start, start + MORE):
            name = f"测试村{i}"
            make_unit(tree.township, f"15012510020{i}", name, Level.VILLAGE, Kind.VILLAGE, "village")
            names.append(name)
        return names

    return add


@pytest.mark.parametrize(
    "route,persona",
    [
        ("orgs:tree_children", "township_operator"),
        ("orgs:unit", "township_operator"),
        ("api:unit-children", "township_operator"),
    ],
)
def test_unit_children(route, persona, tree, personas):
    make_unit(tree.township, "150125100290", "测试村甲", Level.VILLAGE, Kind.VILLAGE, "village")
    url = reverse(route, args=[tree.township.code])
    assert_flat(client_for(personas[persona]), url, _villages(tree))


@pytest.mark.parametrize(
    "url",
    [lambda t: reverse("orgs:unit_members", args=[t.village.code]), lambda t: reverse("api:member-list")],
)
def test_members(url, tree, personas):
    make_member(tree.village, "M-Q0", name="党员零")

    def add() -> list[str]:
        for i in range(1, MORE + 1):
            make_member(tree.village, f"M-Q{i}", name=f"党员{i}", mobile=i % 2 == 0)
        return [f"M-Q{i}" for i in range(1, MORE + 1)]

    assert_flat(client_for(personas["village_secretary"]), url(tree), add)


# --- users and the audit trail (offices) ------------------------------------------------------------------


@pytest.mark.parametrize("route", ["accounts:users", "api:user-list"])
def test_users(route, tree, personas):
    def add() -> list[str]:
        names = []
        for i in range(MORE):
            user = account_services.user_create(actor=None, username=f"clerk{i}", password=None)
            account_services.grant_add(actor=None, user=user, unit=tree.village, role="operator")
            account_services.grant_add(actor=None, user=user, unit=tree.township, role="leader")
            names.append(f"clerk{i}")
        return names

    assert_flat(client_for(personas["county_office"]), reverse(route), add)


@pytest.mark.parametrize("route", ["audit:list", "api:audit-list"])
def test_audit(route, tree, personas):
    def add() -> list[str]:
        for i in range(MORE):
            make_member(tree.village, f"M-A{i}", name=f"审计党员{i}")
        return ["member.create"]

    assert_flat(client_for(personas["county_office"]), reverse(route), add)


# --- campaigns --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["campaigns:list", "api:campaign-list"])
def test_campaigns(route, tree, personas):
    from echelon.campaigns.tests.helpers import make_campaign

    make_campaign(tree.township, name="可可以力更镇活动")

    def add() -> list[str]:
        roots = [tree.village, tree.community, tree.community_township, tree.county]
        for i, root in enumerate(roots[:MORE]):
            make_campaign(root, name=f"测试活动{i}")
        return [f"测试活动{i}" for i in range(MORE)]

    assert_flat(client_for(personas["county_office"]), reverse(route), add)


# --- supervision ------------------------------------------------------------------------------------------


@pytest.fixture
def supervised(tree, personas, settings, tmp_path):
    """A campaign on the region with MORE + 1 villages under the township, all given to one instructor;
    `submit(village)` brings a village's phase two to the instructor (an open review)."""
    from echelon.supervision import services
    from echelon.supervision.models import GroupKind
    from echelon.supervision.tests.helpers import group, make_campaign, part, user

    settings.MEDIA_ROOT = tmp_path
    villages = [tree.village] + [
        make_unit(tree.township, f"15012510021{i}", f"督导村{i}", Level.VILLAGE, Kind.VILLAGE, "village")
        for i in range(MORE)
    ]
    campaign = make_campaign(tree.region)
    instructor = user("instructor")
    g = group(campaign, tree.township, "可可以力更镇指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR)
    for v in villages:
        services.assign(actor=None, group=g, participation=part(campaign, v))

    def submit(village: Any) -> None:
        p = part(campaign, village)
        meeting = {"type": "mobilization", "date": date.today(), "place": "村委会", "attendees": "全体党员"}
        for phase, material, action in ((0, "plan", "mobilize"), (1, "opinions", "study")):
            services.material_upload(
                actor=None,
                participation=p,
                phase=phase,
                action_key=material,
                fileobj=io.BytesIO(b"%PDF-1.4\n"),
                name="材料.pdf",
            )
            data = {**meeting, "type": "study"} if action == "study" else meeting
            services.meeting_record(actor=None, participation=p, phase=phase, data=data, action_key=action)
            services.gate_submit(actor=None, participation=p, day=date(2014, 3, 1) if phase == 0 else None)

    return campaign, villages, instructor, submit


@pytest.mark.parametrize("route", ["supervision:workbench", "api:supervision-review-list"])
def test_reviews(route, supervised):
    _campaign, villages, instructor, submit = supervised
    submit(villages[0])

    def add() -> list[str]:
        for v in villages[1:]:
            submit(v)
        return [v.name for v in villages[1:]] if route == "supervision:workbench" else [str(len(villages))]

    assert_flat(client_for(instructor), reverse(route), add)


@pytest.mark.parametrize("route", ["supervision:campaign", "api:supervision-group-list"])
def test_groups(route, tree, personas, supervised):
    from echelon.supervision.tests.helpers import group, user

    campaign = supervised[0]
    url = reverse(route, args=[campaign.pk]) if route == "supervision:campaign" else reverse(route)

    def add() -> list[str]:
        names = [f"武川县第{i}督导组" for i in range(2, MORE + 2)]
        for i, name in enumerate(names):
            group(campaign, tree.county, name, members=(user(f"supervisor{i}"),))
        return names

    assert_flat(client_for(personas["county_office"]), url, add)


def test_notifications(tree, personas, supervised):
    """Each notice links to its target (a unit's phase page): one query per target type, not per notice."""
    from echelon.core.notifications import notify
    from echelon.supervision.tests.helpers import part

    campaign, villages, _instructor, _submit = supervised
    secretary = personas["village_secretary"]
    notify([secretary], kind="returned", text="通知零", target=part(campaign, villages[0]))

    def add() -> list[str]:
        for i, village in enumerate(villages[1:]):
            notify([secretary], kind="returned", text=f"通知{i + 1}", target=part(campaign, village))
        return [f"通知{i + 1}" for i in range(MORE)]

    assert_flat(client_for(secretary), reverse("notifications:list"), add)
