"""Opinions imported from Excel by staff: all or nothing, errors by row and column in Chinese, idempotent,
files refused as a whole (zip bombs, not a workbook, too big), scoped, and the pages."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from echelon.core.models import AuditEvent
from echelon.core.tests.test_bad_input import shared_strings_bomb
from echelon.ledger import services
from echelon.ledger.models import Opinion
from echelon.ledger.services import imports
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

HEADER = ["单位代码", "渠道", "收到日期", "意见内容", "联系方式"]


@pytest.fixture
def campaign(tree):
    return make_campaign(tree.region)


def xlsx(rows, header=HEADER) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def good_rows(tree):
    return [
        ["", "座谈会", date(2014, 5, 20), "镇政府办事窗口中午不开门，群众办事要跑两趟。", "13800000000"],
        [tree.village.code, "走访", "2014-05-21", "村里低保评定不公开，希望张榜公示。", ""],
        [tree.village.code, "意见箱", "2014/5/22", "<script>alert(1)</script>村里路灯坏了没人修", None],
    ]


def run(actor, unit, content, name="意见.xlsx"):
    return services.opinion_import(actor=actor, unit=unit, fileobj=content, name=name)


def test_a_good_file_becomes_opinions_with_one_audit_event(tree, personas, campaign):
    operator = personas["township_operator"]
    result = run(operator, tree.township, xlsx(good_rows(tree)))
    assert result.ok, result.errors
    assert (result.rows, result.created, result.skipped) == (3, 3, 0)
    rows = list(Opinion.objects.order_by("received_on"))
    assert [o.unit_id for o in rows] == [tree.township.pk, tree.village.pk, tree.village.pk]
    assert [o.channel for o in rows] == ["forum", "visit", "box"]
    assert [o.received_on for o in rows] == [date(2014, 5, 20), date(2014, 5, 21), date(2014, 5, 22)]
    assert rows[0].contact == "13800000000" and rows[0].created_by == operator
    assert all(o.campaign_id == campaign.pk and o.path == o.unit.path for o in rows)
    assert len({o.tracking_code for o in rows}) == 3 and all(len(o.tracking_code) == 10 for o in rows)
    # a <script> cell stays text, stored as written
    assert rows[2].text == "<script>alert(1)</script>村里路灯坏了没人修"
    events = AuditEvent.objects.filter(verb="opinion.import")
    assert events.count() == 1 and not AuditEvent.objects.filter(verb="opinion.record").exists()
    event = events.get()
    assert event.actor == operator and event.unit_path == tree.township.path
    assert event.after["created"] == 3 and sorted(event.after["tracking_codes"]) == sorted(
        o.tracking_code for o in rows
    )
    assert "成功" not in result.summary() and "新增意见 3 条" in result.summary()


def test_a_bad_row_anywhere_writes_nothing_and_names_row_and_column(tree, personas, campaign):
    rows = [
        *good_rows(tree),
        ["", "电话", "2014-05-23", "这一行的渠道不对。", ""],
        ["", "座谈会", "2014-02-30", "这一行的日期不存在。", ""],
        ["", "座谈会", "2014-05-23", "短", ""],
        [tree.sibling_village.code, "问卷", "2014-05-23", "别的盟市的村子不归我管。", ""],
        ["", "问卷", "2099-01-01", "收到日期在将来。", ""],
        ["", "问卷", "2014-05-23", "联系方式太长的一行", "1" * 101],
        ["", "", "", "", ""],  # a blank line is no error
    ]
    result = run(personas["township_operator"], tree.township, xlsx(rows))
    assert not result.ok
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (5, "渠道"),
        (6, "收到日期"),
        (7, "意见内容"),
        (8, "单位代码"),
        (9, "收到日期"),
        (10, "联系方式"),
    }
    by_row = {e.row: e.reason for e in result.errors}
    assert "电话" in by_row[5] and "座谈会" in by_row[5]
    assert "日期不存在" in by_row[6]
    assert "太短" in by_row[7]
    assert "找不到组织代码" in by_row[8] and tree.sibling_village.code in by_row[8]
    assert "晚于今天" in by_row[9]
    assert "联系方式" in by_row[10]
    assert "没有写入任何数据" in result.summary()
    assert Opinion.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="opinion.import").exists()


def test_importing_the_same_file_again_writes_nothing(tree, personas, campaign):
    operator = personas["township_operator"]
    run(operator, tree.township, xlsx(good_rows(tree)))
    codes = set(Opinion.objects.values_list("tracking_code", flat=True))
    again = run(operator, tree.township, xlsx(good_rows(tree)))
    assert again.ok and (again.created, again.skipped) == (0, 3)
    assert "都已导入过" in again.summary()
    assert set(Opinion.objects.values_list("tracking_code", flat=True)) == codes
    assert AuditEvent.objects.filter(verb="opinion.import").count() == 1
    # one new row among the old ones: only it is written
    more = run(
        operator,
        tree.township,
        xlsx([*good_rows(tree), ["", "问卷", "2014-06-01", "新增的一条意见内容", ""]]),
    )
    assert (more.created, more.skipped) == (1, 3) and Opinion.objects.count() == 4


def test_duplicates_within_the_file_and_recent_duplicates_are_reported(tree, personas, campaign):
    operator = personas["township_operator"]
    rows = [
        ["", "座谈会", "2014-05-20", "会议太多，干部没时间下村。", ""],
        ["", "走访", "2014-05-21", "会议太多， 干部没时间下村！", ""],  # the same text (spacing, punctuation)
    ]
    result = run(operator, tree.township, xlsx(rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "意见内容")]
    assert "第 2 行" in result.errors[0].reason
    assert Opinion.objects.count() == 0
    # the same text as an opinion received the other day: refused like opinion_record refuses it
    services.opinion_record(
        actor=operator,
        unit=tree.township,
        text="会议太多，干部没时间下村。",
        channel="forum",
        received_on=date(2014, 5, 1),
    )
    result = run(operator, tree.township, xlsx(rows[:1]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "意见内容")]
    assert "已经收到" in result.errors[0].reason


def test_units_outside_the_importers_reach_are_row_errors(tree, personas, campaign):
    operator = personas["township_operator"]
    rows = [
        [tree.community.code, "座谈会", "2014-05-20", "社区不在这个镇之下。", ""],
        [tree.county.code, "座谈会", "2014-05-20", "县在镇之上，不能登记。", ""],
        ["NO-SUCH-UNIT", "座谈会", "2014-05-20", "没有这个组织代码。", ""],
    ]
    result = run(operator, tree.township, xlsx(rows))
    assert [(e.row, e.column) for e in result.errors] == [(2, "单位代码"), (3, "单位代码"), (4, "单位代码")]
    # the same answer for a unit that exists elsewhere and one that does not exist
    assert len({e.reason.replace(e.reason.split("“")[1].split("”")[0], "X") for e in result.errors}) == 1
    assert Opinion.objects.count() == 0
    # importing for a unit above one's own grant is refused outright
    with pytest.raises(PermissionDenied):
        run(operator, tree.county, xlsx(good_rows(tree)[:1]))
    with pytest.raises(PermissionDenied):
        run(personas["liaison_leader"], tree.county, xlsx(good_rows(tree)[:1]))


def test_header_formula_and_example_row_problems(tree, personas, campaign):
    operator = personas["township_operator"]
    result = run(
        operator, tree.township, xlsx([["", "座谈会", "2014-05-20", "内容", ""]], header=["渠道", "日期"])
    )
    assert {(e.row, e.column) for e in result.errors} == {(1, "日期"), (1, "收到日期"), (1, "意见内容")}
    formula = run(operator, tree.township, xlsx([["", "座谈会", "2014-05-20", "=1+1", ""]]))
    assert [(e.row, e.column) for e in formula.errors] == [(2, "意见内容")] and "公式" in formula.errors[
        0
    ].reason
    example = run(
        operator, tree.township, xlsx([["", "座谈会", "2014-05-20", "（示例）模板中的示例内容", ""]])
    )
    assert "示例行" in example.errors[0].reason
    empty = run(operator, tree.township, xlsx([]))
    assert not empty.ok and "没有意见数据" in empty.errors[0].reason
    # CSV works too (UTF-8 with a BOM, as Excel saves it); without the optional columns
    csv = "\ufeff渠道,收到日期,意见内容\n问卷,2014-05-20,希望增加村里的文化活动场所\n".encode()
    ok = run(operator, tree.township, io.BytesIO(csv), name="意见.csv")
    assert ok.ok and ok.created == 1 and Opinion.objects.get().unit_id == tree.township.pk
    assert Opinion.objects.count() == 1


def test_files_refused_as_a_whole(tree, personas, campaign, monkeypatch):
    operator = personas["township_operator"]
    with pytest.raises(ValidationError, match="压缩比异常"):
        run(operator, tree.township, io.BytesIO(shared_strings_bomb()))
    with pytest.raises(ValidationError, match=r"不是电子表格|不是 Excel"):
        run(operator, tree.township, io.BytesIO(b"%PDF-1.4\n\x00\x01binary"), name="意见.xlsx")
    with pytest.raises(ValidationError, match="扩展名"):
        run(operator, tree.township, xlsx(good_rows(tree)), name="意见.pdf")
    monkeypatch.setattr(imports, "MAX_BYTES", 1000)
    with pytest.raises(ValidationError, match="文件过大"):
        run(operator, tree.township, xlsx(good_rows(tree)))
    monkeypatch.setattr(imports, "MAX_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    result = run(operator, tree.township, xlsx(good_rows(tree)))
    assert not result.ok and "拆分" in result.errors[-1].reason
    assert Opinion.objects.count() == 0


# --- the pages ----------------------------------------------------------------------------------------------


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_upload_page_imports_and_shows_row_errors(tree, personas, campaign):
    c = client_for(personas["township_operator"])
    page = c.get(reverse("ledger:opinion_import"))
    assert page.status_code == 200 and tree.township.code in page.content.decode()
    upload = SimpleUploadedFile("意见.xlsx", xlsx(good_rows(tree)).getvalue())
    done = c.post(reverse("ledger:opinion_import"), {"unit": tree.township.code, "file": upload})
    assert done.status_code == 200
    assert "导入完成" in done.content.decode() and Opinion.objects.count() == 3
    bad = xlsx([*good_rows(tree), ["", "电话", "2014-05-23", "<img src=x onerror=alert(1)>不对的渠道", ""]])
    refused = c.post(
        reverse("ledger:opinion_import"),
        {"unit": tree.township.code, "file": SimpleUploadedFile("意见2.xlsx", bad.getvalue())},
    )
    html = refused.content.decode()
    assert refused.status_code == 400 and "第 5 行" in html and "渠道" in html and "没有写入任何数据" in html
    assert "<img" not in html
    bomb = c.post(
        reverse("ledger:opinion_import"),
        {"unit": tree.township.code, "file": SimpleUploadedFile("b.xlsx", shared_strings_bomb())},
    )
    assert bomb.status_code == 400 and "压缩比异常" in bomb.content.decode()
    assert Opinion.objects.count() == 3


def test_the_pages_are_scoped(tree, personas, campaign):
    upload = SimpleUploadedFile("意见.xlsx", xlsx(good_rows(tree)).getvalue())
    outsider = client_for(personas["outsider"])
    # The unit picker refuses a unit outside the importer's scope on the form, naming only what was typed.
    refused = outsider.post(reverse("ledger:opinion_import"), {"unit": tree.township.code, "file": upload})
    assert refused.status_code == 400
    assert f"找不到组织“{tree.township.code}”，或它不在您的管理范围内" in refused.content.decode()
    assert "可可以力更镇" not in refused.content.decode()
    assert outsider.get(reverse("ledger:opinion_template") + f"?unit={tree.village.code}").status_code == 404
    leader = client_for(personas["liaison_leader"])
    assert leader.get(reverse("ledger:opinion_import")).status_code == 403
    assert leader.get(reverse("ledger:opinion_template")).status_code == 403
    assert Opinion.objects.count() == 0


def test_the_template_has_the_header_an_example_and_the_channel_list(tree, personas, campaign):
    c = client_for(personas["village_secretary"])
    response = c.get(reverse("ledger:opinion_template") + f"?unit={tree.village.code}")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    wb = load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert rows[1][0] == tree.village.code and rows[1][1] == "座谈会" and rows[1][3].startswith("（示例）")
    validations = ws.data_validations.dataValidation
    assert len(validations) == 1 and "B2" in str(validations[0].sqref)
    lists = [r[0] for r in wb["代码表"].iter_rows(values_only=True)]
    assert lists[0] == "渠道" and {"座谈会", "走访", "问卷", "意见箱"} <= set(lists)
    assert "说明" in wb.sheetnames
    # uploaded unchanged, the example row is refused
    refused = c.post(
        reverse("ledger:opinion_import"),
        {"unit": tree.village.code, "file": SimpleUploadedFile("模板.xlsx", content)},
    )
    assert refused.status_code == 400 and "示例行" in refused.content.decode()
    assert Opinion.objects.count() == 0
