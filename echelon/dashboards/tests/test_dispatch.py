"""Dispatch meetings (调度会): recording a meeting with its items and frozen figures, who may hold one, the
items done by their units and reopened by the office, concurrent decisions, the pages, the API, the to-do
list, and the dispatch report as Word and Excel."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from echelon.core.models import AuditEvent
from echelon.core.todo import sections
from echelon.dashboards import exports, figures, verbs
from echelon.dashboards.models import DispatchItem, DispatchMeeting, ItemStatus
from echelon.dashboards.services import dispatch as services
from echelon.dashboards.services.dispatch import AlreadyDecided, ItemData
from echelon.ledger import services as ledger
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

DAY = date(2014, 5, 10)


@pytest.fixture
def campaign(tree):
    return make_campaign(tree.region)


@pytest.fixture
def batch(campaign):
    return campaign.batches.get(key="second")


def record(actor, batch, unit, items=(), **extra):
    fields = {
        "title": "第二批活动第一环节调度会",
        "date": DAY,
        "place": "县委小会议室",
        "attendees": "县委常委、各乡镇党委书记",
        "findings": "部分村学习教育走过场，可可以力更镇进度滞后",
        "decisions": "本周内完成学习补课",
        **extra,
    }
    return services.meeting_record(actor=actor, batch=batch, unit=unit, items=list(items), **fields)


def item(unit, text="一周内完成学习补课", days=20):
    return ItemData(unit, text, DAY + timedelta(days=days))


@pytest.fixture
def meeting(tree, personas, batch):
    """The county office's meeting: one item for the township, one for the village."""
    return record(
        personas["county_office"],
        batch,
        tree.county,
        [item(tree.township, "督促各村补课"), item(tree.village, "召开专题组织生活会")],
    )


def village_item(meeting):
    return meeting.items.get(unit__code="150125100201")


def events(verb):
    return list(AuditEvent.objects.filter(verb=verb).values_list("actor__username", "unit_path"))


# --- recording a meeting ---------------------------------------------------------------------------------


def test_record_keeps_the_meeting_its_items_and_the_figures_shown(tree, personas, batch, meeting):
    assert (
        meeting.unit == tree.county
        and meeting.path == tree.county.path
        and meeting.level == tree.county.level
    )
    assert meeting.campaign == batch.campaign and meeting.date == DAY
    items = list(meeting.items.order_by("id"))
    assert [(i.unit, i.path, i.status) for i in items] == [
        (tree.township, tree.township.path, ItemStatus.OPEN),
        (tree.village, tree.village.path, ItemStatus.OPEN),
    ]
    frozen = meeting.figures
    assert frozen["batch"] == batch.pk and frozen["today"] == DAY.isoformat()
    board = figures.board(batch, tree.county, DAY)
    assert frozen["total"] == dict(board.total.values)
    names = [r["name"] for r in frozen["rows"]]
    assert names[0] == "武川县" and frozen["rows"][0]["own"] is True
    assert {"可可以力更镇", "城关街道"} <= set(names)
    township = next(r for r in frozen["rows"] if r["code"] == tree.township.code)
    assert township["values"]["units"] == 2  # the township and its village take part
    assert events(verbs.DISPATCH_RECORD) == [("county_office", tree.county.path)]


def test_an_item_outside_the_subtree_refuses_the_whole_meeting(tree, personas, batch):
    with pytest.raises(ValidationError) as exc:
        record(
            personas["county_office"], batch, tree.county, [item(tree.village), item(tree.sibling_village)]
        )
    assert "第 2 项事项" in exc.value.messages[0] and "金山村" in exc.value.messages[0]
    assert not DispatchMeeting.objects.exists() and not DispatchItem.objects.exists()
    assert events(verbs.DISPATCH_RECORD) == []


def test_an_item_above_the_meeting_unit_is_refused(tree, personas, batch):
    with pytest.raises(ValidationError, match="不在“可可以力更镇”的下级范围内"):
        record(personas["county_office"], batch, tree.township, [item(tree.county)])


@pytest.mark.parametrize(
    ("days", "message"),
    [(-1, "早于会议日期"), (367, "超过会议日期后一年"), (None, "请填写办结时限")],
)
def test_a_bad_deadline_is_refused_naming_the_row(tree, personas, batch, days, message):
    bad = ItemData(tree.village, "补课", None if days is None else DAY + timedelta(days=days))
    with pytest.raises(ValidationError) as exc:
        record(personas["county_office"], batch, tree.county, [item(tree.township), bad])
    assert "第 2 项事项" in exc.value.messages[0] and message in exc.value.messages[0]
    assert not DispatchMeeting.objects.exists()


def test_the_deadline_may_be_the_meeting_day_or_a_year_later(tree, personas, batch):
    meeting = record(
        personas["county_office"],
        batch,
        tree.county,
        [item(tree.village, days=0), item(tree.township, days=366)],
    )
    assert meeting.items.count() == 2


@pytest.mark.parametrize(
    ("day", "message"),
    [(date(2012, 12, 31), "不在活动的时间范围内"), (date.today() + timedelta(days=1), "晚于今天")],
)
def test_the_meeting_date_lies_in_the_campaign_and_not_after_today(tree, personas, batch, day, message):
    with pytest.raises(ValidationError, match=message):
        record(personas["county_office"], batch, tree.county, date=day)
    assert not DispatchMeeting.objects.exists()


def test_required_texts(tree, personas, batch):
    with pytest.raises(ValidationError, match="发现的问题"):
        record(personas["county_office"], batch, tree.county, findings="  ")
    with pytest.raises(ValidationError, match="第 1 项事项：请填写交办的事项"):
        record(personas["county_office"], batch, tree.county, [item(tree.village, text=" ")])


@pytest.mark.parametrize(
    ("who", "unit"),
    [
        ("county_operator", "county"),  # an operator records its unit's work, never holds a dispatch meeting
        ("county_supervisor", "county"),  # a supervisor checks, never dispatches
        ("liaison_leader", "county"),
        ("village_secretary", "village"),
        ("league_office", "sibling_league"),  # an office, outside its subtree
    ],
)
def test_only_an_office_at_the_unit_holds_a_meeting(tree, personas, batch, who, unit):
    with pytest.raises(PermissionDenied):
        record(personas[who], batch, getattr(tree, unit), [item(getattr(tree, unit))])
    assert not DispatchMeeting.objects.exists()
    assert events(verbs.DISPATCH_RECORD) == []


def test_an_office_above_may_hold_the_meeting_of_a_unit_below(tree, personas, batch):
    meeting = record(personas["league_office"], batch, tree.county, [item(tree.village)])
    assert meeting.unit == tree.county


# --- items: done, reopened, concurrent ---------------------------------------------------------------------


def test_the_assigned_unit_reports_its_item_done(tree, personas, meeting):
    row = village_item(meeting)
    done = services.item_done(actor=personas["village_secretary"], item=row, note="已召开，8 名党员参加")
    assert done.status == ItemStatus.DONE and done.done_by == personas["village_secretary"]
    assert done.done_note == "已召开，8 名党员参加" and done.done_at is not None
    assert events(verbs.DISPATCH_ITEM_DONE) == [("village_secretary", tree.village.path)]


@pytest.mark.parametrize("who", ["county_supervisor", "liaison_leader", "township_leader", "outsider"])
def test_who_may_not_change_the_unit_cannot_report_it_done(personas, meeting, who):
    row = village_item(meeting)
    with pytest.raises(PermissionDenied):
        services.item_done(actor=personas[who], item=row, note="已办")
    row.refresh_from_db()
    assert row.status == ItemStatus.OPEN and events(verbs.DISPATCH_ITEM_DONE) == []


def test_done_needs_a_note(personas, meeting):
    with pytest.raises(ValidationError, match="办理情况"):
        services.item_done(actor=personas["village_secretary"], item=village_item(meeting), note=" ")


def test_the_office_reopens_a_done_item_with_a_reason(tree, personas, meeting):
    row = village_item(meeting)
    services.item_done(actor=personas["village_secretary"], item=row, note="已召开")
    for who in ("village_secretary", "township_operator", "county_operator", "county_supervisor"):
        with pytest.raises(PermissionDenied):
            services.item_reopen(actor=personas[who], item=row, reason="材料不全")
    back = services.item_reopen(actor=personas["county_office"], item=row, reason="会议记录不全，请补充")
    assert back.status == ItemStatus.OPEN and back.done_at is None and back.done_by is None
    assert (back.reopen_note, back.reopened) == ("会议记录不全，请补充", 1)
    assert events(verbs.DISPATCH_ITEM_REOPEN) == [("county_office", tree.village.path)]
    again = services.item_done(actor=personas["village_secretary"], item=row, note="已补充会议记录")
    assert again.status == ItemStatus.DONE


def test_an_open_item_cannot_be_reopened(personas, meeting):
    with pytest.raises(AlreadyDecided, match="已被其他人处理"):
        services.item_reopen(actor=personas["county_office"], item=village_item(meeting), reason="再看看")


def test_of_two_concurrent_done_reports_one_wins(personas, meeting):
    """Both loaded the item while it was open; the second is told someone else handled it, and nothing of
    it is written."""
    mine, theirs = village_item(meeting), village_item(meeting)
    services.item_done(actor=personas["village_secretary"], item=mine, note="村里办结")
    with pytest.raises(AlreadyDecided) as exc:
        services.item_done(actor=personas["township_operator"], item=theirs, note="镇里代办")
    assert "已被其他人处理" in exc.value.messages[0]
    row = village_item(meeting)
    assert row.done_note == "村里办结" and row.done_by == personas["village_secretary"]
    assert len(events(verbs.DISPATCH_ITEM_DONE)) == 1


def test_of_a_concurrent_reopen_and_done_one_wins(personas, meeting):
    row = village_item(meeting)
    services.item_done(actor=personas["village_secretary"], item=row, note="办结")
    services.item_reopen(actor=personas["county_office"], item=row, reason="不合格")
    with pytest.raises(AlreadyDecided):  # the office's second click, on the page loaded before
        services.item_reopen(actor=personas["county_office"], item=row, reason="不合格")


# --- frozen figures ---------------------------------------------------------------------------------------


def test_the_frozen_figures_do_not_follow_later_changes(tree, personas, batch, meeting):
    before = dict(meeting.figures["total"])
    ledger.problem_create(
        actor=personas["village_secretary"],
        unit=tree.village,
        title="村务公开不及时",
        category="bureaucratism",
        source="public",
    )
    assert figures.totals(batch, tree.county, DAY)["problems"] == before["problems"] + 1
    meeting.refresh_from_db()
    assert meeting.figures["total"] == before
    page = _client(personas["county_office"]).get(reverse("dashboards:meeting", args=[meeting.pk]))
    assert page.status_code == 200
    frozen = page.content.decode().split('data-testid="frozen"')[1]
    assert "可可以力更镇" in frozen


# --- the pages -------------------------------------------------------------------------------------------


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _form(tree, batch, rows):
    data = {
        "batch": str(batch.pk),
        "title": "县级调度会",
        "date": DAY.isoformat(),
        "place": "县委",
        "attendees": "各乡镇书记",
        "findings": "城关街道进度滞后",
        "decisions": "",
        "items-TOTAL_FORMS": str(max(len(rows), 3)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50",
    }
    for n, (unit, code, text, deadline) in enumerate(rows):
        data.update(
            {
                f"items-{n}-unit": unit,
                f"items-{n}-code": code,
                f"items-{n}-text": text,
                f"items-{n}-deadline": deadline,
            }
        )
    return data


def test_the_new_meeting_page_records_through_the_service(tree, personas, batch):
    client = _client(personas["county_office"])
    url = reverse("dashboards:meeting_new", args=[tree.county.code])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert f'value="{tree.village.code}"' in body and f'value="{tree.sibling_village.code}"' not in body
    rows = [
        (tree.township.code, "", "督促补课", "2014-05-20"),
        ("", "", "", ""),  # an empty row is skipped
        ("", tree.village.code, "召开组织生活会", "2014-05-30"),  # by code
    ]
    response = client.post(url, _form(tree, batch, rows))
    meeting = DispatchMeeting.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "dashboards:meeting", args=[meeting.pk]
    )
    assert sorted(meeting.items.values_list("unit__code", "text")) == [
        (tree.township.code, "督促补课"),
        (tree.village.code, "召开组织生活会"),
    ]


def test_the_new_meeting_page_shows_the_refusal_and_writes_nothing(tree, personas, batch):
    client = _client(personas["county_office"])
    url = reverse("dashboards:meeting_new", args=[tree.county.code])
    response = client.post(url, _form(tree, batch, [("", tree.sibling_village.code, "越界", "2014-05-20")]))
    assert response.status_code == 200
    # The row's unit picker refuses a unit outside the office's scope on the row itself.
    assert f"找不到组织“{tree.sibling_village.code}”，或它不在您的查看范围内" in response.content.decode()
    response = client.post(url, _form(tree, batch, [(tree.village.code, "", "过期", "2014-05-01")]))
    assert "早于会议日期" in response.content.decode()
    assert not DispatchMeeting.objects.exists()


def test_the_new_meeting_page_is_for_offices(tree, personas, batch):
    url = reverse("dashboards:meeting_new", args=[tree.county.code])
    assert _client(personas["county_operator"]).get(url).status_code == 403
    assert _client(personas["county_supervisor"]).post(url, _form(tree, batch, [])).status_code == 403
    assert _client(personas["outsider"]).get(url).status_code == 404
    assert not DispatchMeeting.objects.exists()


def test_the_list_shows_the_callers_part(tree, personas, meeting, batch):
    other = record(personas["outsider"], batch, tree.sibling_league, [item(tree.sibling_village)])
    body = _client(personas["county_office"]).get(reverse("dashboards:meetings")).content.decode()
    assert meeting.title in body and reverse("dashboards:meeting", args=[other.pk]) not in body
    assert (
        _client(personas["outsider"]).get(reverse("dashboards:meeting", args=[meeting.pk])).status_code == 404
    )


def test_my_items_lists_the_assignees_items_overdue_first_and_done_from_there(tree, personas, meeting):
    secretary = _client(personas["village_secretary"])
    page = secretary.get(reverse("dashboards:items"))
    body = page.content.decode()
    assert "召开专题组织生活会" in body and "督促各村补课" not in body  # the township's is not the village's
    assert 'data-testid="overdue"' in body  # DAY + 20 days is long past
    assert reverse("dashboards:unit", args=[tree.village.code]) in body
    row = village_item(meeting)
    response = secretary.post(
        reverse("dashboards:item_done", args=[row.pk]), {"note": "已召开", "next": "items"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == ItemStatus.DONE
    # the county sees it done on the meeting, and may send it back from there
    office = _client(personas["county_office"])
    detail = office.get(reverse("dashboards:meeting", args=[meeting.pk])).content.decode()
    assert "已召开" in detail and reverse("dashboards:item_reopen", args=[row.pk]) in detail
    office.post(reverse("dashboards:item_reopen", args=[row.pk]), {"reason": "请补充记录", "next": "meeting"})
    row.refresh_from_db()
    assert row.status == ItemStatus.OPEN


def test_a_refused_done_is_403_and_a_second_done_is_told(personas, meeting):
    row = village_item(meeting)
    url = reverse("dashboards:item_done", args=[row.pk])
    assert _client(personas["county_supervisor"]).post(url, {"note": "x"}).status_code == 403
    assert _client(personas["outsider"]).post(url, {"note": "x"}).status_code == 404
    _client(personas["village_secretary"]).post(url, {"note": "办结"})
    response = _client(personas["township_operator"]).post(url, {"note": "代办"}, follow=True)
    assert "已被其他人处理" in response.content.decode()


def test_items_travel_up_two_levels(tree, personas, campaign, batch):
    """The region's meeting assigns an item to a county; the county office reports it done; the region sees
    it done on its meeting."""
    region = personas["region_office"]
    meeting = record(region, batch, tree.region, [item(tree.county, "全县补课")])
    county = _client(personas["county_office"])
    assert "全县补课" in county.get(reverse("dashboards:items")).content.decode()
    assert county.get(reverse("dashboards:meeting", args=[meeting.pk])).status_code == 404  # the region's
    row = meeting.items.get()
    county.post(reverse("dashboards:item_done", args=[row.pk]), {"note": "全县已补课"})
    detail = _client(region).get(reverse("dashboards:meeting", args=[meeting.pk])).content.decode()
    assert "全县已补课" in detail and 'data-status="done"' in detail


# --- the to-do list ---------------------------------------------------------------------------------------


def test_the_todo_lists_the_units_open_items_overdue_first(tree, personas, batch):
    record(
        personas["county_office"],
        batch,
        tree.county,
        [item(tree.village, "过期的事项", days=1), item(tree.village, "未到期的事项", days=365)],
    )
    # the 2014 campaign's deadlines are all past today: one is moved into the future
    DispatchItem.objects.filter(text="未到期的事项").update(deadline=date.today() + timedelta(days=30))
    todo = {s.key: s for s in sections(personas["village_secretary"])}
    dispatch_items = [i for s in todo.values() for i in s.items if "调度会" in str(i.title)]
    if not dispatch_items:  # the lead registers the provider in apps.py; call it directly until then
        from echelon.dashboards.todo import dispatch_items as provider

        dispatch_items = provider(personas["village_secretary"])
    tones = [(str(i.title), i.count, i.tone) for i in dispatch_items]
    assert tones[0] == ("逾期未办结的调度会交办事项", 1, "danger")
    assert ("待办理的调度会交办事项", 1, "warning") in tones
    from echelon.dashboards.todo import dispatch_items as provider

    assert provider(personas["township_operator"]) == []  # the village's items are not the township's
    office = [(str(i.title), i.count) for i in provider(personas["county_office"])]
    assert office == [("本单位调度会交办、已逾期的事项", 1)]


# --- the API ----------------------------------------------------------------------------------------------


def test_the_api_creates_lists_and_decides(tree, personas, batch):
    office = _client(personas["county_office"])
    payload = {
        "unit": tree.county.code,
        "batch": batch.pk,
        "title": "API 调度会",
        "date": DAY.isoformat(),
        "attendees": "各乡镇书记",
        "findings": "进度不一",
        "items": [{"unit": tree.village.code, "text": "补课", "deadline": "2014-06-01"}],
    }
    created = office.post("/api/v1/dispatch/meetings/", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["figures"]["total"]["units"] == 6 and body["items"][0]["unit_code"] == tree.village.code
    bad = {
        **payload,
        "items": [{"unit": tree.sibling_village.code, "text": "越界", "deadline": "2014-06-01"}],
    }
    refused = office.post("/api/v1/dispatch/meetings/", bad, content_type="application/json")
    assert refused.status_code == 400 and "第 1 项事项" in str(refused.json())
    operator = _client(personas["county_operator"])
    assert (
        operator.post("/api/v1/dispatch/meetings/", payload, content_type="application/json").status_code
        == 403
    )
    assert DispatchMeeting.objects.count() == 1

    secretary = _client(personas["village_secretary"])
    mine = secretary.get("/api/v1/dispatch/items/?mine=true&status=open").json()
    assert [r["text"] for r in mine["results"]] == ["补课"] and mine["results"][0]["overdue"] is True
    pk = mine["results"][0]["id"]
    done = secretary.post(
        f"/api/v1/dispatch/items/{pk}/done/", {"note": "已补课"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = secretary.post(
        f"/api/v1/dispatch/items/{pk}/done/", {"note": "再报"}, content_type="application/json"
    )
    assert again.status_code == 409 and "已被其他人处理" in str(again.json())
    reopen = f"/api/v1/dispatch/items/{pk}/reopen/"
    assert secretary.post(reopen, {"reason": "x"}, content_type="application/json").status_code == 403
    back = office.post(reopen, {"reason": "记录不全"}, content_type="application/json")
    assert back.status_code == 200 and back.json()["status"] == "open"
    assert _client(personas["outsider"]).get(f"/api/v1/dispatch/items/{pk}/").status_code == 404
    assert _client(personas["outsider"]).get("/api/v1/dispatch/meetings/").json()["results"] == []


# --- the dispatch report ----------------------------------------------------------------------------------


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_the_report_as_word_has_the_unit_the_figures_and_the_open_items(tree, personas, batch, meeting):
    client = _client(personas["county_office"])
    url = reverse("dashboards:report_docx", args=[tree.county.code])
    response = client.get(url, {"batch": batch.pk, "date": "2014-06-15"})
    assert response.status_code == 200 and response["Content-Type"].startswith(exports.DOCX)
    content = b"".join(response.streaming_content)
    text = _docx_text(content)
    assert "武川县教育实践活动领导小组办公室" in text and "2014年6月15日" in text
    assert "可可以力更镇" in text and "城关街道" in text and "合计" in text
    document = Document(io.BytesIO(content))
    total = [c.text for c in document.tables[0].rows[-1].cells]
    board = figures.board(batch, tree.county, date(2014, 6, 15))
    assert total[2] == str(board.total["units"]) == "6"
    assert "召开专题组织生活会" in text and "逾期未办结" in text  # the item, its deadline (May 30) past
    assert "当前环节逾期" in text


def test_the_report_as_excel_has_a_sheet_per_table(tree, personas, batch, meeting):
    client = _client(personas["county_office"])
    response = client.get(reverse("dashboards:report_xlsx", args=[tree.county.code]), {"date": "2014-05-15"})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["概况", "各单位", "调度事项"]
    overview = {row[0]: row[1] for row in wb["概况"].iter_rows(min_row=2, values_only=True)}
    assert overview["单位"] == "武川县" and overview["参与单位"] == 6 and overview["调度事项未办结"] == 2
    units = list(wb["各单位"].iter_rows(values_only=True))
    assert units[0][:3] == ("序号", "单位", "参与单位")
    assert [r[1] for r in units[1:]][:2] == ["武川县（本级）", "可可以力更镇"] and units[-1][1] == "合计"
    items = list(wb["调度事项"].iter_rows(values_only=True))
    assert {r[1] for r in items[1:]} == {"可可以力更镇", "东土城村"}


def test_the_report_lists_items_open_on_its_date(tree, personas, batch, meeting):
    services.item_done(actor=personas["village_secretary"], item=village_item(meeting), note="办结")
    DispatchItem.objects.filter(status=ItemStatus.DONE).update(done_at=datetime(2014, 6, 1, 10, tzinfo=UTC))
    report = exports.dispatch_report
    assert len(report(batch, tree.county, DAY).items) == 2  # done after that day: still open then
    assert len(report(batch, tree.county, date(2014, 5, 31)).items) == 2  # done the day after
    assert len(report(batch, tree.county, date(2014, 6, 1)).items) == 1  # done that day
    today = report(batch, tree.county, batch.window_end)
    assert [i.unit.code for i in today.items] == [tree.township.code]
    assert report(batch, tree.county, DAY - timedelta(days=1)).items == []  # not held yet


def test_a_report_date_outside_the_batch_is_a_400_in_chinese(tree, personas, batch):
    client = _client(personas["county_office"])
    url = reverse("dashboards:report_docx", args=[tree.county.code])
    response = client.get(url, {"date": "2015-01-01"})
    assert response.status_code == 400 and "不在“第二批”的时间范围内" in response.content.decode()
    response = client.get(url, {"date": "五月一日"})
    assert response.status_code == 400 and "格式不对" in response.content.decode()
    assert client.get(url).status_code == 200  # today, kept within the (past) window


def test_the_report_needs_export_on_the_unit(tree, personas, batch):
    url = reverse("dashboards:report_xlsx", args=[tree.county.code])
    assert _client(personas["liaison_leader"]).get(url).status_code == 403
    assert _client(personas["outsider"]).get(url).status_code == 404
    assert _client(personas["county_supervisor"]).get(url).status_code == 200  # a supervisor may export


# --- in a browser: items travel up two levels -------------------------------------------------------------

PASSWORD = "Dispatch-Pass-2014"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_regions_items_are_done_two_levels_down_and_seen_at_the_region(browser, live_server):
    """The region office records a meeting with an item for 武川县 (picked from the list) and one for 东土城村
    (typed by code); the county office and the village secretary (on a phone) report theirs done from
    their lists; the region sees both done on the meeting and sends one back. Screenshots:
    /tmp/dispatch_*.png."""
    import tempfile
    from pathlib import Path

    from echelon.accounts import services as account_services
    from echelon.conftest import PERSONAS, build_tree
    from echelon.testing.browser import login

    shots = Path(tempfile.gettempdir())
    tree = build_tree()
    for name in ("region_office", "county_office", "village_secretary"):
        attr, role = PERSONAS[name]
        user = account_services.user_create(actor=None, username=name, password=PASSWORD, display_name=name)
        account_services.grant_add(actor=None, user=user, unit=getattr(tree, attr), role=role)
    campaign = make_campaign(tree.region)
    second = campaign.batches.get(key="second")

    contexts = []

    def as_user(who, viewport=None):
        context = browser.new_context(locale="zh-CN", viewport=viewport or {"width": 1440, "height": 900})
        contexts.append(context)
        page = context.new_page()
        login(page, live_server, who, PASSWORD)
        page.wait_for_load_state()
        return page

    region = as_user("region_office")
    region.goto(f"{live_server.url}{reverse('dashboards:meeting_new', args=[tree.region.code])}")
    region.select_option("#meeting-batch", str(second.pk))
    region.fill("#id_title", "全区第二批活动调度会")
    region.fill("#id_date", "2014-05-10")
    region.fill("#id_attendees", "各盟市委组织部部长")
    region.fill("#id_findings", "武川县学习教育进度滞后")
    region.select_option("#id_items-0-unit", tree.county.code)
    region.fill("#id_items-0-text", "武川县一周内完成补课")
    region.fill("#id_items-0-deadline", "2014-05-20")
    region.fill("#id_items-1-code", tree.village.code)
    region.fill("#id_items-1-text", "东土城村召开专题组织生活会")
    region.fill("#id_items-1-deadline", "2014-05-30")
    region.screenshot(path=str(shots / "dispatch_new.png"), full_page=True)
    region.click("button[type=submit]:has-text('登记调度会')")
    region.wait_for_selector("[data-testid=meeting-title]")
    assert "可可以力更镇" not in region.inner_text("[data-testid=frozen]")  # the region's children only
    assert "呼和浩特市" in region.inner_text("[data-testid=frozen]")
    meeting_url = region.url

    county = as_user("county_office")
    county.goto(f"{live_server.url}{reverse('dashboards:items')}")
    row = county.locator("[data-testid=item]", has_text="武川县一周内完成补课")
    assert row.locator("[data-testid=overdue]").count() == 1
    assert county.locator("[data-testid=item]", has_text="东土城村").count() == 0  # the village's own
    row.locator("summary:has-text('报告办结')").click()
    row.locator("textarea[name=note]").fill("全县 6 个单位已完成补课")
    row.locator("button:has-text('办结')").click()
    county.wait_for_load_state()
    assert "已报告办结" in county.inner_text("body")

    village = as_user("village_secretary", {"width": 390, "height": 844})
    village.goto(f"{live_server.url}{reverse('dashboards:items')}")
    row = village.locator("[data-testid=item]", has_text="东土城村召开专题组织生活会")
    row.locator("summary:has-text('报告办结')").click()
    row.locator("textarea[name=note]").fill("5 月 28 日已召开，12 名党员参加")
    row.locator("button:has-text('办结')").click()
    village.wait_for_load_state()
    village.screenshot(path=str(shots / "dispatch_items_phone.png"), full_page=True)

    region.goto(meeting_url)
    items = region.locator("[data-testid=items] [data-testid=item]")
    assert [items.nth(i).get_attribute("data-status") for i in range(items.count())] == ["done", "done"]
    assert "12 名党员参加" in region.inner_text("[data-testid=items]")
    row = region.locator("[data-testid=item]", has_text="东土城村")
    row.locator("summary:has-text('退回重办')").click()
    row.locator("textarea[name=reason]").fill("请附会议记录")
    row.locator("button:has-text('退回')").click()
    region.wait_for_load_state()
    region.screenshot(path=str(shots / "dispatch_meeting.png"), full_page=True)
    assert DispatchItem.objects.get(unit=tree.village).status == ItemStatus.OPEN
    village.goto(f"{live_server.url}{reverse('dashboards:items')}")
    assert "请附会议记录" in village.inner_text("[data-testid=reopen-reason]")
    for context in contexts:
        context.close()
