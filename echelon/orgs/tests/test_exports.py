"""Exports: scoped querysets, template columns, neutralised cells, the row limit of a sheet, the commands."""

from __future__ import annotations

import csv
import io
import types

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from echelon.conftest import make_member, make_unit
from echelon.orgs import exports, imports
from echelon.orgs.models import Kind, Level, Member, Unit
from echelon.orgs.tests.test_imports import MEMBER_HEADER, UNIT_HEADER


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.django_db
class TestQuerysets:
    def test_scoped_to_the_user_and_the_unit(self, tree, personas):
        make_member(tree.village, "V1")
        make_member(tree.sibling_village, "S1")
        region = Unit.objects.get(pk=tree.region.pk)
        assert set(
            exports.member_queryset(personas["region_office"], region).values_list("code", flat=True)
        ) == {
            "V1",
            "S1",
        }
        # a grant lower down: exporting from the region page still yields only the granted subtree
        assert list(
            exports.member_queryset(personas["county_office"], region).values_list("code", flat=True)
        ) == ["V1"]
        assert not exports.member_queryset(personas["liaison_leader"], region).exists()  # no export action
        assert not exports.unit_queryset(personas["outsider"], tree.county).exists()

    def test_participating_scope_counts_mobile_members_at_the_inflow_unit(self, tree):
        make_member(tree.sibling_village, "IN1", inflow=tree.village)
        make_member(tree.village, "OUT1", inflow=tree.sibling_village)
        home = exports.member_queryset(None, tree.county)
        part = exports.member_queryset(None, tree.county, scope="participating")
        assert list(home.values_list("code", flat=True)) == ["OUT1"]
        assert list(part.values_list("code", flat=True)) == ["IN1"]

    def test_inactive_units_are_not_exported(self, tree):
        other = make_unit(tree.township, "150125100202", "西土城村", Level.VILLAGE, Kind.VILLAGE, "village")
        from echelon.orgs import services

        services.unit_merge(actor=None, source=other, target=tree.village)
        codes = list(exports.unit_queryset(None, tree.township).values_list("code", flat=True))
        assert codes == ["150125100", "150125100201"]

    def test_rows_are_streamed_from_an_iterator(self, tree, django_assert_max_num_queries):
        for i in range(30):
            make_member(tree.village, f"M{i:02d}")
        rows = exports.member_rows(exports.member_queryset(None, tree.region))
        assert isinstance(rows, types.GeneratorType)
        with django_assert_max_num_queries(2):
            assert len(list(rows)) == 30


@pytest.mark.django_db
class TestWriters:
    def test_member_columns_are_the_template_columns_with_labels(self, tree):
        make_member(tree.community, "M1", "王芳", inflow=tree.village)
        data = b"".join(
            exports.iter_csv("members", exports.member_rows(exports.member_queryset(None, tree.region)))
        )
        rows = read_csv(data)
        assert rows[0] == MEMBER_HEADER
        assert rows[1] == [
            "M1",
            "王芳",
            "男",
            "汉族",
            "1980-01-01",
            "2005-07-01",
            "正式党员",
            "",
            "150125001001",
            "是",
            "150125100201",
        ]

    def test_unit_columns(self, tree):
        data = b"".join(
            exports.iter_csv("units", exports.unit_rows(exports.unit_queryset(None, tree.county)))
        )
        rows = read_csv(data)
        assert rows[0] == UNIT_HEADER
        assert rows[1] == ["150125", "武川县", "150100", "旗县市区", "领导班子", "县", "农区", "", "属地"]
        assert ["150125-O01", "武川县委组织部", "150125", "旗县市区", "党政机关", "", "", "", "属地"] in rows

    def test_every_formula_prefix_is_neutralised_in_csv_and_xlsx(self, tree):
        names = ["=1+1", "+1", "-1", "@SUM(A1)"]
        for i, name in enumerate(names):
            make_member(tree.village, f"M{i}", name)
        qs = exports.member_queryset(None, tree.region).order_by("code")
        csv_rows = read_csv(b"".join(exports.iter_csv("members", exports.member_rows(qs))))
        assert [r[1] for r in csv_rows[1:]] == ["'" + n for n in names]
        out = io.BytesIO()
        exports.write_xlsx("members", exports.member_rows(qs), out)
        out.seek(0)
        ws = load_workbook(out).worksheets[0]
        assert [ws.cell(row=i + 2, column=2).value for i in range(4)] == ["'" + n for n in names]
        assert all(ws.cell(row=i + 2, column=2).data_type == "s" for i in range(4))

    def test_xlsx_is_the_template(self, tree):
        out = io.BytesIO()
        exports.write_xlsx("members", iter(()), out)
        out.seek(0)
        wb = load_workbook(out)
        ws = wb.worksheets[0]
        assert [c.value for c in ws[1]] == MEMBER_HEADER and all(c.font.b for c in ws[1])
        assert ws.freeze_panes == "A2"
        help_sheet = [[c.value for c in r] for r in wb["说明"].iter_rows()]
        assert help_sheet[0][:3] == ["列名", "是否必填", "说明"]
        assert [r[0] for r in help_sheet[1 : len(MEMBER_HEADER) + 1]] == MEMBER_HEADER
        lists = {str(dv.sqref)[0] for dv in ws.data_validations.dataValidation}
        assert lists == {"C", "D", "G", "J"}  # 性别, 民族, 党员类别, 是否流动党员
        codes = wb["代码表"]
        assert [c.value for c in codes["A"]][:3] == ["性别", "男", "女"]

    def test_more_rows_than_a_sheet_holds_is_refused(self, tree, monkeypatch):
        monkeypatch.setattr(exports, "XLSX_MAX_DATA_ROWS", 2)
        with pytest.raises(exports.ExportTooLarge):
            exports.write_xlsx(
                "units", exports.unit_rows(exports.unit_queryset(None, tree.region)), io.BytesIO()
            )


@pytest.mark.django_db
class TestCommands:
    def test_export_members_csv_and_xlsx_under(self, tree, tmp_path, capsys):
        make_member(tree.village, "V1")
        make_member(tree.sibling_village, "S1")
        call_command("export_members", str(tmp_path / "all.csv"))
        assert sorted(r[0] for r in read_csv((tmp_path / "all.csv").read_bytes())[1:]) == ["S1", "V1"]
        call_command("export_members", str(tmp_path / "county.xlsx"), "--under", "150125")
        ws = load_workbook(tmp_path / "county.xlsx").worksheets[0]
        assert [r[0].value for r in ws.iter_rows(min_row=2)] == ["V1"]
        assert "已导出 1 行" in capsys.readouterr().out

    def test_export_units_round_trips_through_import_units(self, tree, tmp_path, capsys):
        path = tmp_path / "units.xlsx"
        call_command("export_units", str(path))
        before = list(Unit.objects.order_by("id").values_list())
        call_command("import_units", str(path))
        assert f"未变 {len(tree.units)}" in capsys.readouterr().out
        assert list(Unit.objects.order_by("id").values_list()) == before

    def test_export_then_import_members_changes_nothing(self, tree, tmp_path, capsys):
        for i in range(5):
            make_member(tree.village, f"M{i}", inflow=tree.community if i % 2 else None)
        path = tmp_path / "m.csv"
        call_command("export_members", str(path), "--under", "150000")
        before = list(Member.objects.order_by("id").values_list())
        call_command("import_members", str(path))
        assert "未变 5" in capsys.readouterr().out
        assert list(Member.objects.order_by("id").values_list()) == before

    def test_bad_arguments(self, tree, tmp_path):
        with pytest.raises(CommandError, match=r"\.csv 或 \.xlsx"):
            call_command("export_units", str(tmp_path / "x.pdf"))
        with pytest.raises(CommandError, match="找不到组织代码"):
            call_command("export_units", str(tmp_path / "x.csv"), "--under", "NOPE")

    def test_too_many_rows_for_xlsx(self, tree, tmp_path, monkeypatch):
        monkeypatch.setattr(exports, "XLSX_MAX_DATA_ROWS", 2)
        with pytest.raises(CommandError, match="行数上限"):
            call_command("export_units", str(tmp_path / "x.xlsx"))
        assert not (tmp_path / "x.xlsx").exists()


def test_columns_are_shared_by_template_import_and_export():
    assert exports.header("units") == [c.label for c in imports.UNIT_COLUMNS]
    assert exports.header("members") == [c.label for c in imports.MEMBER_COLUMNS]
