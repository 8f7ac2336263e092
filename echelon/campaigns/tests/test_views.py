"""Pages and API of the campaigns, with the personas: scoping (outsider 404, a village secretary sees their
village), the Gantt drill-down, a unit's plan, its iCalendar feed and printable schedule, templates."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from echelon.campaigns import services
from echelon.campaigns.models import Campaign, CampaignTemplate, Participation, PhaseActual, Status
from echelon.campaigns.tests.helpers import BUILTIN, GENERIC, make_campaign, scheduled_campaign
from echelon.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def region_campaign(tree) -> Campaign:
    return scheduled_campaign(tree.region, publish=True)


def text(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------------------------
# Pages: the flow
# ---------------------------------------------------------------------------------------------------------


def test_the_region_office_creates_schedules_and_publishes_through_the_pages(tree, personas):
    client = client_for(personas["region_office"])
    assert client.get(reverse("campaigns:list")).status_code == 200
    response = client.post(
        reverse("campaigns:create"),
        {
            "template": BUILTIN,
            "root": "150000",
            "start": "2014-01-20",
            "end": "2014-09-30",
            "name": "",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    page = text(client.get(campaign.get_absolute_url()))
    assert "生成计划" in page and "第一批（自治区领导机关和直属单位）" in page

    client.post(reverse("campaigns:schedule", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == Status.SCHEDULED
    page = text(client.get(campaign.get_absolute_url()))
    assert "计划满足全部规则" in page

    client.post(reverse("campaigns:publish", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == Status.PUBLISHED and campaign.baseline_count == 1


def test_violations_are_shown_plainly_and_publishing_is_refused(tree, personas):
    campaign = make_campaign(tree.region, windows={"second": (date(2014, 1, 20), date(2014, 4, 10))})
    client = client_for(personas["region_office"])
    client.post(reverse("campaigns:schedule", args=[campaign.pk]))
    page = text(client.get(campaign.get_absolute_url()))
    assert "最短集中时长" in page and "不足 90 天" in page and "将批次结束日期推迟到" in page
    assert "武川县" in page  # an example unit, named
    response = client.post(reverse("campaigns:publish", args=[campaign.pk]), follow=True)
    assert "计划不满足全部规则" in text(response)
    campaign.refresh_from_db()
    assert campaign.status == Status.SCHEDULED


def test_what_if_page_compares_and_applies(tree, personas, region_campaign):
    client = client_for(personas["region_office"])
    url = reverse("campaigns:what_if", args=[region_campaign.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"batch": "second", "level_stagger_days": "12"})
    page = text(response)
    assert "与已发布的基线比较" in page and "旗县市区" in page
    assert region_campaign.batches.get(key="second").rules["level_stagger_days"] == 10  # nothing written
    client.post(
        reverse("campaigns:schedule", args=[region_campaign.pk]),
        {"batch": "second", "level_stagger_days": "12"},
    )
    region_campaign.refresh_from_db()
    assert region_campaign.batches.get(key="second").rules["level_stagger_days"] == 12
    page = text(client.get(region_campaign.get_absolute_url()))
    assert "重新排程与已发布基线的比较" in page


def test_only_an_office_at_the_root_sees_the_actions(tree, personas, region_campaign):
    page = text(client_for(personas["county_office"]).get(region_campaign.get_absolute_url()))
    assert "重新排程" not in page
    assert (
        client_for(personas["county_office"])
        .post(reverse("campaigns:schedule", args=[region_campaign.pk]))
        .status_code
        == 403
    )
    assert (
        client_for(personas["league_office"])
        .get(reverse("campaigns:what_if", args=[region_campaign.pk]))
        .status_code
        == 403
    )


# ---------------------------------------------------------------------------------------------------------
# Scoping
# ---------------------------------------------------------------------------------------------------------


def test_outsider_gets_404_for_a_campaign_outside_their_subtree(tree, personas):
    campaign = scheduled_campaign(tree.county, name="武川县第二批活动")
    client = client_for(personas["outsider"])
    for name, kwargs in [
        ("campaigns:detail", {"pk": campaign.pk}),
        ("campaigns:gantt", {"pk": campaign.pk}),
        ("campaigns:units", {"pk": campaign.pk}),
        ("campaigns:unit_plan", {"pk": campaign.pk, "code": tree.village.code}),
        ("campaigns:unit_ical", {"pk": campaign.pk, "code": tree.village.code}),
    ]:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404, name
    assert "武川县" not in text(client.get(reverse("campaigns:list")))


def test_a_region_campaign_shows_the_outsider_only_their_league(tree, personas, region_campaign):
    client = client_for(personas["outsider"])
    page = text(client.get(reverse("campaigns:units", args=[region_campaign.pk])))
    assert "固阳县" in page and "武川县" not in page and "东土城" not in page
    assert (
        client.get(reverse("campaigns:unit_plan", args=[region_campaign.pk, tree.village.code])).status_code
        == 404
    )
    gantt = client.get(reverse("campaigns:gantt", args=[region_campaign.pk]))
    assert "包头市" in text(gantt) and "呼和浩特" not in text(gantt)
    assert (
        client.get(reverse("campaigns:gantt", args=[region_campaign.pk]) + "?unit=150100").status_code == 404
    )


def test_a_village_secretary_sees_their_village_dates(tree, personas, region_campaign):
    client = client_for(personas["village_secretary"])
    assert region_campaign.name in text(client.get(reverse("campaigns:list")))
    page = text(client.get(reverse("campaigns:units", args=[region_campaign.pk])))
    assert "东土城村" in page and "新华社区" not in page and "可可以力更镇" not in page
    detail = client.get(region_campaign.get_absolute_url())
    assert re.findall(r'data-level="(\d)"', text(detail)) == ["5"]
    plan = text(client.get(reverse("campaigns:unit_plan", args=[region_campaign.pk, tree.village.code])))
    assert "2014年2月9日～2014年9月30日" in plan and "召开党员大会，民主评议党员" in plan and "思想关" in plan
    assert (
        client.get(reverse("campaigns:unit_plan", args=[region_campaign.pk, tree.community.code])).status_code
        == 404
    )
    gantt = text(client.get(reverse("campaigns:gantt", args=[region_campaign.pk])))
    assert "东土城村" in gantt and "武川县" not in gantt.split('id="gantt-data"')[1]
    # The registry tab leads straight to the plan when there is one campaign.
    response = client.get(reverse("campaigns:unit_campaigns", args=[tree.village.code]))
    assert response.status_code == 302 and response["Location"].endswith(f"/u/{tree.village.code}/")


# ---------------------------------------------------------------------------------------------------------
# The Gantt
# ---------------------------------------------------------------------------------------------------------


def gantt_rows(client: Client, campaign: Campaign, query: str = "") -> list[tuple[str, str]]:
    import json

    response = client.get(reverse("campaigns:gantt", args=[campaign.pk]) + query)
    assert response.status_code == 200
    data = re.search(r'<script id="gantt-data" type="application/json">(.*?)</script>', text(response), re.S)
    assert data is not None
    return [(r["kind"], r["label"]) for r in json.loads(data.group(1))["rows"]]


def test_the_gantt_drills_from_the_region_to_a_village(tree, personas, region_campaign):
    client = client_for(personas["region_office"])
    rows = gantt_rows(client, region_campaign)
    assert [label for kind, label in rows if kind == "level"] == [
        "自治区",
        "盟市",
        "旗县市区",
        "苏木乡镇街道",
        "嘎查村社区",
    ]
    assert [label for kind, label in rows if kind == "group"] == ["呼和浩特市", "包头市"]
    assert [label for kind, label in rows if kind == "unit"] == ["内蒙古自治区"]
    rows = gantt_rows(client, region_campaign, "?unit=150100")
    assert [label for kind, label in rows if kind == "group"] == ["武川县"]
    rows = gantt_rows(client, region_campaign, "?unit=150125")
    assert [label for kind, label in rows if kind == "group"] == [
        "城关街道",
        "可可以力更镇",
    ]  # by start, code
    assert [label for kind, label in rows if kind == "unit"] == ["武川县", "武川县委组织部"]
    rows = gantt_rows(client, region_campaign, "?unit=150125100")
    assert [label for kind, label in rows if kind == "group"] == ["东土城村"]
    rows = gantt_rows(client, region_campaign, "?unit=150125100201")
    assert rows[-1] == ("unit", "东土城村")
    page = text(client.get(reverse("campaigns:gantt", args=[region_campaign.pk]) + "?unit=150125100201"))
    assert "echarts.min.js" in page and "campaigns/gantt.js" in page and "<script>" not in page
    assert (
        client.get(reverse("campaigns:gantt", args=[region_campaign.pk]) + "?unit=150125-O01").status_code
        == 404
    )


def test_the_gantt_pages_the_unit_bars(tree, personas, region_campaign, monkeypatch):
    from echelon.campaigns import selectors

    client = client_for(personas["region_office"])
    monkeypatch.setattr(selectors, "PER_PAGE", 1)
    monkeypatch.setattr("echelon.campaigns.views.selectors.PER_PAGE", 1)
    from echelon.campaigns import views

    original = selectors.gantt
    monkeypatch.setattr(views.selectors, "gantt", lambda *a, **k: original(*a, **{**k, "per_page": 1}))
    first = gantt_rows(client, region_campaign, "?unit=150125")
    second = gantt_rows(client, region_campaign, "?unit=150125&page=2")
    assert [r for r in first if r[0] == "unit"] == [("unit", "武川县")]
    assert [r for r in second if r[0] == "unit"] == [("unit", "武川县委组织部")]


# ---------------------------------------------------------------------------------------------------------
# A unit's plan: actuals, iCalendar, print
# ---------------------------------------------------------------------------------------------------------


def test_a_secretary_records_an_actual_start_on_the_page(tree, personas, region_campaign):
    client = client_for(personas["village_secretary"])
    url = reverse("campaigns:unit_actual", args=[region_campaign.pk, tree.village.code])
    response = client.post(url, {"phase": "prepare", "start": "2014-02-11", "end": "", "note": ""})
    assert response.status_code == 302
    actual = PhaseActual.objects.get()
    assert actual.start == date(2014, 2, 11) and actual.recorded_by == personas["village_secretary"]
    assert Participation.objects.get(unit=tree.village).start_delay == 2
    bad = client.post(url, {"phase": "summary", "start": "2014-03-01"})
    assert bad.status_code == 400 and "请先记录上一环节" in text(bad)
    other = reverse("campaigns:unit_actual", args=[region_campaign.pk, tree.community.code])
    assert client.post(other, {"phase": "prepare", "start": "2014-02-21"}).status_code == 404


def test_the_icalendar_feed(tree, personas, region_campaign):
    client = client_for(personas["village_secretary"])
    response = client.get(reverse("campaigns:unit_ical", args=[region_campaign.pk, tree.village.code]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode("utf-8")
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert body.count("BEGIN:VEVENT") == 7  # five phases, the mobilization and the democratic life meeting
    unfolded = body.replace("\r\n ", "")
    assert "DTSTART;VALUE=DATE:20140209" in unfolded
    assert "DTEND;VALUE=DATE:20141001" in unfolded  # exclusive end of the last phase (30 Sep)
    assert "SUMMARY:准备、动员部署（东土城村）" in unfolded
    assert (
        "SUMMARY:动员大会（东土城村）" in unfolded
        and "SUMMARY:专题民主（组织）生活会（东土城村）" in unfolded
    )
    assert f"UID:campaign-{region_campaign.pk}-unit-150125100201-phase-examine@" in unfolded
    assert "思想关、材料关、工作关" in unfolded
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_the_printable_schedule(tree, personas, region_campaign):
    response = client_for(personas["village_secretary"]).get(
        reverse("campaigns:unit_print", args=[region_campaign.pk, tree.village.code])
    )
    page = text(response)
    assert response.status_code == 200
    assert "campaigns/campaigns.css" in page and "campaigns/print.js" in page and "data-print" in page
    assert "2月9日～" in page and "总结评估" in page and "<script>" not in page


# ---------------------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------------------


def test_the_region_office_loads_and_edits_a_template(tree, personas):
    client = client_for(personas["region_office"])
    assert GENERIC in text(client.get(reverse("campaigns:templates")))
    client.post(reverse("campaigns:template_load"), {"name": GENERIC})
    template = CampaignTemplate.objects.get(key=GENERIC)
    url = reverse("campaigns:template_edit", args=[GENERIC])
    broken = template.text.replace("share: 40", "share: 45").replace("lead_days: 7", "lead_days: -7")
    broken = broken.replace("levels: [2, 3, 4]", "levels: [2, 3, 6]")
    response = client.post(url, {"text": broken})
    page = text(response)
    assert response.status_code == 400
    assert "环节占比之和必须为 100%，现为 105%。" in page
    assert "先行天数不能为负数（现为 -7）。" in page
    assert "未知的层级“6”" in page
    fixed = template.text.replace("name: Staged training roll-out", "name: Staged training roll-out (2015)")
    assert client.post(url, {"text": fixed}).status_code == 302
    template.refresh_from_db()
    assert template.name == "Staged training roll-out (2015)"
    assert "Staged training roll-out (2015)" in text(
        client.get(reverse("campaigns:template_detail", args=[GENERIC]))
    )


def test_only_the_region_office_edits_templates(tree, personas):
    services.template_load_builtin(actor=None, name=BUILTIN)
    for persona in ("league_office", "village_secretary"):
        client = client_for(personas[persona])
        assert client.get(reverse("campaigns:template_edit", args=[BUILTIN])).status_code == 403
        assert client.post(reverse("campaigns:template_load"), {"name": GENERIC}).status_code == 403
        assert client.get(reverse("campaigns:template_detail", args=[BUILTIN])).status_code == 200


# ---------------------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------------------


def test_the_api_flow(tree, personas):
    office = client_for(personas["county_office"])
    response = office.post(
        "/api/v1/campaigns/",
        {
            "template": BUILTIN,
            "root_code": "150125",
            "start": "2014-01-20",
            "end": "2014-09-30",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    result = office.post(
        f"/api/v1/campaigns/{pk}/schedule/", {"dry_run": False}, content_type="application/json"
    )
    assert result.status_code == 200 and result.json()["feasible"] is True
    what_if = office.post(
        f"/api/v1/campaigns/{pk}/what-if/",
        {"batch": "second", "changes": {"window_end": "2014-03-31"}},
        content_type="application/json",
    )
    assert what_if.json()["feasible"] is False
    assert {v["rule"] for v in what_if.json()["violations"]} >= {"min_duration"}
    assert (
        office.post(f"/api/v1/campaigns/{pk}/publish/", {}, content_type="application/json").status_code
        == 200
    )

    secretary = client_for(personas["village_secretary"])
    plan = secretary.get(f"/api/v1/campaigns/{pk}/plan/").json()
    assert plan["count"] == 1 and plan["results"][0]["unit_code"] == tree.village.code
    assert [p["key"] for p in plan["results"][0]["phases"]] == [
        "prepare",
        "study",
        "examine",
        "rectify",
        "summary",
    ]
    recorded = secretary.post(
        f"/api/v1/campaigns/{pk}/units/{tree.village.code}/actual/",
        {"phase": "prepare", "start": "2014-02-12"},
        content_type="application/json",
    )
    assert recorded.status_code == 200 and recorded.json()["start_delay"] == 3
    assert recorded.json()["current_phase"] == "prepare"
    progress = secretary.get(f"/api/v1/campaigns/{pk}/progress/").json()
    assert progress == [
        {
            "level": 5,
            "level_name": "嘎查村社区",
            "units": 1,
            "planned": 1,
            "started": 1,
            "late": 1,
            "median": 3.0,
            "worst": 3,
            "finished": 0,
            "overdue": 0,
        }
    ]
    exported = secretary.get(f"/api/v1/campaigns/{pk}/export/")
    csv_body = b"".join(exported.streaming_content).decode(  # type: ignore[attr-defined]
        "utf-8-sig"
    )
    assert (
        csv_body.splitlines()[0].startswith("unit_code,unit_name,level") and len(csv_body.splitlines()) == 6
    )
    assert (
        secretary.post(f"/api/v1/campaigns/{pk}/schedule/", {}, content_type="application/json").status_code
        == 403
    )
    outsider = client_for(personas["outsider"])
    assert outsider.get(f"/api/v1/campaigns/{pk}/").status_code == 404
    assert outsider.get("/api/v1/campaigns/").json()["count"] == 0
    assert AuditEvent.objects.filter(verb__startswith="campaign.").count() == 3  # create, schedule, publish
    assert AuditEvent.objects.filter(verb="phase_actual.record").count() == 1


def test_the_schema_describes_the_campaign_api(db, admin_user):
    schema = client_for(admin_user).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert (
        "/api/v1/campaigns/{id}/schedule/" in paths and "/api/v1/campaigns/{id}/units/{code}/actual/" in paths
    )
    assert "/api/v1/campaign-templates/" in paths


def test_the_template_pages_name_no_files_and_no_packages(tree, personas):
    client = client_for(personas["region_office"])
    listing = text(client.get(reverse("campaigns:templates")))
    assert "党的群众路线教育实践活动" in listing and "Staged training roll-out" in listing
    assert ".yaml" not in listing
    client.post(reverse("campaigns:template_load"), {"name": BUILTIN})
    listing = text(client.get(reverse("campaigns:templates")))
    assert ".yaml" not in listing and f'<code class="small">{BUILTIN}</code>' not in listing
    detail = text(client.get(reverse("campaigns:template_detail", args=[BUILTIN])))
    assert "春节假期（按国家法定节假日安排）" in detail
    assert "chinese-calendar" not in detail and "chinese_calendar" not in detail and ".yaml" not in detail
