"""民主评议党员 through the services, pages and API users use: the bad inputs of issue 12 refused with a
Chinese message and nothing written, the counts rolling up with honest denominators, and individual ratings
seen only by the branch and the level directly above it (a county office gets counts, never names)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from echelon.appraisal import selectors, services, totals
from echelon.appraisal.models import Appraisal, AppraisalTotal, FollowUp, FollowUpState, Rating, State
from echelon.campaigns.models import Campaign
from echelon.campaigns.specs import TemplateError, appraisal_settings, load
from echelon.conftest import make_member
from echelon.core.models import AuditEvent
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db
MEETING = date(2014, 6, 10)
TEMPLATE = Path(__file__).resolve().parents[2] / "campaigns" / "templates_data" / "mass_line_2014_nmg.yaml"


@pytest.fixture
def world(tree: Any, personas: dict[str, Any]) -> Any:
    campaign = Campaign.objects.filter(root=tree.region).first() or make_campaign(tree.region)
    members = [make_member(tree.village, f"M-A{n}", name=f"党员{n}") for n in range(1, 5)]
    other = make_member(tree.community, "M-C1", name="别支部党员")
    return campaign, members, other


def _open(personas: dict[str, Any], campaign: Campaign, tree: Any, present: int = 3) -> Appraisal:
    return services.appraisal_create(
        actor=personas["village_secretary"],
        campaign=campaign,
        unit=tree.village,
        meeting_date=MEETING,
        present=present,
    )


def _events() -> int:
    return AuditEvent.objects.count()


def test_template_section_and_defaults():
    text = TEMPLATE.read_text(encoding="utf-8")
    builtin = load(text)
    assert builtin.data["appraisal"] == {"scale": ["好", "一般", "差"], "lowest": ["差"], "phase": "examine"}
    # a campaign copied before the section: the four usual grades, the last followed up, the phase of the
    # action keyed "appraisal"
    data = dict(builtin.data)
    data.pop("appraisal")
    assert appraisal_settings(data) == {
        "scale": ["优秀", "合格", "基本合格", "不合格"],
        "lowest": ["不合格"],
        "phase": "examine",
    }
    bad = text.replace("  lowest: [差]\n  phase: examine", "  lowest: [很差]\n  phase: nowhere")
    with pytest.raises(TemplateError) as caught:
        load(bad)
    message = " ".join(caught.value.errors)
    assert "lowest" in message and "nowhere" in message


def test_rating_flow_and_bad_inputs(world, tree, personas):
    campaign, members, other = world
    secretary = personas["village_secretary"]
    appraisal = _open(personas, campaign, tree, present=3)
    assert appraisal.phase == "examine" and appraisal.state == State.DRAFT

    def refused(entries: list[tuple[str, str]], words: str, **kw: Any) -> None:
        before = (_events(), Rating.objects.count())
        with pytest.raises(ValidationError) as caught:
            services.ratings_record(actor=secretary, appraisal=appraisal, entries=entries, **kw)
        assert words in " ".join(caught.value.messages)
        assert (_events(), Rating.objects.count()) == before

    refused([(members[0].code, "好"), (other.code, "好")], "别支部党员不是本支部党员")
    refused([(members[0].code, "优秀")], "不是评议等次")
    refused([(members[0].code, "好"), (members[0].code, "差")], "重复评议")
    refused([(m.code, "好") for m in members], "多于到会党员 3 人")

    services.ratings_record(
        actor=secretary, appraisal=appraisal, entries=[(members[0].code, "好"), (members[1].code, "差")]
    )
    refused([(members[0].code, "一般")], "已经评议过")  # a duplicate, outside the rating sheet
    services.ratings_record(
        actor=secretary,
        appraisal=appraisal,
        entries=[(members[0].code, "一般"), (members[2].code, "差")],
        amend=True,
    )
    appraisal.refresh_from_db()
    assert (appraisal.rated, appraisal.lowest) == (3, 2)
    # fewer present than rated: refused
    with pytest.raises(ValidationError, match="不能少于已评议人数"):
        services.appraisal_update(actor=secretary, appraisal=appraisal, meeting_date=MEETING, present=2)
    # finalise, then nothing changes any more
    services.appraisal_confirm(actor=secretary, appraisal=appraisal)
    refused([(members[3].code, "好")], "已经完成", amend=True)
    assert AuditEvent.objects.filter(verb="rating.record").count() == 2


def test_confirm_needs_every_member_present_rated(world, tree, personas):
    campaign, members, _other = world
    appraisal = _open(personas, campaign, tree, present=2)
    services.ratings_record(
        actor=personas["village_secretary"], appraisal=appraisal, entries=[(members[0].code, "好")]
    )
    with pytest.raises(ValidationError, match="与到会党员 2 人不符"):
        services.appraisal_confirm(actor=personas["village_secretary"], appraisal=appraisal)
    assert Appraisal.objects.get(pk=appraisal.pk).state == State.DRAFT


def test_meeting_checks(world, tree, personas):
    campaign, _members, _other = world
    with pytest.raises(ValidationError, match="多于本支部党员 4 人"):
        _open(personas, campaign, tree, present=9)
    with pytest.raises(ValidationError, match="没有党员"):
        services.appraisal_create(
            actor=personas["township_operator"],
            campaign=campaign,
            unit=tree.township,
            meeting_date=MEETING,
            present=1,
        )
    _open(personas, campaign, tree)
    with pytest.raises(ValidationError, match="已经登记"):
        _open(personas, campaign, tree)
    assert Appraisal.objects.count() == 1


def test_who_records(world, tree, personas):
    campaign, members, _other = world
    # the county office may change the village, but is not the level directly responsible
    with pytest.raises(PermissionDenied):
        services.appraisal_create(
            actor=personas["county_office"],
            campaign=campaign,
            unit=tree.village,
            meeting_date=MEETING,
            present=2,
        )
    with pytest.raises(PermissionDenied):  # a supervisor only looks
        services.appraisal_create(
            actor=personas["county_supervisor"],
            campaign=campaign,
            unit=tree.village,
            meeting_date=MEETING,
            present=2,
        )
    # the township (directly above) may record the meeting and the grades
    appraisal = services.appraisal_create(
        actor=personas["township_operator"],
        campaign=campaign,
        unit=tree.village,
        meeting_date=MEETING,
        present=1,
    )
    services.ratings_record(
        actor=personas["township_operator"], appraisal=appraisal, entries=[(members[0].code, "差")]
    )
    services.appraisal_confirm(actor=personas["township_operator"], appraisal=appraisal)
    rating = Rating.objects.get(appraisal=appraisal)
    # the follow-up is the branch's own
    with pytest.raises(PermissionDenied, match="本支部"):
        services.followup_record(
            actor=personas["township_operator"],
            rating=rating,
            talk_date=MEETING,
            talk="谈话",
            deadline=MEETING,
        )
    with pytest.raises(ValidationError, match="不能早于谈话日期"):
        services.followup_record(
            actor=personas["village_secretary"],
            rating=rating,
            talk_date=MEETING,
            talk="x",
            deadline=date(2014, 1, 1),
        )
    assert not FollowUp.objects.exists()
    found = services.followup_record(
        actor=personas["village_secretary"],
        rating=rating,
        talk_date=date(2014, 6, 12),
        talk="指出问题，提出改进要求。",
        deadline=date(2014, 8, 31),
    )
    services.followup_close(actor=personas["village_secretary"], followup=found, outcome="已改进。")
    assert FollowUp.objects.get().state == FollowUpState.CLOSED
    assert set(AuditEvent.objects.filter(verb__startswith="followup.").values_list("verb", flat=True)) == {
        "followup.record",
        "followup.close",
    }


def test_followup_only_for_lowest(world, tree, personas):
    campaign, members, _other = world
    appraisal = _open(personas, campaign, tree, present=1)
    services.ratings_record(
        actor=personas["village_secretary"], appraisal=appraisal, entries=[(members[0].code, "好")]
    )
    services.appraisal_confirm(actor=personas["village_secretary"], appraisal=appraisal)
    with pytest.raises(ValidationError, match="只有评为差的党员"):
        services.followup_record(
            actor=personas["village_secretary"],
            rating=Rating.objects.get(),
            talk_date=MEETING,
            talk="谈话",
            deadline=date(2014, 7, 1),
        )
    assert not FollowUp.objects.exists()


def _recorded(world: Any, tree: Any, personas: dict[str, Any]) -> Appraisal:
    campaign, members, _other = world
    appraisal = _open(personas, campaign, tree, present=3)
    services.ratings_record(
        actor=personas["village_secretary"],
        appraisal=appraisal,
        entries=[(members[0].code, "好"), (members[1].code, "好"), (members[2].code, "差")],
    )
    return services.appraisal_confirm(actor=personas["village_secretary"], appraisal=appraisal)


def test_rollup_counts_with_honest_denominators(world, tree, personas):
    campaign = world[0]
    _recorded(world, tree, personas)
    total, rows = selectors.summary(campaign, tree.county, ["好", "一般", "差"])
    # two branches with members take part (the village and the community): one appraised, one not yet
    assert (total.branches, total.recorded, total.not_yet, total.members, total.rated) == (2, 1, 1, 5, 3)
    assert total.grades == {"好": 2, "一般": 0, "差": 1}
    by_name = {r.unit.name: r for r in rows}
    assert by_name["可可以力更镇"].grades == {"好": 2, "一般": 0, "差": 1}
    assert (by_name["城关街道"].branches, by_name["城关街道"].recorded) == (1, 0)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_county_office_sees_counts_not_names(world, tree, personas, settings):
    appraisal = _recorded(world, tree, personas)
    county = _client(personas["county_office"])
    page = county.get(reverse("appraisal:unit", args=[tree.county.code])).content.decode()
    assert "可可以力更镇" in page and "党员1" not in page
    branch = county.get(reverse("appraisal:branch", args=[tree.village.code])).content.decode()
    assert 'data-testid="appraisal-counts-only"' in branch and "党员1" not in branch
    assert county.get(reverse("api:appraisal-ratings", args=[appraisal.pk])).status_code == 404
    assert county.get(reverse("appraisal:sheet_xlsx", args=[appraisal.pk])).status_code == 404
    assert county.get(reverse("api:appraisal-followup-list")).json()["results"] == []
    summary = county.get(reverse("api:appraisal-summary", args=[tree.county.code])).json()
    assert summary["total"]["grades"] == {"好": 2, "一般": 0, "差": 1}
    assert "党员1" not in str(summary)
    # the branch and the level directly above it see the names
    for who in ("village_secretary", "township_operator"):
        client = _client(personas[who])
        assert "党员1" in client.get(reverse("appraisal:branch", args=[tree.village.code])).content.decode()
        names = [
            r["member_name"] for r in client.get(reverse("api:appraisal-ratings", args=[appraisal.pk])).json()
        ]
        assert sorted(names) == ["党员1", "党员2", "党员3"]


def test_grid_page_rates_and_api_refuses_bad_input(world, tree, personas):
    campaign, members, other = world
    appraisal = _open(personas, campaign, tree, present=2)
    client = _client(personas["village_secretary"])
    grid = {
        f"grade-{members[0].code}": "好",
        f"grade-{members[1].code}": "差",
        f"grade-{members[2].code}": "",
    }
    response = client.post(reverse("appraisal:rate", args=[appraisal.pk]), grid)
    assert response.status_code == 302
    assert dict(Rating.objects.values_list("member__code", "grade")) == {
        members[0].code: "好",
        members[1].code: "差",
    }
    url = reverse("api:appraisal-ratings", args=[appraisal.pk])
    for body, words in [
        ({"ratings": [{"member": other.code, "grade": "好"}]}, "不是本支部党员"),
        ({"ratings": [{"member": members[2].code, "grade": "很好"}]}, "不是评议等次"),
        ({"ratings": [{"member": members[0].code, "grade": "好"}]}, "已经评议过"),
        ({"ratings": [{"member": members[2].code, "grade": "好"}]}, "多于到会党员"),
    ]:
        answer = client.post(url, body, content_type="application/json")
        assert answer.status_code == 400 and words in answer.content.decode(), answer.content.decode()
    assert Rating.objects.count() == 2


def _cells(response: Any) -> list[list[Any]]:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_excel_exports(world, tree, personas):
    appraisal = _recorded(world, tree, personas)
    county = _client(personas["county_office"])
    rows = _cells(county.get(reverse("appraisal:summary_xlsx", args=[tree.county.code])))
    assert rows[0][:3] == ["组织", "应评议支部", "已完成"] and rows[0][-3:] == ["好", "一般", "差"]
    assert rows[-1][0] == "合计" and rows[-1][1:3] == [2, 1] and rows[-1][-3:] == [2, 0, 1]
    assert "党员1" not in str(rows)
    sheet = _cells(
        _client(personas["township_operator"]).get(reverse("appraisal:sheet_xlsx", args=[appraisal.pk]))
    )
    assert sorted((r[1], r[2]) for r in sheet[1:]) == [("党员1", "好"), ("党员2", "好"), ("党员3", "差")]


def test_the_api_list_is_flat(world, tree, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign, _members, _other = world
    _recorded(world, tree, personas)
    county = _client(personas["county_office"])
    url = reverse("api:appraisal-list")
    county.get(url)
    with CaptureQueriesContext(connection) as first:
        assert len(county.get(url).json()["results"]) == 1
    extra = make_member(tree.township, "M-T9", name="镇党员")
    township = services.appraisal_create(
        actor=personas["township_operator"],
        campaign=campaign,
        unit=tree.township,
        meeting_date=MEETING,
        present=1,
    )
    services.ratings_record(
        actor=personas["township_operator"], appraisal=township, entries=[(extra.code, "好")]
    )
    with CaptureQueriesContext(connection) as second:
        rows = county.get(url).json()["results"]
    assert [r["counts"] for r in rows] == [{"好": 1, "一般": 0, "差": 0}, {"好": 2, "一般": 0, "差": 1}]
    assert len(second.captured_queries) == len(first.captured_queries)


def _totals(campaign: Campaign) -> set[tuple[str, int, str, int]]:
    return set(AppraisalTotal.objects.filter(campaign=campaign).values_list("path", "depth", "key", "count"))


def test_the_totals_kept_by_the_services_equal_a_rebuild(world, tree, personas):
    campaign = world[0]
    _recorded(world, tree, personas)
    kept = _totals(campaign)
    # the village and every unit above it: recorded 1, rated 3, 好 2, 差 1 (no row for a grade nobody got)
    assert {(p, k, n) for p, _d, k, n in kept if p == tree.region.path} == {
        (tree.region.path, "recorded", 1),
        (tree.region.path, "rated", 3),
        (tree.region.path, "grade:好", 2),
        (tree.region.path, "grade:差", 1),
    }
    assert {p for p, *_ in kept} == {
        tree.region.path,
        tree.league.path,
        tree.county.path,
        tree.township.path,
        tree.village.path,
    }
    assert totals.rebuild(campaign.pk) == len(kept)
    assert _totals(campaign) == kept
    # a draft counts live, beside the totals; the village's own row is its own appraisal
    community = Appraisal.objects.create(  # a draft as the branch's own service leaves it (set-up)
        campaign=campaign,
        unit=tree.community,
        path=tree.community.path,
        parent_path=tree.community.path[:-5],
        level=tree.community.level,
        phase="examine",
        meeting_date=MEETING,
        present=1,
    )
    total, _rows = selectors.summary(campaign, tree.county, ["好", "一般", "差"])
    assert (total.recorded, total.draft, total.not_yet) == (1, 1, 0)
    own, _ = selectors.summary(campaign, tree.village, ["好", "一般", "差"])
    assert (own.recorded, own.rated, own.grades["差"]) == (1, 3, 1)
    assert community.state == State.DRAFT
