"""Information reports (信息报送) travel up the tree: a township's report, approved by its head, is seen by
the county, whose own report compiles it (sources, practice pre-filled) and, approved, is seen by the
league: two levels up from the township. Drafts stay home. Refusals: the submitter approving, an operator
approving, a wrong period, a second draft for a period, an edit after approval, two heads at once. The
figures are the system's (``figures.totals``); the Word and Excel files open and hold the report."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from echelon.accounts import services as account_services
from echelon.core.errors import Conflict
from echelon.core.models import AuditEvent, Notification
from echelon.dashboards import exports, figures
from echelon.dashboards.models import InfoReport, ReportStatus
from echelon.dashboards.services import reports as svc
from echelon.dashboards.todo import report_items
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

JSON = "application/json"
MARCH = (date(2014, 3, 1), date(2014, 3, 31))
APRIL = (date(2014, 4, 1), date(2014, 4, 30))
NARRATIVE, PRACTICE = "全镇召开动员大会，开展集中学习。", "镇里推行“四议两公开”工作法。"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@dataclass
class World:
    tree: Any
    p: dict[str, Any]
    campaign: Any
    batch: Any
    township_office: Any

    def draft(self, who: str, unit: Any, period: tuple[date, date] = MARCH, **kw: Any) -> InfoReport:
        return svc.report_draft(
            actor=self.p[who], batch=self.batch, unit=unit, period_start=period[0], period_end=period[1], **kw
        )

    def write(
        self, who: str, report: InfoReport, narrative: str, practice: str = "", **kw: Any
    ) -> InfoReport:
        return svc.report_update(
            actor=self.p[who],
            report=report,
            narrative=narrative,
            practice=practice or report.practice,
            next_steps=kw.get("next_steps", "下一步继续抓好整改落实。"),
            title=kw.get("title", report.title),
            refresh_figures=kw.get("refresh", False),
        )

    def township_approved(self) -> InfoReport:
        """The township operator drafts, writes and submits; the township's office approves."""
        r = self.draft("township_operator", self.tree.township)
        r = self.write(
            "township_operator", r, "全镇召开动员大会，开展集中学习。", "镇里推行“四议两公开”工作法。"
        )
        svc.report_submit(actor=self.p["township_operator"], report=r)
        return svc.report_approve(actor=self.township_office, report=r)


@pytest.fixture
def world(tree, personas) -> World:
    campaign = make_campaign(tree.region)
    office = account_services.user_create(
        actor=None, username="township_office", password=None, display_name="镇党委办公室"
    )
    account_services.grant_add(actor=None, user=office, unit=tree.township, role="office")
    personas["township_office"] = office
    return World(tree, personas, campaign, campaign.batches.get(key="second"), office)


def content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def seen(user: Any) -> set[int]:
    return set(svc.visible(user).values_list("pk", flat=True))


# --- the journey: up two levels -------------------------------------------------------------------------


def test_a_township_report_travels_up_two_levels_through_the_pages(world: World):
    tree, p = world.tree, world.p
    township = world.township_approved()
    assert township.status == ReportStatus.APPROVED and township.approved_by == world.township_office

    # the county drafts on its page: its draft compiles the township's approved report
    county_office = client_for(p["county_office"])
    new = reverse("dashboards:info_new", args=[tree.county.code])
    assert county_office.get(new).status_code == 200
    r = county_office.post(
        new,
        {"batch": world.batch.pk, "period_start": "2014-03-01", "period_end": "2014-03-31", "title": ""},
    )
    assert r.status_code == 302
    county = InfoReport.objects.get(unit=tree.county)
    assert county.number == 1 and county.title == "武川县党的群众路线教育实践活动信息第1期"
    assert list(county.sources.all()) == [township]
    assert county.practice == "【可可以力更镇】镇里推行“四议两公开”工作法。"
    edit = county_office.get(reverse("dashboards:info_edit", args=[county.pk])).content.decode()
    assert "全镇召开动员大会" in edit  # the township's narrative offered to compile from

    # the county writes its narrative and submits; the league's office approves it (the county's office
    # drafted it: it may not approve its own)
    r = county_office.post(
        reverse("dashboards:info_edit", args=[county.pk]),
        {
            "title": county.title,
            "narrative": "全县各乡镇召开动员大会，集中学习。",
            "practice": county.practice,
            "next_steps": "抓好查摆问题。",
        },
    )
    assert r.status_code == 302
    assert county_office.post(reverse("dashboards:info_submit", args=[county.pk])).status_code == 302
    county.refresh_from_db()
    assert county.status == ReportStatus.SUBMITTED
    assert svc.approver_error(p["county_office"], county)  # the drafter and submitter
    league = client_for(p["league_office"])
    assert league.post(reverse("dashboards:info_approve", args=[county.pk])).status_code == 302
    county.refresh_from_db()
    assert county.status == ReportStatus.APPROVED and county.approved_by == p["league_office"]

    # the league sees the county's report (and, through it, the township's): two levels up
    page = league.get(reverse("dashboards:info_unit_reports", args=[tree.league.code])).content.decode()
    assert county.title in page and township.title in page
    detail = league.get(reverse("dashboards:info_report", args=[county.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert reverse("dashboards:info_report", args=[township.pk]) in body  # the source, linked
    assert "全县各乡镇召开动员大会" in body and "参与单位" in body and "全部环节通过" in body
    assert league.get(reverse("dashboards:info_report", args=[township.pk])).status_code == 200
    # the township's report says which report compiled it, to who sees that one (not the township)
    used = league.get(reverse("dashboards:info_report", args=[township.pk])).content.decode()
    assert reverse("dashboards:info_report", args=[county.pk]) in used
    home = client_for(world.township_office).get(reverse("dashboards:info_report", args=[township.pk]))
    assert reverse("dashboards:info_report", args=[county.pk]) not in home.content.decode()
    # the region too; a sibling league not at all
    assert {county.pk, township.pk} <= seen(p["region_office"])
    assert seen(p["outsider"]) == set()
    assert (
        client_for(p["outsider"]).get(reverse("dashboards:info_report", args=[county.pk])).status_code == 404
    )


def test_drafts_stay_home(world: World):
    p, tree = world.p, world.tree
    draft = world.draft("township_operator", tree.township)
    # home: the township's own people, in any state
    assert draft.pk in seen(p["township_operator"]) and draft.pk in seen(world.township_office)
    assert draft.pk in seen(p["township_leader"])
    # above: nobody sees a draft
    for who in ("county_office", "county_supervisor", "league_office", "region_office", "liaison_leader"):
        assert draft.pk not in seen(p[who]), who
    c = client_for(p["county_office"])
    assert c.get(reverse("dashboards:info_report", args=[draft.pk])).status_code == 404
    assert c.get(f"/api/v1/info-reports/{draft.pk}/").status_code == 404
    assert draft.title not in c.get(reverse("dashboards:info_reports")).content.decode()
    # submitted: the offices that may approve it see it; who only looks on does not
    world.write("township_operator", draft, "已开展学习。")
    svc.report_submit(actor=p["township_operator"], report=draft)
    assert draft.pk in seen(p["county_office"])
    for who in ("county_supervisor", "liaison_leader", "county_operator"):
        assert draft.pk not in seen(p[who]), who
    svc.report_approve(actor=world.township_office, report=draft)
    for who in ("county_supervisor", "liaison_leader", "county_operator", "league_office"):
        assert draft.pk in seen(p[who]), who
    assert draft.pk not in seen(p["village_secretary"])  # below: not theirs


def test_figures_are_the_systems_and_refresh(world: World):
    tree = world.tree
    r = world.draft("township_operator", tree.township, APRIL)
    assert r.figures["total"] == figures.totals(world.batch, tree.township, APRIL[1])
    assert r.figures["as_of"] == "2014-04-30" and r.figures["batch"] == world.batch.pk
    rows = {row["code"]: row for row in r.figures["rows"]}
    assert rows[tree.township.code]["own"] and not rows[tree.village.code]["own"]
    board = figures.board(world.batch, tree.township, APRIL[1])
    assert rows[tree.village.code]["values"] == dict(board.rows[-1].values)
    assert r.figures["total"]["units"] == 2  # the township and its village, from the registry
    # the table shows labels, never keys
    table = svc.figure_table(r)
    labels = [label for _k, label in table["measures"]]
    assert "参与单位" in labels and "units" not in labels
    # a refresh reads them again and attaches a child's report approved since
    county = world.draft("county_office", tree.county)
    assert list(county.sources.all()) == []
    township = world.township_approved()
    county = world.write("county_office", county, "全县推进。", refresh=True)
    assert list(county.sources.all()) == [township]
    assert county.figures["total"] == figures.totals(world.batch, tree.county, MARCH[1])
    event = AuditEvent.objects.filter(verb="report.update", object_id=str(county.pk)).latest("pk")
    assert event.after["added"] == [township.pk] and event.after["refreshed"] is True


def test_numbers_run_per_unit(world: World):
    tree = world.tree
    first = world.draft("township_operator", tree.township, MARCH)
    second = world.draft("township_operator", tree.township, APRIL, title="镇里的四月工作")
    county = world.draft("county_office", tree.county, MARCH)
    assert (first.number, second.number, county.number) == (1, 2, 1)
    assert second.title == "镇里的四月工作"
    assert AuditEvent.objects.filter(verb="report.draft").count() == 3


# --- refusals ---------------------------------------------------------------------------------------------


def test_the_submitter_never_approves_and_an_operator_cannot(world: World):
    p, tree = world.p, world.tree
    r = world.draft("township_operator", tree.township)
    world.write("township_operator", r, "学习。")
    svc.report_submit(actor=p["township_operator"], report=r)
    for who in ("township_operator", "county_operator", "county_supervisor", "township_leader"):
        with pytest.raises(PermissionDenied):
            svc.report_approve(actor=p[who], report=r)
    # an office that submitted (someone else drafted) may not approve either
    svc.report_return(actor=world.township_office, report=r, note="请补充数据说明")
    svc.report_submit(actor=world.township_office, report=r)
    with pytest.raises(PermissionDenied, match="提交审核的人不能审核"):
        svc.report_approve(actor=world.township_office, report=r)
    # nor the office that drafted it, whoever submitted
    mine = world.draft("county_office", tree.county)
    world.write("county_office", mine, "全县推进。")
    svc.report_submit(actor=p["county_operator"], report=mine)
    with pytest.raises(PermissionDenied, match="起草人不能审核"):
        svc.report_approve(actor=p["county_office"], report=mine)
    r.refresh_from_db()
    mine.refresh_from_db()
    assert r.status == mine.status == ReportStatus.SUBMITTED
    assert not AuditEvent.objects.filter(verb="report.approve").exists()
    # the page says the same: 403, nothing written
    c = client_for(p["township_operator"])
    assert c.post(reverse("dashboards:info_approve", args=[r.pk])).status_code == 403
    assert svc.report_approve(actor=p["county_office"], report=r).status == ReportStatus.APPROVED


def test_a_wrong_period_is_refused(world: World):
    tree = world.tree
    today = timezone.localdate()
    cases = [
        ((date(2014, 3, 31), date(2014, 3, 1)), "截止日期不能早于起始日期"),
        ((date(2014, 1, 1), date(2014, 1, 31)), "活动期间"),
        ((date(2014, 9, 1), date(2014, 10, 31)), "活动期间"),
        ((today, today + timedelta(days=1)), "不能晚于今天"),
        ((None, date(2014, 3, 31)), "请填写报告期"),
    ]
    for period, message in cases:
        with pytest.raises(ValidationError, match=message):
            world.draft("township_operator", tree.township, period)  # type: ignore[arg-type]
    assert not InfoReport.objects.exists()


def test_one_draft_per_unit_and_period(world: World):
    tree = world.tree
    first = world.draft("township_operator", tree.township)
    with pytest.raises(ValidationError, match="已有一份未报送的信息（第1期）"):
        world.draft("township_office", tree.township)
    # once approved, the period may be reported again (a correction); other units are not affected
    world.write("township_operator", first, "学习。")
    svc.report_submit(actor=world.p["township_operator"], report=first)
    with pytest.raises(ValidationError, match="未报送"):
        world.draft("township_operator", tree.township)
    svc.report_approve(actor=world.township_office, report=first)
    assert world.draft("township_operator", tree.township).number == 2
    assert world.draft("county_office", tree.county).number == 1


def test_edits_only_while_draft(world: World):
    p, tree = world.p, world.tree
    r = world.township_approved()
    with pytest.raises(ValidationError, match="已审核报送，不能再修改"):
        world.write("township_operator", r, "改一改。")
    with pytest.raises(ValidationError):
        svc.report_submit(actor=p["township_operator"], report=r)
    c = client_for(p["township_operator"])
    page = c.post(
        reverse("dashboards:info_edit", args=[r.pk]),
        {"title": "改", "narrative": "改", "practice": "", "next_steps": ""},
    )
    assert page.status_code == 400 and "已审核报送" in page.content.decode()
    r.refresh_from_db()
    assert r.narrative == "全镇召开动员大会，开展集中学习。"
    # while submitted: wait for the head
    s = world.draft("township_operator", tree.township, APRIL)
    world.write("township_operator", s, "学习。")
    svc.report_submit(actor=p["township_operator"], report=s)
    with pytest.raises(ValidationError, match="等待审核"):
        world.write("township_operator", s, "再改。")
    # who may not change the unit may not edit, nor draft
    d = world.draft("township_operator", tree.township, (date(2014, 5, 1), date(2014, 5, 31)))
    with pytest.raises(PermissionDenied):
        world.write("township_leader", d, "改。")
    with pytest.raises(PermissionDenied):
        world.draft("county_supervisor", tree.county)


def test_submit_needs_a_narrative(world: World):
    r = world.draft("township_operator", world.tree.township)
    with pytest.raises(ValidationError, match="工作进展"):
        svc.report_submit(actor=world.p["township_operator"], report=r)
    r.refresh_from_db()
    assert r.status == ReportStatus.DRAFT


def test_two_heads_at_once_one_wins(world: World):
    p, tree = world.p, world.tree
    r = world.draft("township_operator", tree.township)
    world.write("township_operator", r, "学习。")
    svc.report_submit(actor=p["township_operator"], report=r)
    stale = InfoReport.objects.get(pk=r.pk)
    svc.report_approve(actor=world.township_office, report=r)
    with pytest.raises(Conflict, match="已被其他人处理"):
        svc.report_approve(actor=p["county_office"], report=stale)
    with pytest.raises(Conflict, match="已被其他人处理"):
        svc.report_return(actor=p["county_office"], report=stale, note="退回")
    assert AuditEvent.objects.filter(verb="report.approve").count() == 1
    # the API answers 409
    api = client_for(p["county_office"]).post(f"/api/v1/info-reports/{r.pk}/approve/")
    assert api.status_code == 409 and "已被其他人处理" in api.json()["detail"][0]


def test_return_goes_back_to_draft_with_a_note_and_notices(world: World):
    p, tree = world.p, world.tree
    r = world.draft("township_operator", tree.township)
    world.write("township_operator", r, "学习。")
    svc.report_submit(actor=p["township_operator"], report=r)
    # the head of the township is told, not the submitter
    told = Notification.objects.filter(target_id=str(r.pk))
    assert set(told.values_list("user_id", flat=True)) == {world.township_office.pk}
    with pytest.raises(ValidationError, match="退回须写明意见"):
        svc.report_return(actor=world.township_office, report=r, note="  ")
    svc.report_return(actor=world.township_office, report=r, note="请补充典型做法")
    r.refresh_from_db()
    assert r.status == ReportStatus.DRAFT and r.return_note == "请补充典型做法"
    note = Notification.objects.get(user=p["township_operator"], target_id=str(r.pk))
    assert "请补充典型做法" in note.text and note.kind == "returned"
    # the drafter's to-do: the returned draft; the head's: nothing waiting any more
    todo = {i.title: i for i in report_items(p["township_operator"])}
    assert todo["被退回、待修改的信息"].count == 1 and todo["被退回、待修改的信息"].detail == r.title
    assert report_items(world.township_office) == []
    svc.report_submit(actor=p["township_operator"], report=r)
    todo = {i.title: i for i in report_items(world.township_office)}
    assert todo["待您审核报送的信息"].count == 1 and report_items(p["township_operator"]) == []
    # the office above approves for units below without an office of their own: one level down only
    assert [i.count for i in report_items(p["county_office"])] == [1]
    assert report_items(p["league_office"]) == []
    svc.report_approve(actor=world.township_office, report=r)
    assert Notification.objects.filter(user=p["township_operator"], target_id=str(r.pk)).count() == 2


# --- exports ----------------------------------------------------------------------------------------------


def test_word_in_the_official_layout(world: World):
    township = world.township_approved()
    c = client_for(world.p["county_office"])
    r = c.get(reverse("dashboards:info_docx", args=[township.pk]))
    assert r.status_code == 200 and r["Content-Type"] == exports.DOCX
    doc = Document(io.BytesIO(content(r)))
    texts = [para.text for para in doc.paragraphs]
    assert texts[0] == "可可以力更镇党的群众路线教育实践活动领导小组办公室"
    assert texts[1] == "第1期"
    assert township.title in texts
    for heading in ("一、工作进展", "二、典型做法", "三、下步打算"):
        assert heading in texts
    assert "全镇召开动员大会，开展集中学习。" in texts and "镇里推行“四议两公开”工作法。" in texts
    assert "报送：武川县党的群众路线教育实践活动领导小组办公室" in texts
    assert any(t.startswith("抄送：") for t in texts)
    # the masthead is red; the body's runs name their East Asian face (nothing embedded)
    first = doc.paragraphs[0].runs[0]
    assert str(first.font.color.rgb) == "E60012"
    body = doc.paragraphs[texts.index("全镇召开动员大会，开展集中学习。")].runs[0]
    assert body._element.rPr.find(f"{W}rFonts").get(f"{W}eastAsia") == "仿宋_GB2312"
    # the red line under the date, where the schema puts it (Word refuses elements out of order)
    dated = doc.paragraphs[2]._p.pPr
    tags = [child.tag.removeprefix(W) for child in dated]
    assert tags.index("pBdr") < tags.index("spacing") < tags.index("jc")
    assert dated.find(f"{W}pBdr/{W}bottom").get(f"{W}color") == "E60012"
    cells = [cell.text for row in doc.tables[0].rows for cell in row.cells]
    assert "参与单位" in cells and "东土城村" in cells and "合计" in cells and "units" not in cells


def test_excel_holds_the_figures_and_the_text(world: World):
    township = world.township_approved()
    c = client_for(world.p["county_supervisor"])  # a supervisor may export (ADR 11)
    r = c.get(reverse("dashboards:info_xlsx", args=[township.pk]))
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(content(r)))
    text = {row[0]: row[1] for row in wb["信息"].iter_rows(min_row=2, values_only=True)}
    assert text["标题"] == township.title and text["一、工作进展"] == "全镇召开动员大会，开展集中学习。"
    data = list(wb["数据"].iter_rows(values_only=True))
    assert data[0][:3] == ("单位", "组织代码", "参与单位")
    assert data[-1][0] == "合计" and data[-1][2] == township.figures["total"]["units"]
    # a leader reads the report, does not export it; an outsider does not see it at all
    leader = client_for(world.p["liaison_leader"])
    assert leader.get(reverse("dashboards:info_report", args=[township.pk])).status_code == 200
    assert leader.get(reverse("dashboards:info_xlsx", args=[township.pk])).status_code == 403
    outsider = client_for(world.p["outsider"])
    assert outsider.get(reverse("dashboards:info_docx", args=[township.pk])).status_code == 404


# --- the API ----------------------------------------------------------------------------------------------


def test_the_api_drafts_submits_approves_and_lists(world: World):
    p, tree = world.p, world.tree
    township = world.township_approved()
    county = client_for(p["county_office"])
    r = county.post(
        "/api/v1/info-reports/",
        {"unit": tree.county.code, "period_start": "2014-03-01", "period_end": "2014-03-31"},
        content_type=JSON,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "draft" and body["number"] == 1
    assert [s["id"] for s in body["sources"]] == [township.pk]
    assert body["figures"]["total"] == figures.totals(world.batch, tree.county, MARCH[1])
    assert {"key": "units", "label": "参与单位"} in body["measures"]
    pk = body["id"]
    bad = county.post(
        "/api/v1/info-reports/",
        {"unit": tree.county.code, "period_start": "2014-03-31", "period_end": "2014-03-01"},
        content_type=JSON,
    )
    assert bad.status_code == 400 and "截止日期不能早于起始日期" in bad.json()["detail"][0]
    early = county.post(f"/api/v1/info-reports/{pk}/submit/")
    assert early.status_code == 400 and "工作进展" in str(early.json())
    r = county.patch(f"/api/v1/info-reports/{pk}/", {"narrative": "全县推进。"}, content_type=JSON)
    assert r.status_code == 200 and r.json()["narrative"] == "全县推进。"
    assert r.json()["practice"].startswith("【可可以力更镇】")  # left as it was
    assert county.post(f"/api/v1/info-reports/{pk}/submit/").json()["status"] == "submitted"
    assert county.post(f"/api/v1/info-reports/{pk}/approve/").status_code == 403  # the drafter
    league = client_for(p["league_office"])
    assert league.post(f"/api/v1/info-reports/{pk}/return/", {}, content_type=JSON).status_code == 400
    returned = league.post(
        f"/api/v1/info-reports/{pk}/return/", {"note": "请补充数据说明"}, content_type=JSON
    )
    assert returned.status_code == 200 and returned.json()["status"] == "draft"
    assert league.get(f"/api/v1/info-reports/{pk}/").status_code == 404  # back home
    county.post(f"/api/v1/info-reports/{pk}/submit/")
    assert league.post(f"/api/v1/info-reports/{pk}/approve/").json()["status"] == "approved"
    listed = league.get("/api/v1/info-reports/?status=approved").json()
    assert {row["id"] for row in listed["results"]} == {pk, township.pk}
    under = league.get(f"/api/v1/info-reports/?unit={tree.township.code}").json()
    assert [row["id"] for row in under["results"]] == [township.pk]
    assert client_for(p["outsider"]).get("/api/v1/info-reports/").json()["results"] == []
    after = county.patch(f"/api/v1/info-reports/{pk}/", {"narrative": "改"}, content_type=JSON)
    assert after.status_code == 400 and "不能再修改" in str(after.json())


def test_pages_for_the_lists(world: World):
    p, tree = world.p, world.tree
    township = world.township_approved()
    waiting = world.draft("township_operator", tree.township, APRIL)
    world.write("township_operator", waiting, "四月学习。")
    svc.report_submit(actor=p["township_operator"], report=waiting)
    c = client_for(p["county_office"])
    page = c.get(reverse("dashboards:info_reports")).content.decode()
    assert township.title in page  # approved below
    assert 'data-testid="reports-waiting"' in page and waiting.title in page  # waiting for the county
    assert 'data-testid="report-new"' in page
    supervisor = client_for(p["county_supervisor"]).get(reverse("dashboards:info_reports")).content.decode()
    assert township.title in supervisor and waiting.title not in supervisor
    assert 'data-testid="report-new"' not in supervisor
    assert (
        client_for(p["county_supervisor"])
        .get(reverse("dashboards:info_new", args=[tree.county.code]))
        .status_code
        == 403
    )
    filtered = c.get(reverse("dashboards:info_reports") + "?level=5").content.decode()
    assert township.title not in filtered


# --- in a real browser: up two levels ---------------------------------------------------------------------

PASSWORD = "Report-Pass-2014"
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _browser_page(browser: Any, live_server: Any, who: str, viewport: dict[str, int] = DESK) -> Any:
    from echelon.testing.browser import login

    context = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    login(page, live_server, who, PASSWORD)
    page.wait_for_load_state()
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_township_report_reaches_the_league(browser, live_server):
    """The township's operator drafts and submits, its office approves; the county office drafts its own,
    which compiles the township's, and submits; the league office approves it and sees both. Screenshots
    go to /tmp/reports_*.png."""
    import tempfile
    from pathlib import Path

    from echelon.conftest import build_tree

    shots = Path(tempfile.gettempdir())
    tree = build_tree()
    people = {
        "township_operator": (tree.township, "operator"),
        "township_office": (tree.township, "office"),
        "county_office": (tree.county, "office"),
        "league_office": (tree.league, "office"),
    }
    for name, (unit, role) in people.items():
        user = account_services.user_create(actor=None, username=name, password=PASSWORD, display_name=name)
        account_services.grant_add(actor=None, user=user, unit=unit, role=role)
    make_campaign(tree.region)
    base = live_server.url

    # the township's operator drafts March's report: the figures come from the system
    township = _browser_page(browser, live_server, "township_operator")
    township.goto(f"{base}/dashboard/reports/")
    township.click("[data-testid=report-new]")
    township.fill("input[name=period_start]", "2014-03-01")
    township.fill("input[name=period_end]", "2014-03-31")
    township.click("[data-testid=report-draft]")
    township.fill("textarea[name=narrative]", NARRATIVE)
    township.fill("textarea[name=practice]", PRACTICE)
    township.click("[data-testid=report-save]")
    township.wait_for_selector("[data-testid=report-figures]")
    township.click("[data-testid=report-submit]")
    township.wait_for_selector("[data-testid=report-status]:has-text('待审核')")
    report = InfoReport.objects.get(unit=tree.township)

    # its office approves it: it goes up
    office = _browser_page(browser, live_server, "township_office")
    office.goto(f"{base}/dashboard/reports/")
    office.click(f"[data-testid=reports-waiting] a:has-text('{report.title}')")
    office.click("[data-testid=report-approve]")
    office.wait_for_selector("[data-testid=report-status]:has-text('已报送')")

    # the county office sees it and drafts its own: the township's practice is in it already
    county = _browser_page(browser, live_server, "county_office")
    county.goto(f"{base}/dashboard/reports/")
    assert report.title in county.inner_text("[data-testid=reports-below]")
    county.click("[data-testid=report-new]")
    county.fill("input[name=period_start]", "2014-03-01")
    county.fill("input[name=period_end]", "2014-03-31")
    county.click("[data-testid=report-draft]")
    assert "【可可以力更镇】" in county.input_value("textarea[name=practice]")
    county.fill("textarea[name=narrative]", "全县各乡镇召开动员大会，集中学习。")
    county.click("[data-testid=report-save]")
    county.wait_for_selector("[data-testid=report-sources]")
    assert "可可以力更镇" in county.inner_text("[data-testid=report-sources]")
    county.screenshot(path=str(shots / "reports_detail_desk.png"), full_page=True)
    county.click("[data-testid=report-submit]")
    county.wait_for_selector("[data-testid=report-status]:has-text('待审核')")
    assert county.locator("[data-testid=report-approve]").count() == 0  # not its own

    # the league office approves the county's report and reads both: two levels up from the township
    league = _browser_page(browser, live_server, "league_office")
    league.goto(f"{base}/dashboard/reports/")
    county_report = InfoReport.objects.get(unit=tree.county)
    league.click(f"[data-testid=reports-waiting] a:has-text('{county_report.title}')")
    league.click("[data-testid=report-approve]")
    league.wait_for_selector("[data-testid=report-status]:has-text('已报送')")
    league.goto(f"{base}/dashboard/reports/")
    below = league.inner_text("[data-testid=reports-below]")
    assert county_report.title in below and report.title in below
    league.screenshot(path=str(shots / "reports_list_desk.png"), full_page=True)
    league.click(f"[data-testid=reports-below] a:has-text('{county_report.title}')")
    league.click("[data-testid=report-sources] a:has-text('可可以力更镇')")
    league.wait_for_selector(f"[data-testid=report-title]:has-text('{report.title}')")
    with league.expect_download() as download:
        league.click("[data-testid=report-docx]")
    doc = Document(download.value.path())
    assert report.title in [p.text for p in doc.paragraphs]
    phone = _browser_page(browser, live_server, "league_office", PHONE)
    phone.goto(f"{base}/dashboard/reports/{county_report.pk}/")
    phone.screenshot(path=str(shots / "reports_detail_phone.png"), full_page=True)
