"""Keyset pages (``?cursor=``, ``core.api.pagination``): a walk by cursor reads every row of the caller's list
once, in the list's order (the same rows as the offset walk), never leaves the caller's subtree, counts and
skips nothing, and refuses a cursor it did not hand out with a 400 in Chinese."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from echelon.conftest import make_member
from echelon.core.api.pagination import Keyset, LimitOffsetPagination
from echelon.core.models import AuditEvent
from echelon.core.tests.test_fuzz_api import keep_connection  # noqa: F401  (a fixture)
from echelon.orgs.models import Member, Unit

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/members/"
BAD = "翻页游标（cursor）无效，请从列表开头重新翻页。"


@pytest.fixture
def members(tree):
    for i in range(5):
        make_member(tree.village, f"V{i:03d}", name=f"王{i}")
    for i in range(4):
        make_member(tree.community, f"C{i:03d}", name=f"李{i}")
    make_member(tree.village, "M001", name="赵一", inflow=tree.community)
    for i in range(3):
        make_member(tree.sibling_village, f"S{i:03d}", name=f"孙{i}")
    return tree


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def walk_offset(client: Client, url: str, key: str, **params) -> list:
    body = client.get(url, params).json()
    seen = [r[key] for r in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [r[key] for r in body["results"]]
    return seen


def walk_cursor(client: Client, url: str, key: str, **params) -> tuple[list, list[dict]]:
    """The first page by offset, then by its ``next_cursor`` and the cursor pages' ``next`` links."""
    first = client.get(url, params).json()
    seen, pages = [r[key] for r in first["results"]], []
    assert (first["next"] is None) == (first["next_cursor"] is None)
    cursor = first["next_cursor"]
    body = client.get(url, {**params, "cursor": cursor}).json() if cursor else None
    while body is not None:
        pages.append(body)
        seen += [r[key] for r in body["results"]]
        body = client.get(body["next"]).json() if body["next"] else None
    return seen, pages


def test_a_cursor_walk_reads_every_member_once_in_order_as_the_offset_walk(members, personas):
    client = _client(personas["region_office"])
    by_offset = walk_offset(client, MEMBERS, "code", limit=3)
    by_cursor, pages = walk_cursor(client, MEMBERS, "code", limit=3)
    want = list(Member.objects.order_by("path", "id").values_list("code", flat=True))
    assert by_cursor == by_offset == want and len(want) == 13
    assert len(pages) == 4  # 13 rows, 3 a page: the first by offset, four by cursor
    for page in pages:
        assert page["count"] is None and page["count_exact"] is False and page["previous"] is None
        assert "offset=" not in (page["next"] or "") and len(page["results"]) <= 3
    assert pages[-1]["next"] is None and pages[-1]["next_cursor"] is None


def test_a_cursor_page_neither_counts_nor_skips(members, personas):
    client = _client(personas["region_office"])
    cursor = client.get(MEMBERS, {"limit": 2, "offset": 4}).json()["next_cursor"]
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(MEMBERS, {"limit": 2, "cursor": cursor, "offset": 999}).json()
    sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
    assert "COUNT(" not in sql and "OFFSET" not in sql
    # the position is the first bound in the WHERE (SQLite reads its index from the first one it finds;
    # the scope's bound first would read the subtree from its start)
    page = next(q["sql"] for q in ctx.captured_queries if "LIMIT 3" in q["sql"])
    where = page.split(" WHERE ", 1)[1]
    position = Member.objects.order_by("path", "id")[5]  # the last row of the offset page
    assert where.startswith(f'("orgs_member"."path" >= \'{position.path}\' AND ')
    want = list(Member.objects.order_by("path", "id").values_list("code", flat=True))
    assert [r["code"] for r in body["results"]] == want[6:8]  # the offset is ignored


@pytest.mark.parametrize("persona", ["league_office", "outsider", "village_secretary"])
def test_a_scoped_walk_never_leaves_the_subtree(members, personas, persona):
    user = personas[persona]
    seen, _pages = walk_cursor(_client(user), MEMBERS, "code", limit=2)
    want = list(Member.objects.visible_to(user).order_by("path", "id").values_list("code", flat=True))
    assert seen == want and 0 < len(want) < Member.objects.count()


def test_a_cursor_is_only_a_position_in_the_callers_own_list(members, personas):
    """The region office's cursor, given to the sibling league's office: its own rows after that position."""
    region = _client(personas["region_office"])
    cursor = region.get(MEMBERS, {"limit": 1}).json()["next_cursor"]  # after the first of the whole list
    body = _client(personas["outsider"]).get(MEMBERS, {"limit": 50, "cursor": cursor}).json()
    outsiders = list(Member.objects.within(members.sibling_league.path).values_list("code", flat=True))
    assert {r["code"] for r in body["results"]} <= set(outsiders) and body["results"]


def test_rows_written_during_a_walk_are_never_read_twice(members, personas):
    client = _client(personas["region_office"])
    rows = list(Member.objects.order_by("path", "id").select_related("unit"))
    first_unit, last_unit = rows[0].unit, rows[-1].unit
    limit = sum(1 for m in rows if m.unit == first_unit)  # the first page ends with the first unit
    first = client.get(MEMBERS, {"limit": limit}).json()
    seen = [r["code"] for r in first["results"]]
    # between two pages: a row in the unit already read (a larger id: after the position) and one at the end
    make_member(first_unit, "N001", name="新一")
    make_member(last_unit, "N002", name="新二")
    body = client.get(MEMBERS, {"limit": limit, "cursor": first["next_cursor"]}).json()
    while True:
        seen += [r["code"] for r in body["results"]]
        if not body["next"]:
            break
        body = client.get(body["next"]).json()
    assert len(seen) == len(set(seen))
    assert set(seen) == {m.code for m in rows} | {"N001", "N002"}
    assert seen[:limit] == [m.code for m in rows[:limit]]


def test_the_limit_cap_holds_on_cursor_pages(members, personas, monkeypatch):
    monkeypatch.setattr(LimitOffsetPagination, "max_limit", 3)
    client = _client(personas["region_office"])
    cursor = client.get(MEMBERS, {"limit": 1}).json()["next_cursor"]
    body = client.get(MEMBERS, {"limit": 10**23, "cursor": cursor}).json()
    assert len(body["results"]) == 3 and body["next_cursor"]


def _forged(payload: dict) -> str:
    raw = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"{raw}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def test_a_garbled_forged_or_foreign_cursor_is_a_400_in_chinese(members, personas):
    client = _client(personas["region_office"])
    good = client.get(MEMBERS, {"limit": 2}).json()["next_cursor"]
    units = client.get("/api/v1/units/", {"limit": 2}).json()["next_cursor"]
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    for cursor in [
        "garbage",
        "start",
        ":",
        "%00",
        tampered,
        units,  # another list's position
        _forged({"m": "orgs.member", "k": ["path", "id"], "v": ["0", 1]}),
        good + "x",
    ]:
        answer = client.get(MEMBERS, {"limit": 2, "cursor": cursor})
        assert answer.status_code == 400, cursor
        assert answer.json() == {"cursor": [BAD]}, cursor


def test_a_list_that_is_not_read_by_cursor_refuses_one(tree, personas):
    answer = _client(personas["region_office"]).get("/api/v1/ledger/tasks/", {"cursor": "x"})
    assert answer.status_code == 400 and "cursor" in answer.json()
    body = _client(personas["region_office"]).get("/api/v1/ledger/tasks/").json()
    assert "next_cursor" not in body  # (deadline, id) has no index: offset only


def test_an_empty_cursor_is_the_offset_page(members, personas):
    client = _client(personas["region_office"])
    with_empty = client.get(MEMBERS, {"limit": "2", "offset": "2", "cursor": ""}).json()
    without = client.get(MEMBERS, {"limit": 2, "offset": 2}).json()
    for body in (with_empty, without):  # the links keep the request's parameters
        body["next"] = body["next"].replace("cursor=&", "")
        body["previous"] = body["previous"].replace("cursor=&", "")
    assert with_empty == without and without["count"] == 13 and without["next_cursor"]


def test_units_walk_by_cursor_in_tree_order(members, personas):
    client = _client(personas["county_office"])
    by_cursor, _pages = walk_cursor(client, "/api/v1/units/", "code", limit=2)
    assert by_cursor == walk_offset(client, "/api/v1/units/", "code", limit=2)
    user = personas["county_office"]
    want = (
        Unit.objects.visible_to(user).filter(is_active=True).order_by("path").values_list("code", flat=True)
    )
    assert by_cursor == list(want) and len(by_cursor) > 2
    children, _pages = walk_cursor(client, f"/api/v1/units/{members.county.code}/children/", "code", limit=1)
    assert children == list(
        Unit.objects.filter(parent=members.county).order_by("kind", "code").values_list("code", flat=True)
    )


def test_the_audit_trail_walks_newest_first_by_cursor(members, personas):
    client = _client(personas["county_office"])
    by_cursor, pages = walk_cursor(client, "/api/v1/audit/", "id", limit=3)
    assert by_cursor == walk_offset(client, "/api/v1/audit/", "id", limit=3)
    want = AuditEvent.objects.visible_to(personas["county_office"], "audit").order_by("-at", "-id")
    assert by_cursor == list(want.values_list("id", flat=True)) and pages


def test_the_schema_describes_the_cursor(client, admin_user):
    client.force_login(admin_user)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    names = {p["name"] for p in schema["paths"]["/api/v1/members/"]["get"]["parameters"]}
    assert {"cursor", "limit", "offset"} <= names
    tasks = {p["name"] for p in schema["paths"]["/api/v1/ledger/tasks/"]["get"]["parameters"]}
    assert "cursor" not in tasks
    paged = schema["components"]["schemas"]["PaginatedMemberList"]["properties"]
    assert paged["count"]["nullable"] is True and paged["next_cursor"]["nullable"] is True


def test_a_keyset_is_a_unique_ordering_in_one_direction():
    assert Keyset.of(Member.objects.order_by("path", "id")) is not None
    assert Keyset.of(Unit.objects.order_by("path")) is not None
    assert Keyset.of(AuditEvent.objects.all()) is not None  # the model's ordering: -at, -id
    assert Keyset.of(Member.objects.order_by("path")) is None  # not unique
    assert Keyset.of(Member.objects.order_by("path", "-id")) is None  # two directions
    assert Keyset.of(Member.objects.order_by("unit__path", "id")) is None  # another table's column
    assert Keyset.of(Member.objects.order_by()) is None


@pytest.mark.usefixtures("keep_connection")  # in-process WSGI calls on PostgreSQL: see test_fuzz_api
def test_a_cursor_page_answers_as_the_schema_says(members, personas):
    """A cursor page (count null, previous null, next_cursor) and an offset page, held to the OpenAPI schema
    by schemathesis, as the fuzz test holds every answer."""
    import schemathesis
    from drf_spectacular.generators import SchemaGenerator
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    from echelon.accounts import services as account_services
    from echelon.wsgi import application

    document = SchemaGenerator().get_schema(request=None, public=True)
    operation = schemathesis.openapi.from_dict(document)["/api/v1/members/"]["GET"]
    _token, key = account_services.token_issue(actor=None, user=personas["region_office"], name="keyset")
    headers = {"Authorization": f"Token {key}"}
    # (no test Client here: it reconnects the signal that closes the connection after its request)
    cursor = None
    for query in ({"limit": 2}, {"limit": 2, "cursor": "?"}, {"limit": 50, "cursor": "?"}):
        case = operation.Case(query={**query, "cursor": cursor} if "cursor" in query else query)
        response = case.call(app=application, headers=headers)
        assert response.status_code == 200
        case.validate_response(
            response, checks=[status_code_conformance, response_schema_conformance], headers=headers
        )
        cursor = cursor or response.json()["next_cursor"]
    assert response.json()["count"] is None and response.json()["next_cursor"] is None
