"""One column definition per entity (``orgs.columns``): the import, the export, the import template, the list
tables, the API and the audit snapshots all take their columns from it, and a column added there shows up
in each of them."""

from __future__ import annotations

import dataclasses
import io

import pytest
from openpyxl import load_workbook

from echelon.conftest import make_member
from echelon.orgs import columns, exports, imports, services, tables
from echelon.orgs.api import serializers
from echelon.orgs.columns import MEMBER, UNIT, Column, Entity, Type
from echelon.orgs.imports import members, staging, units
from echelon.orgs.models import Member

ENTITIES = [UNIT, MEMBER]


def names(cols: tuple[Column, ...]) -> list[str]:
    return [c.name for c in cols]


def template(kind: str) -> tuple[list[str], list[str], int]:
    """The header, the 说明 sheet's column names and the number of drop-down lists of an empty template."""
    out = io.BytesIO()
    exports.write_xlsx(kind, iter(()), out)
    out.seek(0)
    wb = load_workbook(out)
    ws = wb.worksheets[0]
    head = [c.value for c in ws[1]]
    explained = [r[0].value for r in wb["说明"].iter_rows(min_row=2, max_row=len(head) + 1)]
    return head, explained, len(ws.data_validations.dataValidation)


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.kind)
class TestEveryPlaceReadsTheDefinition:
    def test_files(self, entity: Entity):
        labels = [c.label for c in entity.columns if c.label]
        assert exports.header(entity.kind) == labels
        head, explained, lists = template(entity.kind)
        assert head == explained == labels
        assert lists == sum(1 for c in entity.file_columns if c.choices)
        imported = imports.UNIT_COLUMNS if entity is UNIT else imports.MEMBER_COLUMNS
        assert [c.label for c in imported] == labels

    def test_tables_show_the_columns_flagged_table(self, entity: Entity):
        table = tables.UnitTable if entity is UNIT else tables.MemberTable
        assert list(table.base_columns) == [c.name for c in entity.columns if c.table]
        assert [str(col.verbose_name) for col in table.base_columns.values()] == [
            str(c.title) for c in entity.table_columns
        ]

    def test_serializers_serve_the_columns_flagged_api(self, entity: Entity):
        serializer = serializers.UnitSerializer if entity is UNIT else serializers.MemberSerializer
        expected = []
        for c in entity.columns:
            if c.api:
                expected.append(f"{c.name}_code" if c.type is Type.UNIT else c.name)
                if c.display:
                    expected.append(f"{c.name}_display")
        assert list(serializer.Meta.fields) == expected
        assert list(serializer().fields) == expected

    def test_audit_snapshots_record_the_file_columns(self, entity: Entity):
        fields = services.UNIT_FIELDS if entity is UNIT else services.MEMBER_FIELDS
        assert fields == [c.attname for c in entity.file_columns]

    def test_the_row_parsers_read_every_file_column(self, entity: Entity):
        cells = units.UNIT_CELLS if entity is UNIT else members.MEMBER_CELLS
        assert sorted(names(cells)) == sorted(names(entity.file_columns))


def test_the_staging_table_holds_the_member_file_columns():
    assert set(staging.MEMBER_VALUE_COLUMNS) == {*MEMBER.attnames, "path", "part_path"}


def test_flags_leave_a_column_out_of_a_place_but_not_out_of_the_others():
    phone, rollup = MEMBER["phone"], UNIT["sub_members"]
    assert phone.label in exports.header("members") and not phone.table and phone.api
    assert (
        "phone" not in tables.MemberTable.base_columns and "phone" in serializers.MemberSerializer.Meta.fields
    )
    assert not rollup.label and "sub_members" in tables.UnitTable.base_columns
    assert "sub_members" in serializers.UnitSerializer.Meta.fields


@pytest.mark.django_db
def test_a_column_added_to_the_definition_shows_up_everywhere(tree, monkeypatch):
    added = Column("updated_at", "更新时间", Type.DATE, help="最后一次修改的日期。", heading="更新时间")
    extended = dataclasses.replace(MEMBER, columns=(*MEMBER.columns, added))
    monkeypatch.setitem(columns.ENTITIES, "members", extended)
    make_member(tree.village, "M1")

    # export and template
    assert exports.header("members") == [*MEMBER.header(), "更新时间"]
    head, explained, _lists = template("members")
    assert head[-1] == explained[-1] == "更新时间"
    [row] = list(exports.rows_for("members", Member.objects.all()))
    assert len(row) == len(head) and row[-1] == Member.objects.get().updated_at
    # import: the header must hold it (and an export holding it is read back)
    report = imports.ImportReport(kind="members")
    old_file = io.BytesIO(b"".join(exports.iter_csv("members", iter(()))).replace("更新时间".encode(), b"x"))
    assert list(imports.read_table(old_file, "csv", extended.file_columns, report)) == []
    assert any(e.column == "更新时间" and "缺少列" in e.reason for e in report.errors)
    report = imports.ImportReport(kind="members")
    data = io.BytesIO(
        b"".join(exports.iter_csv("members", exports.rows_for("members", Member.objects.all())))
    )
    [(_number, cells)] = list(imports.read_table(data, "csv", extended.file_columns, report))
    assert report.ok and cells[-1] == Member.objects.get().updated_at.isoformat()
    # table and API
    assert list(tables.columns_table(extended).base_columns)[-1] == "updated_at"
    serializer = serializers.serializer_for(extended)
    assert serializer.Meta.fields[-1] == "updated_at"
    assert "updated_at" in serializer(Member.objects.get()).data
