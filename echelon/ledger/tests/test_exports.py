"""The ledgers people print: the unit ledger and the rolled-up ledger as Excel and Word, the filtered
problem list (a big one as a background job), scoped to the caller."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.enum.section import WD_ORIENT
from openpyxl import load_workbook

from echelon.core import jobs
from echelon.core.models import Job
from echelon.ledger import exports, services
from echelon.ledger.models import Problem
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

HEADER = [
    "序号",
    "单位",
    "问题（具体表现）",
    "类别",
    "来源",
    "专项整治事项",
    "整改措施",
    "责任人",
    "完成时限",
    "完成情况",
    "状态",
    "销号日期",
]


@pytest.fixture
def ledger(tree, personas, settings, tmp_path):
    """The village: a problem with two tasks (one ticked off by the county, one overdue), a problem without
    tasks; the township: a problem of its own, and one the village raised and escalated to it."""
    settings.MEDIA_ROOT = tmp_path
    make_campaign(tree.region)
    secretary, county = personas["village_secretary"], personas["county_office"]
    low = services.problem_create(
        actor=secretary,
        unit=tree.village,
        title="低保评定不公开。",
        description="群众反映评定过程不透明；",
        category="bureaucratism",
        source="public",
        item="policies_shrunk",
        owner="李书记",
    )
    done = services.task_add(
        actor=secretary,
        problem=low,
        measure="低保名单张榜公示",
        responsible="李书记",
        deadline=date(2014, 6, 30),
    )
    services.task_claim(actor=secretary, task=done, note="已在村务公开栏张榜。")
    services.task_decide(actor=county, task=done, decision="accept", note="核实属实。")
    services.task_add(
        actor=secretary, problem=low, measure="建立评议制度", responsible="王委员", deadline=date(2014, 7, 31)
    )
    services.problem_create(
        actor=secretary,
        unit=tree.village,
        title="会议太多",
        category="formalism",
        source="self",
        owner="张主任",
    )
    services.problem_create(
        actor=personas["township_operator"],
        unit=tree.township,
        title="办事窗口中午不开门",
        category="bureaucratism",
        source="public",
        item="hard_to_do",
    )
    road = services.problem_create(
        actor=secretary, unit=tree.village, title="村道年久失修", category="formalism", source="public"
    )
    up = services.problem_escalate(
        actor=secretary, problem=road, to_unit=tree.township, reason="需要镇里统筹资金"
    )
    services.escalation_decide(actor=personas["township_operator"], escalation=up, accept=True)
    return tree


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def content_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def sheet_rows(response) -> list[list]:
    wb = load_workbook(io.BytesIO(content_of(response)))
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def test_the_unit_ledger_as_excel(ledger, personas):
    response = client_for(personas["county_office"]).get(
        reverse("ledger:export_unit", args=[ledger.village.code, "xlsx"])
    )
    assert response.status_code == 200 and response["Content-Type"] == exports.XLSX
    assert "attachment" in response["Content-Disposition"]
    rows = sheet_rows(response)
    assert rows[0] == HEADER
    body = rows[1:]
    assert len(body) == 4  # two task rows, a problem without tasks, the escalated one
    first = body[0]
    assert first[:6] == [
        1,
        "东土城村",
        "低保评定不公开：群众反映评定过程不透明；",
        "官僚主义",
        "群众提",
        "惠民政策落实中“缩水走样”",
    ]
    assert first[6:8] == ["低保名单张榜公示", "李书记"]
    assert first[8].date() == date(2014, 6, 30)
    assert first[9] == "已在村务公开栏张榜；验收意见：核实属实"
    assert first[10] == "已销号" and first[11] is not None
    second = body[1]
    assert (
        second[0] == 1
        and second[6] == "建立评议制度"
        and second[10] == "整改中（已逾期）"
        and second[11] is None
    )
    no_task = body[2]
    assert no_task[1:3] == ["东土城村", "会议太多"] and no_task[6] is None and no_task[7] == "张主任"
    assert no_task[10] == "整改中"
    # the problem the village raised and sent up: in its ledger, with its owner now
    assert body[3][1:3] == ["可可以力更镇", "村道年久失修"]


def test_the_unit_ledger_as_word(ledger, personas):
    response = client_for(personas["county_office"]).get(
        reverse("ledger:export_unit", args=[ledger.village.code, "docx"])
    )
    assert response.status_code == 200 and response["Content-Type"] == exports.DOCX
    document = Document(io.BytesIO(content_of(response)))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (section.page_width or 0) > (section.page_height or 0)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "东土城村问题整改台账" in text and "共有问题 3 个、整改任务 2 项，其中逾期 1 项。" in text
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == HEADER
    first = [c.text for c in table.rows[1].cells]
    assert first[:3] == ["1", "东土城村", "低保评定不公开：群众反映评定过程不透明；"]
    assert first[6] == "低保名单张榜公示" and first[8] == "2014-06-30" and first[10] == "已销号"
    second = [c.text for c in table.rows[2].cells]
    assert second[2] == first[2]  # merged with the row above: one problem, two tasks
    assert second[6] == "建立评议制度" and second[10] == "整改中（已逾期）"
    everything = text + "".join(c.text for row in table.rows for c in row.cells)
    for glitch in ("。；", "；；", "。。", "；。"):
        assert glitch not in everything


def test_the_rolled_up_ledger(ledger, personas):
    c = client_for(personas["county_office"])
    response = c.get(reverse("ledger:export_rollup", args=[ledger.township.code, "xlsx"]))
    assert response.status_code == 200
    rows = sheet_rows(response)
    head = rows[0]
    assert head[:3] == ["序号", "单位", "问题总数"] and head[-1] == "逾期任务"
    assert head[3:7] == ["形式主义", "官僚主义", "享乐主义", "奢靡之风"]
    by_name = {r[1]: dict(zip(head, r, strict=True)) for r in rows[1:]}
    own = by_name["可可以力更镇（本级）"]
    assert own["问题总数"] == 2 and own["官僚主义"] == 1 and own["形式主义"] == 1
    village = by_name["东土城村"]
    assert village["问题总数"] == 2 and village["整改任务"] == 2 and village["任务已销号"] == 1
    assert village["逾期任务"] == 1 and village["任务整改中"] == 1
    total = by_name["合计"]
    assert total["问题总数"] == 4 and total["逾期任务"] == 1
    docx = c.get(reverse("ledger:export_rollup", args=[ledger.township.code, "docx"]))
    document = Document(io.BytesIO(content_of(docx)))
    table = document.tables[0]
    assert [cell.text for cell in table.rows[0].cells] == head
    names = [row.cells[1].text for row in table.rows[1:]]
    assert names == ["可可以力更镇（本级）", "东土城村", "合计"]
    assert "共有问题 4 个，已销号 0 个；整改任务 2 项，已销号 1 项，逾期 1 项。" in "\n".join(
        p.text for p in document.paragraphs
    )


def test_the_filtered_problem_list(ledger, personas):
    c = client_for(personas["county_office"])
    url = reverse("ledger:export_problems")
    everything = sheet_rows(c.get(url))
    assert everything[0] == HEADER and len({r[0] for r in everything[1:]}) == 4
    formalism = sheet_rows(c.get(url, {"category": "formalism"}))
    assert sorted(r[2] for r in formalism[1:]) == ["会议太多", "村道年久失修"]
    overdue = sheet_rows(c.get(url, {"overdue": "yes", "under": ledger.village.code}))
    assert {r[2] for r in overdue[1:]} == {"低保评定不公开：群众反映评定过程不透明；"}
    township = sheet_rows(c.get(url, {"level": "4"}))
    assert sorted(r[2] for r in township[1:]) == ["办事窗口中午不开门", "村道年久失修"]
    item = sheet_rows(c.get(url, {"item": "hard_to_do", "status": "open", "source": "public"}))
    assert [r[2] for r in item[1:]] == ["办事窗口中午不开门"]
    assert sheet_rows(c.get(url, {"status": "done"})) == [HEADER]
    text = sheet_rows(c.get(url, {"q": "会议"}))
    assert [r[2] for r in text[1:]] == ["会议太多"]


def test_exports_are_scoped(ledger, personas):
    outsider = client_for(personas["outsider"])
    assert outsider.get(reverse("ledger:export_unit", args=[ledger.village.code, "xlsx"])).status_code == 404
    assert outsider.get(reverse("ledger:export_rollup", args=[ledger.county.code, "docx"])).status_code == 404
    assert outsider.get(reverse("ledger:export_problems"), {"under": ledger.village.code}).status_code == 404
    mine = sheet_rows(outsider.get(reverse("ledger:export_problems")))
    assert mine == [HEADER]  # none of the county's problems
    # the wrong role: a liaison leader sees the county but exports nothing
    leader = client_for(personas["liaison_leader"])
    for url in (
        reverse("ledger:export_unit", args=[ledger.village.code, "xlsx"]),
        reverse("ledger:export_rollup", args=[ledger.county.code, "xlsx"]),
        reverse("ledger:export_problems"),
        reverse("ledger:exports"),
    ):
        assert leader.get(url).status_code == 403, url
    # the village sees its own ledger, not the township's rollup
    secretary = client_for(personas["village_secretary"])
    assert secretary.get(reverse("ledger:export_unit", args=[ledger.village.code, "docx"])).status_code == 200
    assert (
        secretary.get(reverse("ledger:export_rollup", args=[ledger.township.code, "xlsx"])).status_code == 404
    )
    assert (
        client_for(personas["county_office"])
        .get(reverse("ledger:export_unit", args=[ledger.village.code, "pdf"]))
        .status_code
        == 404
    )


def test_a_big_export_runs_as_a_job_and_word_has_a_cap(ledger, personas, monkeypatch):
    user = personas["county_office"]
    c = client_for(user)
    monkeypatch.setattr(exports, "SYNC_PROBLEMS", 2)
    url = reverse("ledger:export_problems")
    confirm = c.get(url, {"source": "public", "under": ledger.county.code, "q": ""})
    assert confirm.status_code == 200 and Job.objects.count() == 0
    html = confirm.content.decode()
    assert "后台" in html and 'name="source" value="public"' in html
    assert c.get(url, {"category": "formalism"}).status_code == 200  # two problems: at once
    submitted = c.post(url, {"under": ledger.county.code})
    job = Job.objects.get()
    assert submitted.status_code == 302 and submitted["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (
        job.kind == exports.EXPORT_JOB
        and job.created_by == user
        and job.params["under"] == ledger.county.code
    )
    job = jobs.execute(job)
    assert job.status == Job.Status.SUCCEEDED, job.message
    download = c.get(reverse("jobs:download", args=[job.pk]))
    rows = sheet_rows(download)
    assert rows[0] == HEADER and len({r[0] for r in rows[1:]}) == 4
    # Word: a ledger beyond the cap is refused with the cap named, and Excel offered
    monkeypatch.setattr(exports, "DOCX_MAX_ROWS", 2)
    refused = c.get(reverse("ledger:export_unit", args=[ledger.village.code, "docx"]))
    assert refused.status_code == 302
    message = str(next(iter(get_messages(refused.wsgi_request))))
    assert "2 行" in message and "Excel" in message


def test_stored_text_that_xml_cannot_hold_does_not_break_the_files(ledger, personas):
    Problem.objects.filter(title="会议太多").update(title="会议\x0b太多", description="说明\x01文字")
    c = client_for(personas["county_office"])
    rows = sheet_rows(c.get(reverse("ledger:export_unit", args=[ledger.village.code, "xlsx"])))
    assert "会议太多：说明文字" in [r[2] for r in rows]
    document = Document(
        io.BytesIO(content_of(c.get(reverse("ledger:export_unit", args=[ledger.village.code, "docx"]))))
    )
    assert any(cell.text == "会议太多：说明文字" for row in document.tables[0].rows for cell in row.cells)


def test_a_formula_like_text_is_not_a_formula(ledger, personas):
    Problem.objects.filter(title="会议太多").update(title='=HYPERLINK("http://x")')
    rows = sheet_rows(
        client_for(personas["county_office"]).get(
            reverse("ledger:export_unit", args=[ledger.village.code, "xlsx"])
        )
    )
    assert '\'=HYPERLINK("http://x")' in [r[2] for r in rows]


def test_the_exports_page(ledger, personas):
    c = client_for(personas["county_office"])
    page = c.get(reverse("ledger:exports"), {"unit": ledger.township.code})
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("ledger:export_unit", args=[ledger.township.code, "docx"]) in html
    assert reverse("ledger:export_rollup", args=[ledger.township.code, "xlsx"]) in html
    assert "群众办事难" in html and "形式主义" in html
    assert (
        client_for(personas["outsider"])
        .get(reverse("ledger:exports"), {"unit": ledger.village.code})
        .status_code
        == 404
    )


# --- special rectification (专项整治) --------------------------------------------------------------------


def test_the_special_overview_counts_per_item_from_the_rollups(ledger, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from echelon.ledger.views.special import item_counts, scope_paths_of

    paths = scope_paths_of(personas["county_office"], None)
    with CaptureQueriesContext(connection) as queries:
        counts = item_counts(paths, timezone.localdate())
    assert len(queries) == 2  # the counters, the overdue tasks
    assert counts["policies_shrunk"] == {"problems": 1, "tasks": 2, "verified": 1, "overdue": 1}
    assert counts["hard_to_do"] == {"problems": 1, "tasks": 0, "verified": 0, "overdue": 0}
    assert counts[""]["problems"] == 2  # not under any special item

    page = client_for(personas["county_office"]).get(reverse("ledger:special"))
    assert page.status_code == 200
    rows = {r.key: r for r in page.context["rows"]}
    assert len(rows) == 21
    assert (rows["policies_shrunk"].problems, rows["policies_shrunk"].tasks) == (1, 2)
    assert (
        rows["policies_shrunk"].verified,
        rows["policies_shrunk"].overdue,
        rows["policies_shrunk"].rate,
    ) == (
        1,
        1,
        50,
    )
    assert page.context["total"].problems == 2 and page.context["other"]["problems"] == 2
    html = page.content.decode()
    assert "惠民政策落实中“缩水走样”" in html or "惠民政策落实中&ldquo;缩水走样&rdquo;" in html
    # the village's part only
    village = client_for(personas["village_secretary"]).get(reverse("ledger:special"))
    v_rows = {r.key: r for r in village.context["rows"]}
    assert v_rows["policies_shrunk"].tasks == 2 and v_rows["hard_to_do"].problems == 0
    # under a unit: the township's subtree
    township = client_for(personas["county_office"]).get(
        reverse("ledger:special"), {"under": ledger.township.code}
    )
    assert {r.key: r.problems for r in township.context["rows"]}["hard_to_do"] == 1
    # outsiders see nothing of it, and cannot name it
    outsider = client_for(personas["outsider"])
    assert sum(r.problems for r in outsider.get(reverse("ledger:special")).context["rows"]) == 0
    assert outsider.get(reverse("ledger:special"), {"under": ledger.village.code}).status_code == 404
