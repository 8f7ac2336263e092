"""On-screen editing of units and members (``orgs.editing``): the importer's checks with the same words, the
services' audit events, nothing half-written; and a new unit joining a running campaign."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from echelon.campaigns import progress
from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import Participation, PlanPhase, ProgressCount, ProgressDay
from echelon.conftest import make_member
from echelon.core.models import AuditEvent
from echelon.orgs import editing, services
from echelon.orgs.imports import MEMBER_COLUMNS, UNIT_COLUMNS
from echelon.orgs.models import Member, Unit
from echelon.orgs.tests.test_imports import run
from echelon.supervision.tests.helpers import BUILTIN


def unit_cells(**over):
    cells = {
        "code": "150125100202",
        "name": "西土城村",
        "parent": "150125100",
        "level": "5",
        "kind": "village",
        "division": "village",
        "area_type": "",
        "industry": "",
        "lead_by": "",
    }
    cells.update(over)
    return cells


def member_cells(**over):
    cells = {
        "code": "E1",
        "name": "王芳",
        "gender": "f",
        "ethnicity": "蒙古族",
        "birth_date": "1985-03-08",
        "joined_date": "2010-07-01",
        "status": "full",
        "phone": "13800000000",
        "unit": "150125100201",
        "is_mobile": "否",
        "inflow_unit": "",
    }
    cells.update(over)
    return cells


def as_row(columns, cells):
    return [cells[c.name] for c in columns]


def reasons(exc: ValidationError) -> dict[str, list[str]]:
    return {k: sorted(v) for k, v in exc.message_dict.items()}


def import_reasons(kind, columns, cells, user) -> dict[str, list[str]]:
    report = run(kind, [as_row(columns, cells)], actor=user, scope=user.scope_paths("change"))
    by_label = {c.label: c.name for c in columns}
    found: dict[str, list[str]] = {}
    for e in report.errors:
        found.setdefault(by_label.get(e.column, "__all__"), []).append(e.reason)
    return {k: sorted(v) for k, v in found.items()}


def state():
    return (
        list(Unit.objects.order_by("id").values_list()),
        list(Member.objects.order_by("id").values_list()),
        AuditEvent.objects.count(),
    )


# --- units ------------------------------------------------------------------------------------------------


def test_a_unit_is_created_under_a_parent_of_the_office_and_audited(tree, personas):
    count = Unit.objects.get(pk=tree.township.pk).sub_units
    unit = editing.unit_save(actor=personas["county_office"], cells=unit_cells())
    assert (unit.parent, unit.path.startswith(tree.township.path), unit.initials) == (
        tree.township,
        True,
        "xtcc",
    )
    event = AuditEvent.objects.get(verb="unit.create", object_id=str(unit.pk))
    assert event.actor == personas["county_office"] and event.after["name"] == "西土城村"
    assert Unit.objects.get(pk=tree.township.pk).sub_units == count + 1


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        (unit_cells(level="7"), "level"),
        (unit_cells(kind="farm"), "kind"),
        (unit_cells(parent="NOPE"), "parent"),
        (unit_cells(parent="150222100"), "parent"),  # 金山镇: another league
        (unit_cells(level="4", kind="leadership", division="town"), "level"),  # a township under a township
        (unit_cells(division="county"), "division"),
        (unit_cells(code="东土城"), "code"),
        (unit_cells(name=""), "name"),
        (unit_cells(parent=""), "parent"),  # a new root
    ],
)
def test_a_unit_is_refused_with_the_words_of_the_import(tree, personas, cells, field):
    user = personas["county_office"]
    before = state()
    with pytest.raises(ValidationError) as caught:
        editing.unit_save(actor=user, cells=cells)
    assert field in caught.value.message_dict
    assert reasons(caught.value) == import_reasons("units", UNIT_COLUMNS, cells, user)
    assert state() == before


def test_moving_a_unit_under_its_own_subtree_is_a_cycle(tree, personas):
    before = state()
    cells = editing.unit_cells(tree.township)
    with pytest.raises(ValidationError) as caught:
        editing.unit_save(
            actor=personas["county_office"], cells={**cells, "parent": tree.village.code}, unit=tree.township
        )
    (message,) = caught.value.message_dict["parent"]
    assert "循环" in message and tree.township.code in message
    assert state() == before


def test_a_changed_parent_moves_and_other_changes_update_in_one_go(tree, personas):
    user = personas["county_office"]
    cells = {**editing.unit_cells(tree.village), "parent": tree.community_township.code, "name": "东土城嘎查"}
    unit = editing.unit_save(actor=user, cells=cells, unit=tree.village)
    assert (unit.parent_id, unit.name, unit.path.startswith(tree.community_township.path)) == (
        tree.community_township.pk,
        "东土城嘎查",
        True,
    )
    verbs = list(
        AuditEvent.objects.filter(object_id=str(unit.pk)).order_by("id").values_list("verb", flat=True)
    )
    assert verbs[-2:] == ["unit.move", "unit.update"]


def test_the_code_and_level_of_a_unit_are_its_identity(tree, personas):
    unit = editing.unit_save(
        actor=personas["county_office"],
        cells={**editing.unit_cells(tree.village), "code": "X9", "level": "4"},
        unit=tree.village,
    )
    assert (unit.code, unit.level) == (tree.village.code, tree.village.level)
    assert not AuditEvent.objects.filter(
        verb="unit.update", object_id=str(unit.pk)
    ).exists()  # nothing changed


def test_an_existing_code_is_not_a_new_unit(tree, personas):
    with pytest.raises(ValidationError) as caught:
        editing.unit_save(actor=personas["county_office"], cells=unit_cells(code=tree.sibling_village.code))
    assert "已存在" in caught.value.message_dict["code"][0]


def test_a_refusing_hook_leaves_nothing_half_written(tree, personas, monkeypatch):
    def refuse(*, actor, units):
        raise ValidationError("不行")

    monkeypatch.setattr(services, "_units_created_hooks", [*services._units_created_hooks, refuse])
    before = state()
    with pytest.raises(ValidationError):
        editing.unit_save(actor=personas["county_office"], cells=unit_cells())
    assert state() == before


# --- members ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        (member_cells(birth_date="2020-02-30"), "birth_date"),
        (member_cells(joined_date="1980-01-01"), "joined_date"),  # before birth
        (member_cells(joined_date="2999-01-01"), "joined_date"),
        (member_cells(birth_date="1.2.3"), "birth_date"),
        (member_cells(unit="150222100201"), "unit"),  # another league
        (member_cells(inflow_unit="150125001001"), "inflow_unit"),  # not mobile
        (member_cells(is_mobile="是", inflow_unit="150125100201"), "inflow_unit"),  # the home unit
        (member_cells(gender="x"), "gender"),
        (member_cells(phone="abc"), "phone"),
        (member_cells(name=""), "name"),
    ],
)
def test_a_member_is_refused_with_the_words_of_the_import(tree, personas, cells, field):
    user = personas["county_office"]
    before = state()
    with pytest.raises(ValidationError) as caught:
        editing.member_save(actor=user, cells=cells)
    assert field in caught.value.message_dict
    assert reasons(caught.value) == import_reasons("members", MEMBER_COLUMNS, cells, user)
    assert state() == before


def test_a_member_is_created_edited_transferred_and_marked_mobile(tree, personas):
    user = personas["county_office"]
    member = editing.member_save(actor=user, cells=member_cells())
    assert AuditEvent.objects.filter(verb="member.create", object_id=str(member.pk)).count() == 1
    cells = editing.member_cells(member)
    member = editing.member_save(actor=user, cells={**cells, "unit": tree.community.code}, member=member)
    assert (member.unit, member.path) == (tree.community, tree.community.path)
    member = editing.member_save(
        actor=user,
        cells={**editing.member_cells(member), "is_mobile": "是", "inflow_unit": tree.village.code},
        member=member,
    )
    assert (member.is_mobile, member.inflow_unit, member.part_path) == (True, tree.village, tree.village.path)
    assert Unit.objects.get(pk=tree.village.pk).participants_here == 1
    event = AuditEvent.objects.filter(verb="member.update", object_id=str(member.pk)).latest("id")
    assert event.after == {"is_mobile": True, "inflow_unit_id": tree.village.pk}
    # marked mobile without an inflow unit: a blind spot
    member = editing.member_save(
        actor=user, cells={**editing.member_cells(member), "inflow_unit": ""}, member=member
    )
    assert member.is_blind_spot and Unit.objects.get(pk=tree.county.pk).sub_blind == 1


def test_a_member_cannot_be_transferred_out_of_the_scope(tree, personas):
    member = make_member(tree.village, "T1")
    before = state()
    with pytest.raises(ValidationError) as caught:
        editing.member_save(
            actor=personas["township_operator"],
            cells={**editing.member_cells(member), "unit": tree.community.code},
            member=member,
        )
    assert "不在您的管理范围内" in caught.value.message_dict["unit"][0]
    assert state() == before


def test_an_inflow_unit_outside_the_scope_is_kept_not_set(tree, personas):
    user = personas["county_office"]
    kept = make_member(tree.village, "K1", inflow=tree.sibling_village)
    settled = make_member(tree.village, "K2")
    kept = editing.member_save(
        actor=user, cells={**editing.member_cells(kept), "phone": "13911112222"}, member=kept
    )
    assert (kept.phone, kept.inflow_unit) == ("13911112222", tree.sibling_village)
    before = state()
    for member in (settled, None):
        cells = {**editing.member_cells(settled), "is_mobile": "是", "inflow_unit": tree.sibling_village.code}
        if member is None:
            cells["code"] = "K3"
        with pytest.raises(ValidationError) as caught:
            editing.member_save(actor=user, cells=cells, member=member)
        assert "不在您的管理范围内" in caught.value.message_dict["inflow_unit"][0]
    assert state() == before


def test_an_existing_member_code_is_not_a_new_member(tree, personas):
    make_member(tree.sibling_village, "S9")
    with pytest.raises(ValidationError) as caught:
        editing.member_save(actor=personas["county_office"], cells=member_cells(code="S9"))
    assert "已存在" in caught.value.message_dict["code"][0]


# --- a new unit joins a running campaign ------------------------------------------------------------------


@pytest.fixture
def running(tree):
    """The 2014 template on the region, its second batch running today."""
    today = timezone.localdate()
    template = campaign_services.template_for_use(actor=None, name=BUILTIN)
    campaign = campaign_services.campaign_create(
        actor=None,
        spec=template.spec,
        root=tree.region,
        start=today - datetime.timedelta(days=40),
        end=today + datetime.timedelta(days=200),
        template=template,
        windows={
            "first": (today - datetime.timedelta(days=300), today - datetime.timedelta(days=41)),
            "second": (today - datetime.timedelta(days=40), today + datetime.timedelta(days=200)),
        },
    )
    result = campaign_services.campaign_schedule(actor=None, campaign=campaign)
    assert result.feasible, result.violations
    campaign_services.campaign_publish(actor=None, campaign=campaign)
    campaign.refresh_from_db()
    return campaign


def test_a_new_unit_joins_a_running_campaign_with_the_dates_of_a_replan(tree, personas, running):
    before = {p.pk: (p.planned_start, p.planned_end) for p in Participation.objects.filter(campaign=running)}
    unit = editing.unit_save(actor=personas["county_office"], cells=unit_cells())
    joined = Participation.objects.get(campaign=running, unit=unit)
    assert (
        joined.batch.key == "second"
        and joined.path == unit.path
        and (joined.lv4, joined.lv5)
        == (
            tree.township.pk,
            unit.pk,
        )
    )
    assert (
        joined.planned_start and joined.planned_end and joined.current_due and joined.baseline_start is None
    )
    # the dates a full re-plan gives it; nobody else's plan moved
    replan = campaign_services.campaign_schedule(actor=None, campaign=running, dry_run=True)
    planned = {pid: item for b in replan.batches for pid, item in b.items.items()}[joined.pk]
    assert (joined.planned_start, joined.planned_end) == (planned.start, planned.end)
    phases = list(
        PlanPhase.objects.filter(participation=joined).order_by("phase").values_list("start", "end")
    )
    assert phases == [(p.start, p.end) for p in planned.phases]
    assert {
        p.pk: (p.planned_start, p.planned_end)
        for p in Participation.objects.filter(campaign=running).exclude(pk=joined.pk)
    } == before
    running.refresh_from_db()
    assert running.participations_count == len(before) + 1
    event = AuditEvent.objects.get(verb="participation.join")
    assert event.actor == personas["county_office"] and event.unit_id == unit.pk
    # the dashboards' counters took the new participation in, as a rebuild would
    kept = _progress_counters()
    progress.rebuild()
    assert _progress_counters() == kept
    assert ProgressCount.objects.filter(path=unit.path, n=1).exists()


def _progress_counters() -> tuple[set[tuple], set[tuple]]:
    states = ProgressCount.objects.exclude(n=0).values_list(
        "batch_id", "path", "phase", "started", "gate", "n"
    )
    days = ProgressDay.objects.exclude(n=0).values_list("batch_id", "path", "field", "day", "n")
    return set(states), set(days)


def test_an_imported_unit_joins_a_running_campaign(tree, personas, running):
    user = personas["county_office"]
    report = run(
        "units",
        [as_row(UNIT_COLUMNS, unit_cells(code="150125100203", name="北土城村"))],
        actor=user,
        scope=user.scope_paths("import"),
    )
    assert report.applied, report.errors
    assert Participation.objects.filter(
        campaign=running, unit__code="150125100203", planned_start__isnull=False
    ).exists()


def test_a_finished_batch_takes_no_new_unit(tree, personas, running):
    """A new organ of the region belongs to the first batch, which is over."""
    editing.unit_save(
        actor=None,
        cells=unit_cells(
            code="150000-O9", name="自治区某机关", parent="150000", level="1", kind="organ", division=""
        ),
    )
    assert not Participation.objects.filter(unit__code="150000-O9").exists()
