"""Members' round trip for any office (issue 10, item 7): an unchanged export re-imports with 0 errors and
0 changes, whoever exports, although mobile members work in units outside the exporter's subtree.

The rule (``imports.parsing.inflow_out_of_scope``): an inflow unit outside the importer's subtree is
accepted when the member already has it (kept unchanged); setting a new one there is refused. (An export
holds only members whose home unit the exporter sees, also the export of those taking part here: a member
held elsewhere is never in it, and stays refused.)
"""

from __future__ import annotations

import io

import pytest

from echelon.conftest import make_member
from echelon.core.models import AuditEvent
from echelon.orgs import exports
from echelon.orgs.imports import MEMBER_COLUMNS, import_file
from echelon.orgs.models import Member
from echelon.orgs.tests.test_imports import member_row, run

HEADER = [c.label for c in MEMBER_COLUMNS]


@pytest.fixture
def mobile(tree):
    """Members of 武川县 and of 包头市, some working across the league border, one a blind spot."""
    make_member(tree.village, "V1")
    make_member(tree.village, "V2", inflow=tree.sibling_village)  # works in 包头市
    make_member(tree.village, "V3", inflow=tree.community)  # works inside the county
    make_member(tree.community, "V4", mobile=True)  # a blind spot
    make_member(tree.sibling_village, "S1", inflow=tree.village)  # from 包头市, works in 武川县
    make_member(tree.sibling_village, "S2")
    return tree


def export_xlsx(user, root, scope: str = "home") -> io.BytesIO:
    out = io.BytesIO()
    exports.write_xlsx("members", exports.member_rows(exports.member_queryset(user, root, scope=scope)), out)
    out.seek(0)
    return out


def reimport(user, root, *, dry_run: bool, scope: str = "home"):
    return import_file(
        kind="members",
        fileobj=export_xlsx(user, root, scope),
        name="党员导出.xlsx",
        actor=user,
        scope=user.scope_paths("import"),
        dry_run=dry_run,
    )


@pytest.mark.parametrize(
    ("persona", "root", "scope", "rows"),
    [
        ("county_office", "county", "home", 4),
        ("league_office", "league", "home", 4),
        ("region_office", "region", "home", 6),
        # those taking part here, of the members the office holds: V2 works in 包头市 and is not here
        ("county_office", "county", "participating", 3),
        ("league_office", "league", "participating", 3),
        ("region_office", "region", "participating", 6),
    ],
)
def test_an_unchanged_export_reimports_with_no_error_and_no_change(
    mobile, personas, persona, root, scope, rows
):
    user, unit = personas[persona], getattr(mobile, root)
    before = list(Member.objects.order_by("id").values_list())
    events = AuditEvent.objects.count()
    preview = reimport(user, unit, dry_run=True, scope=scope)
    assert preview.error_count == 0, preview.errors
    assert (preview.rows, preview.created, preview.updated, preview.unchanged) == (rows, 0, 0, rows)
    applied = reimport(user, unit, dry_run=False, scope=scope)
    assert applied.error_count == 0 and applied.applied
    assert (applied.created, applied.updated, applied.unchanged) == (0, 0, rows)
    assert list(Member.objects.order_by("id").values_list()) == before
    assert AuditEvent.objects.count() == events  # nothing changed: nothing written, not even an event


def county(personas):
    user = personas["county_office"]
    return {"actor": user, "scope": user.scope_paths("import")}


def test_a_kept_inflow_outside_the_scope_goes_with_other_changes(mobile, personas):
    report = run(
        "members",
        [member_row("V2", 是否流动党员="是", 流入组织代码="150222100201", 联系电话="13900000000")],
        **county(personas),
    )
    assert report.error_count == 0, report.errors
    assert (report.updated, report.applied) == (1, True)
    member = Member.objects.get(code="V2")
    assert (member.phone, member.inflow_unit.code) == ("13900000000", "150222100201")


@pytest.mark.parametrize(
    ("code", "why"),
    [("V1", "a settled member sent to work outside"), ("V3", "moved from inside to outside"), ("N1", "new")],
)
def test_a_new_inflow_outside_the_scope_is_refused(mobile, personas, code, why):
    before = list(Member.objects.order_by("id").values_list())
    report = run(
        "members", [member_row(code, 是否流动党员="是", 流入组织代码="150222100201")], **county(personas)
    )
    assert report.error_count == 1, why
    (error,) = report.errors
    assert error.column == "流入组织代码"
    assert "不在您的管理范围内" in error.reason and "150222100201" in error.reason
    assert not report.applied
    assert list(Member.objects.order_by("id").values_list()) == before


def test_the_kept_inflow_unit_must_still_be_the_same_unit(mobile, personas, tree):
    """V2 works in 金山村; a file naming 固阳县 (also outside) as its inflow unit is a new reference."""
    report = run("members", [member_row("V2", 是否流动党员="是", 流入组织代码="150222")], **county(personas))
    assert report.error_count == 1 and "不在您的管理范围内" in report.errors[0].reason


def test_the_home_unit_stays_inside_the_scope(mobile, personas):
    report = run("members", [member_row("N2", unit="150222100201")], **county(personas))
    assert report.error_count == 1 and report.errors[0].column == "所在组织代码"


def test_a_member_held_elsewhere_is_refused_even_unchanged(mobile, personas):
    """S1 (home 金山村) works in 东土城村: the county sees it take part, but does not hold it."""
    row = member_row("S1", unit="150222100201", 姓名="张三", 性别="男", 民族="汉族", 出生日期="1980-01-01")
    report = run("members", [[*row[:-2], "是", "150125100201"]], **county(personas))
    assert report.error_count == 1 and report.errors[0].column == "所在组织代码", report.errors
