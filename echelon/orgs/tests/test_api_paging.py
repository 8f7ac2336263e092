"""The API's pages never count a big list: the member list's length comes from the rollups, a filtered list
is counted only up to ``paging.COUNT_AHEAD`` rows past the offset, and the last page counts itself."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from echelon.conftest import make_member
from echelon.core import paging
from echelon.orgs.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(tree):
    for i in range(4):
        make_member(tree.village, f"V{i:03d}", name="王" + str(i))
    for i in range(3):
        make_member(tree.community, f"C{i:03d}", name="李" + str(i))
    make_member(tree.village, "M001", name="赵一", inflow=tree.community)  # counted at the community
    make_member(tree.sibling_village, "S001", name="孙一")
    return tree


def _get(user, url, **params):
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url, params).json()
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    return body, counts


@pytest.mark.parametrize(
    ("persona", "params", "expected"),
    [
        ("region_office", {}, lambda t: Member.objects.all()),
        ("league_office", {}, lambda t: Member.objects.within(t.league.path)),
        ("outsider", {}, lambda t: Member.objects.within(t.sibling_league.path)),
        ("region_office", {"under": "150125100201"}, lambda t: Member.objects.within(t.village.path)),
        (
            "county_office",
            {"participating_under": "150125001001"},
            lambda t: Member.objects.participating_in(t.community.path),
        ),
    ],
)
def test_an_unfiltered_member_list_takes_its_length_from_the_rollups(
    members, personas, persona, params, expected
):
    body, counts = _get(personas[persona], "/api/v1/members/", limit=2, **params)
    want = expected(members)
    assert body["count"] == want.count() and body["count_exact"] is True
    assert counts == []  # nothing counted: the rollups said
    assert [r["code"] for r in body["results"]] == list(
        want.order_by("path", "id").values_list("code", flat=True)[:2]
    )


def test_a_filtered_list_is_counted_only_so_far_and_next_still_leads_to_every_row(
    members, personas, monkeypatch
):
    monkeypatch.setattr(paging, "COUNT_AHEAD", 3)
    user = personas["region_office"]
    body, counts = _get(user, "/api/v1/members/", limit=2, gender="m")
    assert len(counts) == 1 and "LIMIT" in counts[0].upper()
    assert body["count"] == 3 and body["count_exact"] is False  # 9 match: a lower bound
    seen, url = [r["code"] for r in body["results"]], body["next"]
    client = Client()
    client.force_login(user)
    while url:
        page = client.get(url).json()
        seen += [r["code"] for r in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(Member.objects.filter(gender="m").values_list("code", flat=True))
    assert page["count"] == 9 and page["count_exact"] is True  # the last page counted itself


def test_the_last_page_counts_itself_and_an_offset_past_the_end_is_empty(members, personas):
    user = personas["region_office"]
    body, counts = _get(user, "/api/v1/members/", limit=3, offset=2, q="王")
    assert counts == [] and body["count"] == 4 and body["count_exact"] is True  # 王2, 王3: the end
    body, counts = _get(user, "/api/v1/members/", limit=5, offset=0, q="王")
    assert counts == [] and body["count"] == 4 and body["next"] is None
    body, _counts = _get(user, "/api/v1/members/", limit=5, offset=50, q="王")
    assert body["results"] == [] and body["count"] == 4 and body["count_exact"] is True


def test_the_schema_describes_count_exact(client, admin_user):
    client.force_login(admin_user)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paged = schema["components"]["schemas"]["PaginatedMemberList"]
    assert paged["properties"]["count_exact"]["type"] == "boolean"
