"""The import rules, through `imports.import_file` (the function the views, jobs and commands call)."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from echelon.conftest import make_member, make_unit
from echelon.core import tabular
from echelon.core.actors import Actor
from echelon.core.models import AuditEvent
from echelon.orgs import exports, imports, services
from echelon.orgs.imports import MEMBER_COLUMNS, UNIT_COLUMNS, import_file
from echelon.orgs.models import Kind, Level, Member, Unit

UNIT_HEADER = [c.label for c in UNIT_COLUMNS]
MEMBER_HEADER = [c.label for c in MEMBER_COLUMNS]


def csv_bytes(header: list[str], rows: list[list[Any]]) -> io.BytesIO:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(buf.getvalue().encode("utf-8-sig"))


def xlsx_bytes(header: list[str], rows: list[list[Any]]) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def run(
    kind: str,
    rows: list[list[Any]],
    *,
    header: list[str] | None = None,
    fmt: str = "csv",
    scope: list[str] | None = None,
    actor: Actor = None,
    dry_run: bool = False,
    name: str | None = None,
):
    head = header or (UNIT_HEADER if kind == "units" else MEMBER_HEADER)
    data = csv_bytes(head, rows) if fmt == "csv" else xlsx_bytes(head, rows)
    return import_file(
        kind=kind, fileobj=data, name=name or f"upload.{fmt}", actor=actor, scope=scope, dry_run=dry_run
    )


def member_row(code: str = "M1", unit: str = "150125100201", **over: Any) -> list[Any]:
    values = {
        "党员编号": code,
        "姓名": "王芳",
        "性别": "女",
        "民族": "蒙古族",
        "出生日期": "1985-03-08",
        "入党日期": "2010-07-01",
        "党员类别": "正式党员",
        "联系电话": "13800000000",
        "所在组织代码": unit,
        "是否流动党员": "否",
        "流入组织代码": "",
    }
    values.update(over)
    return [values[h] for h in MEMBER_HEADER]


def unit_row(
    code: str, name: str, parent: str, level: str, kind: str, division: str = "", **over: Any
) -> list[Any]:
    values = {
        "组织代码": code,
        "名称": name,
        "上级组织代码": parent,
        "层级": level,
        "类别": kind,
        "区划类型": division,
        "区域类型": "",
        "行业系统": "",
        "活动牵头": "属地",
    }
    values.update(over)
    return [values[h] for h in UNIT_HEADER]


def reasons(report) -> list[tuple[int | None, str, str]]:
    return [(e.row, e.column, e.reason) for e in report.errors]


def has_error(report, row: int | None, column: str, text: str) -> bool:
    return any(e.row == row and e.column == column and text in e.reason for e in report.errors)


def snapshot() -> tuple:
    return (
        list(Unit.objects.order_by("id").values_list()),
        list(Member.objects.order_by("id").values_list()),
    )


# ---------------------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestMembersImport:
    def test_valid_file_creates_then_is_idempotent(self, tree):
        rows = [
            member_row("M1"),
            member_row("M2", "150125001001", 姓名="巴特尔", 性别="男"),
            member_row("M3", 是否流动党员="是", 流入组织代码="150125001001"),
            member_row("M4", 是否流动党员="是"),
        ]
        report = run("members", rows)
        assert report.ok, reasons(report)
        assert (report.created, report.updated, report.unchanged, report.applied) == (4, 0, 0, True)
        m3 = Member.objects.get(code="M3")
        assert m3.is_mobile and m3.inflow_unit_id == tree.community.pk
        assert m3.path == Unit.objects.get(pk=tree.village.pk).path
        assert m3.part_path == Unit.objects.get(pk=tree.community.pk).path
        before = snapshot()
        events = AuditEvent.objects.count()
        again = run("members", rows)
        assert (again.created, again.updated, again.unchanged, again.applied) == (0, 0, 4, True)
        assert snapshot() == before  # not even updated_at moved
        assert AuditEvent.objects.count() == events  # nothing happened, nothing to record

    def test_rollups_are_correct_afterwards(self, tree):
        make_member(tree.village, "OLD1")
        rows = [
            member_row("M1"),
            member_row("M2", 是否流动党员="是"),
            member_row("M3", 是否流动党员="是", 流入组织代码="150125001001"),
        ]
        assert run("members", rows).ok
        county = Unit.objects.get(pk=tree.county.pk)
        village = Unit.objects.get(pk=tree.village.pk)
        community = Unit.objects.get(pk=tree.community.pk)
        assert (village.members_here, village.mobile_here, village.blind_here) == (4, 2, 1)
        assert village.participants_here == 3 and community.participants_here == 1
        assert (county.sub_members, county.sub_mobile, county.sub_blind, county.sub_participants) == (
            4,
            2,
            1,
            4,
        )
        from echelon.orgs.selectors import stats

        assert stats()["rollups_consistent"]

    def test_known_code_updates_that_row(self, tree):
        make_member(tree.village, "M1", "旧名字")
        report = run("members", [member_row("M1", "150125001001", 姓名="新名字")])
        assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
        m = Member.objects.get(code="M1")
        assert (m.name, m.unit_id) == ("新名字", tree.community.pk)
        assert m.path == Unit.objects.get(pk=tree.community.pk).path
        assert Unit.objects.get(pk=tree.community.pk).members_here == 1
        assert Unit.objects.get(pk=tree.village.pk).members_here == 0
        sample = report.sample[0]
        assert sample["action"] == "更新" and "旧名字 → 新名字" in sample["changes"]

    def test_one_audit_event_per_import_not_per_row(self, tree, personas):
        user = personas["county_office"]
        rows = [member_row(f"M{i}") for i in range(5)]
        report = run("members", rows, actor=user, scope=[tree.county.path])
        assert report.ok
        events = AuditEvent.objects.filter(verb="member.import")
        assert events.count() == 1
        e = events.get()
        assert e.actor == user and e.object_id == report.sha256 and e.object_repr == "upload.csv"
        assert (
            e.after["created"] == 5
            and e.after["user"] == "county_office"
            and e.after["subtree"] == ["150125"]
        )
        assert e.unit_path == tree.county.path
        per_row = AuditEvent.objects.filter(verb__startswith="member.").exclude(verb="member.import")
        assert not per_row.exists()  # no member.create / member.update per row

    def test_dry_run_writes_nothing(self, tree):
        before = snapshot()
        report = run("members", [member_row("M1")], dry_run=True)
        assert report.ok and report.created == 1 and not report.applied
        assert snapshot() == before
        assert not AuditEvent.objects.filter(verb="member.import").exists()

    def test_codes_or_labels_for_coded_values(self, tree):
        report = run("members", [member_row("M1", 性别="f", 党员类别="probationary", 是否流动党员="N")])
        assert report.ok, reasons(report)
        m = Member.objects.get(code="M1")
        assert (m.gender, m.status, m.is_mobile) == ("f", "probationary", False)

    @pytest.mark.parametrize(
        "over,column,text",
        [
            ({"姓名": ""}, "姓名", "必填"),
            ({"所在组织代码": ""}, "所在组织代码", "必填"),
            ({"出生日期": "1985/3/8x"}, "出生日期", "日期格式不正确"),
            ({"出生日期": "2014-02-30"}, "出生日期", "日期不存在"),
            ({"入党日期": "1984-01-01"}, "入党日期", "必须晚于出生日期"),
            ({"入党日期": "2999-01-01"}, "入党日期", "不能晚于今天"),
            ({"出生日期": "2999-01-01"}, "出生日期", "不能晚于今天"),
            ({"性别": "未知"}, "性别", "不是可选值"),
            ({"党员类别": "积极分子"}, "党员类别", "不是可选值"),
            ({"是否流动党员": "也许"}, "是否流动党员", "不是可选值"),
            ({"联系电话": "call me"}, "联系电话", "只能包含数字"),
            ({"所在组织代码": "999999"}, "所在组织代码", "找不到组织代码"),
            ({"流入组织代码": "150125001001"}, "流入组织代码", "只有流动党员"),
            ({"是否流动党员": "是", "流入组织代码": "150125100201"}, "流入组织代码", "不能与所在组织相同"),
            ({"党员编号": "M 1"}, "党员编号", "只能包含"),
        ],
    )
    def test_row_errors(self, tree, over, column, text):
        before = snapshot()
        report = run("members", [member_row("OK1"), member_row("BAD", **over)])
        assert not report.ok and not report.applied
        assert has_error(report, 3, column, text), reasons(report)
        assert snapshot() == before  # all or nothing: the valid row was not written either

    def test_impossible_date_in_xlsx_text_and_real_dates(self, tree):
        rows = [
            member_row("M1", 出生日期=datetime.datetime(1985, 3, 8), 入党日期=datetime.date(2010, 7, 1)),
            member_row("M2", 出生日期="2014-02-30"),
        ]
        report = run("members", rows, fmt="xlsx")
        assert reasons(report) == [(3, "出生日期", "日期不存在：“2014-02-30”。")]

    def test_duplicate_code_in_file(self, tree):
        report = run("members", [member_row("M1"), member_row("M2"), member_row("M1", 姓名="又一个")])
        assert reasons(report) == [(4, "党员编号", "党员编号“M1”在文件中重复（第 2 行已有）。")]
        assert not Member.objects.exists()

    def test_missing_and_unknown_columns(self, tree):
        head = [h for h in MEMBER_HEADER if h != "民族"] + ["备注"]
        rows = [[v for h, v in zip(MEMBER_HEADER, member_row("M1"), strict=True) if h != "民族"] + ["x"]]
        report = run("members", rows, header=head)
        assert (1, "民族", "缺少列“民族”。") in reasons(report)
        assert any(e.row == 1 and e.column == "备注" and "无法识别" in e.reason for e in report.errors)
        assert not Member.objects.exists()

    def test_columns_in_any_order_and_error_column_ignored(self, tree):
        head = [*reversed(MEMBER_HEADER), imports.ERROR_COLUMN]
        report = run("members", [[*reversed(member_row("M1")), "旧的错误说明"]], header=head)
        assert report.ok, reasons(report)
        assert Member.objects.get(code="M1").name == "王芳"

    def test_unit_outside_subtree_refused(self, tree, personas):
        report = run(
            "members",
            [member_row("M1", "150222100201")],
            actor=personas["county_office"],
            scope=[tree.county.path],
        )
        assert has_error(report, 2, "所在组织代码", "不在您的管理范围内")
        assert not Member.objects.exists()

    def test_inflow_unit_outside_subtree_refused(self, tree, personas):
        row = member_row("M1", 是否流动党员="是", 流入组织代码="150222100201")
        report = run("members", [row], actor=personas["county_office"], scope=[tree.county.path])
        assert has_error(report, 2, "流入组织代码", "不在您的管理范围内")

    def test_existing_member_held_elsewhere_refused(self, tree, personas):
        make_member(tree.sibling_village, "M1")
        report = run("members", [member_row("M1")], actor=personas["county_office"], scope=[tree.county.path])
        assert has_error(report, 2, "党员编号", "不能在此使用")
        # the message never says where the code is held (no existence oracle across subtrees)
        assert not any("范围以外" in e.reason or "包头" in e.reason for e in report.errors)
        assert Member.objects.get(code="M1").unit_id == tree.sibling_village.pk

    def test_inactive_unit_refused(self, tree):
        other = make_unit(tree.township, "150125100202", "西土城村", Level.VILLAGE, Kind.VILLAGE, "village")
        services.unit_merge(actor=None, source=other, target=tree.village)
        report = run("members", [member_row("M1", "150125100202")])
        assert has_error(report, 2, "所在组织代码", "已撤销或合并")

    def test_formula_cells_refused_not_evaluated(self, tree):
        rows = [member_row("M1", 姓名='=HYPERLINK("http://evil.example","点我")')]
        report = run("members", rows, fmt="xlsx")
        assert reasons(report) == [
            (2, "姓名", "单元格含有公式，系统不计算公式，请改为直接填写值（粘贴为数值）。")
        ]
        assert not Member.objects.exists()

    def test_injection_text_stored_as_text_and_exported_neutralised(self, tree):
        evil = '=HYPERLINK("http://evil.example","x")'
        rows = [
            member_row("M1", 姓名=evil),
            member_row("M2", 姓名="<script>alert(1)</script>"),
            member_row("M3", 联系电话="+86 138 0000"),
        ]
        report = run("members", rows)  # CSV: plain text, never a formula
        assert report.ok, reasons(report)
        assert Member.objects.get(code="M1").name == evil
        assert Member.objects.get(code="M2").name == "<script>alert(1)</script>"
        out = b"".join(exports.iter_csv("members", exports.member_rows(Member.objects.order_by("code"))))
        text = out.decode("utf-8-sig")
        assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
        assert "'+86 138 0000" in text
        # and the exported file imports back unchanged (the apostrophe is undone, the text stays text)
        again = import_file(
            kind="members", fileobj=io.BytesIO(out), name="back.csv", actor=None, scope=None, dry_run=False
        )
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3), reasons(again)

    def test_units_changed_between_validation_and_write_refused(self, tree, monkeypatch):
        """Rows are staged outside the write transaction; if a unit moved meanwhile, nothing is written."""
        other_town = make_unit(
            tree.county, "150125102", "二份子乡", Level.TOWNSHIP, Kind.LEADERSHIP, "township"
        )
        classify = imports.Stage.classify

        def move_first(self, report, scope):
            services.unit_move(
                actor=None, unit=tree.village, new_parent=other_town
            )  # someone else, meanwhile
            classify(self, report, scope)

        monkeypatch.setattr(imports.Stage, "classify", move_first)
        report = run("members", [member_row("M1")])
        assert not report.ok and "发生了变化" in report.errors[0].reason
        assert not Member.objects.exists()

    def test_gb18030_csv(self, tree):
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(MEMBER_HEADER)
        writer.writerow(member_row("M1"))
        report = import_file(
            kind="members",
            fileobj=io.BytesIO(buf.getvalue().encode("gb18030")),
            name="gbk.csv",
            actor=None,
            scope=None,
            dry_run=False,
        )
        assert report.ok and Member.objects.get(code="M1").name == "王芳"

    def test_round_trip_of_an_export(self, tree):
        make_member(tree.village, "A1", "甲")
        make_member(tree.community, "A2", "乙", inflow=tree.village)
        make_member(tree.village, "A3", "丙", mobile=True)
        for suffix in ("csv", "xlsx"):
            out = io.BytesIO()
            rows = exports.member_rows(exports.member_queryset(None, tree.region))
            if suffix == "csv":
                out.write(b"".join(exports.iter_csv("members", rows)))
            else:
                exports.write_xlsx("members", rows, out)
            out.seek(0)
            report = import_file(
                kind="members", fileobj=out, name=f"back.{suffix}", actor=None, scope=None, dry_run=False
            )
            assert (report.created, report.updated, report.unchanged) == (0, 0, 3), reasons(report)


# ---------------------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestUnitsImport:
    def test_creates_a_subtree_parents_after_children_in_the_file(self, tree, personas):
        rows = [
            unit_row("150125100201001", "东土城村卫生室", "150125100201", "嘎查村社区", "站所"),
            unit_row("150125101", "哈乐镇", "150125", "苏木乡镇街道", "领导班子", "镇", 区域类型="牧区"),
            unit_row("150125101201", "哈乐村", "150125101", "5", "village", "嘎查"),
        ]
        report = run("units", rows, actor=personas["county_office"], scope=[tree.county.path])
        assert report.ok, reasons(report)
        assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
        town = Unit.objects.get(code="150125101")
        village = Unit.objects.get(code="150125101201")
        assert village.parent_id == town.pk and village.path.startswith(town.path) and village.depth == 5
        assert (village.lv3_id, village.lv4_id, village.lv5_id) == (tree.county.pk, town.pk, village.pk)
        assert town.pinyin == "halezhen" and town.area_type == "pastoral"
        assert Unit.objects.get(pk=tree.county.pk).sub_units == 9
        assert Unit.objects.get(pk=tree.region.pk).sub_units == len(tree.units) + 3
        assert AuditEvent.objects.filter(verb="unit.import").count() == 1
        again = run("units", rows, actor=personas["county_office"], scope=[tree.county.path])
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    def test_update_and_move_through_unit_move(self, tree):
        make_member(tree.village, "M1")
        other_town = make_unit(
            tree.county, "150125102", "二份子乡", Level.TOWNSHIP, Kind.LEADERSHIP, "township"
        )
        rows = [unit_row("150125100201", "东土城村（新）", "150125102", "嘎查村社区", "嘎查村", "村")]
        report = run("units", rows)
        assert report.ok, reasons(report)
        assert (report.updated, report.moved) == (1, 1)
        village = Unit.objects.get(pk=tree.village.pk)
        assert village.parent_id == other_town.pk and village.name == "东土城村（新）"
        assert village.path.startswith(other_town.path) and village.lv4_id == other_town.pk
        assert Member.objects.get(code="M1").path == village.path
        assert Unit.objects.get(pk=other_town.pk).sub_members == 1
        assert Unit.objects.get(pk=tree.township.pk).sub_members == 0
        assert AuditEvent.objects.filter(verb="unit.move", object_id=str(village.pk)).exists()

    def test_unknown_parent_code(self, tree):
        report = run("units", [unit_row("X1", "某站", "NOPE", "旗县市区", "站所")])
        assert reasons(report) == [(2, "上级组织代码", "找不到上级组织代码“NOPE”。")]

    def test_a_bad_parent_row_is_reported_once(self, tree):
        rows = [
            unit_row("P1", "甲镇", "150125", "乡镇", "领导班子", "镇"),  # not a level: the row is left out
            unit_row("C1", "甲村", "P1", "嘎查村社区", "嘎查村", "村"),
        ]
        report = run("units", rows)
        assert [(e.row, e.column) for e in report.errors] == [(2, "层级")], reasons(report)

    def test_parent_cycle_inside_the_file(self, tree):
        rows = [
            unit_row("A1", "甲站", "B1", "旗县市区", "站所"),
            unit_row("B1", "乙站", "A1", "旗县市区", "站所"),
            unit_row("C1", "丙站", "150125", "旗县市区", "站所"),
        ]
        before = snapshot()
        report = run("units", rows)
        assert has_error(report, 2, "上级组织代码", "循环") and has_error(report, 3, "上级组织代码", "循环")
        assert snapshot() == before

    def test_move_under_own_descendant_is_a_cycle(self, tree):
        rows = [unit_row("150125100", "可可以力更镇", "150125100201", "苏木乡镇街道", "领导班子", "镇")]
        report = run("units", rows)
        assert has_error(report, 2, "上级组织代码", "循环"), reasons(report)

    @pytest.mark.parametrize(
        "row,column,text",
        [
            (unit_row("X1", "错村", "150125", "嘎查村社区", "嘎查村", "村"), "层级", "不能直接设在"),
            (unit_row("X1", "错镇", "150100", "苏木乡镇街道", "领导班子", "镇"), "层级", "不能直接设在"),
            (unit_row("X1", "错机关", "150125", "苏木乡镇街道", "党政机关"), "层级", "必须与上级组织相同"),
            (unit_row("X1", "错旗", "150125-O01", "嘎查村社区", "领导班子"), "层级", "上级必须是区划单位"),
            (unit_row("X1", "错区划", "150125", "苏木乡镇街道", "领导班子", "旗"), "区划类型", "不符"),
        ],
    )
    def test_level_must_fit_under_parent(self, tree, row, column, text):
        report = run("units", [row])
        assert has_error(report, 2, column, text), reasons(report)
        assert not Unit.objects.filter(code="X1").exists()

    def test_duplicate_code_and_required_fields(self, tree):
        rows = [
            unit_row("X1", "甲站", "150125", "旗县市区", "站所"),
            unit_row("X1", "乙站", "150125", "旗县市区", "站所"),
            unit_row("X2", "", "150125", "", "站所"),
        ]
        report = run("units", rows)
        assert has_error(report, 3, "组织代码", "在文件中重复")
        assert has_error(report, 4, "名称", "必填") and has_error(report, 4, "层级", "必填")

    def test_parent_outside_subtree_and_unit_outside_subtree(self, tree, personas):
        user = personas["county_office"]
        rows = [
            unit_row("X1", "越界站", "150222", "旗县市区", "站所"),
            unit_row("150222", "固阳县", "150200", "旗县市区", "领导班子", "县"),
        ]
        report = run("units", rows, actor=user, scope=[tree.county.path])
        assert has_error(report, 2, "上级组织代码", "不在您的管理范围内")
        assert has_error(report, 3, "组织代码", "不在您的管理范围内")

    def test_root_row_of_the_subtree_is_accepted_unchanged(self, tree, personas):
        rows = list(exports.unit_rows(exports.unit_queryset(personas["county_office"], tree.county)))
        report = run("units", rows, actor=personas["county_office"], scope=[tree.county.path])
        assert report.ok, reasons(report)
        assert (report.created, report.updated, report.unchanged) == (0, 0, 6)

    def test_level_of_existing_unit_cannot_change(self, tree):
        report = run(
            "units", [unit_row("150125-O01", "武川县委组织部", "150125100", "苏木乡镇街道", "党政机关")]
        )
        assert has_error(report, 2, "层级", "不能通过导入修改")

    def test_new_root_only_for_the_system(self, tree, personas):
        row = unit_row("160000", "另一个自治区", "", "自治区", "领导班子", "自治区")
        assert has_error(
            run("units", [row], actor=personas["region_office"], scope=[tree.region.path]),
            2,
            "上级组织代码",
            "只有系统管理员",
        )
        assert run("units", [row]).ok

    def test_not_a_spreadsheet_and_friends(self, tree):
        cases = {
            "picture.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "不是电子表格"),
            "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "不支持旧版 Excel"),
            "renamed.csv": (xlsx_bytes(UNIT_HEADER, []).getvalue(), "扩展名"),
            "renamed.xlsx": ("组织代码,名称\n".encode(), "扩展名"),
            "empty.csv": (b"", "空"),
            "broken.xlsx": (b"PK\x03\x04" + b"\x00" * 200, "不是 Excel 工作簿"),
        }
        for name, (content, text) in cases.items():
            with pytest.raises(tabular.UploadError, match=text):
                import_file(
                    kind="units",
                    fileobj=io.BytesIO(content),
                    name=name,
                    actor=None,
                    scope=None,
                    dry_run=False,
                )

    def test_oversized_file(self, tree):
        data = csv_bytes(
            UNIT_HEADER, [unit_row(f"X{i}", "站", "150125", "旗县市区", "站所") for i in range(50)]
        )
        with pytest.raises(tabular.UploadError, match="文件过大"):
            import_file(
                kind="units",
                fileobj=data,
                name="big.csv",
                actor=None,
                scope=None,
                dry_run=False,
                max_bytes=100,
            )
        assert not Unit.objects.filter(code="X1").exists()

    def test_error_sheet_is_the_upload_with_an_error_column(self, tree):
        rows = [
            unit_row("X1", "甲站", "150125", "旗县市区", "站所"),
            unit_row("X2", "乙站", "NOPE", "旗县市区", "站所"),
        ]
        data = xlsx_bytes(UNIT_HEADER, rows)
        report = import_file(kind="units", fileobj=data, name="u.xlsx", actor=None, scope=None, dry_run=True)
        out = io.BytesIO()
        imports.write_error_sheet(data, "xlsx", report, out)
        out.seek(0)
        ws = load_workbook(out).worksheets[0]
        values = [[c.value for c in row] for row in ws.iter_rows()]
        assert values[0] == [*UNIT_HEADER, "错误原因"]
        assert values[1][0] == "X1" and not values[1][-1]
        assert values[2][0] == "X2" and "找不到上级组织代码" in values[2][-1]


@pytest.mark.django_db
class TestCommands:
    def write(self, tmp_path, name: str, header: list[str], rows: list[list[Any]]):
        path = tmp_path / name
        path.write_bytes(csv_bytes(header, rows).getvalue())
        return path

    def test_import_members_reports_rows_and_exits_non_zero(self, tree, tmp_path, capsys):
        path = self.write(
            tmp_path, "m.csv", MEMBER_HEADER, [member_row("M1"), member_row("M2", 出生日期="2014-02-30")]
        )
        with pytest.raises(CommandError, match="1 处错误"):
            call_command("import_members", str(path))
        err = capsys.readouterr().err
        assert "第 3 行「出生日期」：日期不存在" in err
        assert not Member.objects.exists()

    def test_import_members_dry_run_then_real(self, tree, tmp_path, capsys):
        path = self.write(tmp_path, "m.csv", MEMBER_HEADER, [member_row("M1"), member_row("M2")])
        call_command("import_members", str(path), "--dry-run")
        assert "新增 2" in capsys.readouterr().out and not Member.objects.exists()
        call_command("import_members", str(path))
        assert Member.objects.count() == 2
        assert AuditEvent.objects.get(verb="member.import").channel == "cli"

    def test_import_with_user_is_scoped(self, tree, personas, tmp_path, capsys):
        path = self.write(tmp_path, "m.csv", MEMBER_HEADER, [member_row("M1", "150222100201")])
        with pytest.raises(CommandError):
            call_command("import_members", str(path), "--user", "village_secretary")
        assert "不在您的管理范围内" in capsys.readouterr().err
        with pytest.raises(CommandError, match="没有导入权限"):
            call_command("import_members", str(path), "--user", "liaison_leader")
        with pytest.raises(CommandError, match="找不到用户"):
            call_command("import_members", str(path), "--user", "nobody")

    def test_import_units_command(self, tree, tmp_path, capsys):
        path = self.write(
            tmp_path, "u.csv", UNIT_HEADER, [unit_row("X1", "新站", "150125", "旗县市区", "站所")]
        )
        call_command("import_units", str(path))
        assert Unit.objects.get(code="X1").parent_id == tree.county.pk
        assert "新增 1" in capsys.readouterr().out

    def test_refused_file(self, tree, tmp_path):
        path = tmp_path / "x.xls"
        path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 10)
        with pytest.raises(CommandError, match="旧版 Excel"):
            call_command("import_units", str(path))
