"""Groups, assignments and coverage through the services; the coverage command's exit codes."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db.models import Count

from echelon.core.models import AuditEvent
from echelon.supervision import selectors, services
from echelon.supervision.models import GroupAssignment, GroupKind, SupervisionGroup
from echelon.supervision.tests.helpers import group, make_campaign, part, supervisor, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(tree):
    return make_campaign(tree.region)


def test_group_create_checks_level_and_scope(tree, personas, campaign):
    g = services.group_create(
        actor=personas["county_office"],
        campaign=campaign,
        batch=campaign.batches.get(key="second"),
        name="第一督导组",
        home_unit=tree.county,
    )
    assert g.target_level == 4 and g.home_path == tree.county.path
    assert AuditEvent.objects.filter(verb="group.create", object_id=str(g.pk)).exists()
    with pytest.raises(ValidationError, match="下一级"):
        services.group_create(
            actor=None, campaign=campaign, batch=g.batch, name="x", home_unit=tree.county, target_level=5
        )
    with pytest.raises(PermissionDenied):
        services.group_create(
            actor=personas["county_office"], campaign=campaign, batch=g.batch, name="y", home_unit=tree.league
        )
    with pytest.raises(ValidationError, match="指导员"):
        services.group_create(
            actor=None,
            campaign=campaign,
            batch=g.batch,
            name="z",
            home_unit=tree.county,
            kind=GroupKind.INSTRUCTOR,
        )


def test_assign_refuses_overlap_unless_a_reason_is_given(tree, campaign):
    a = group(campaign, tree.county, "第一组")
    b = group(campaign, tree.county, "第二组")
    township = part(campaign, tree.township)
    services.assign(actor=None, group=a, participation=township)
    with pytest.raises(ValidationError, match="已由“第一组”督导"):
        services.assign(actor=None, group=b, participation=township)
    row = services.assign(actor=None, group=b, participation=township, override_reason="  交界地区联合督导 ")
    assert row.override_reason == "交界地区联合督导"
    report = selectors.coverage_report(campaign, batch=a.batch)[0].report
    assert not report.overlaps and [o.unit_id for o in report.accepted_overlaps] == [tree.township.pk]
    # misplaced: wrong level, outside the office's subtree
    with pytest.raises(ValidationError, match="层级"):
        services.assign(actor=None, group=a, participation=part(campaign, tree.village))
    sibling = group(campaign, tree.sibling_league, "包头组")
    with pytest.raises(ValidationError, match="下级范围"):
        services.assign(actor=None, group=sibling, participation=part(campaign, tree.county))
    services.unassign(actor=None, assignment=row)
    assert SupervisionGroup.objects.get(pk=b.pk).unit_count == 0
    assert AuditEvent.objects.filter(verb="assignment.delete").count() == 1


def test_gaps_counted_up_the_tree_and_overlaps_from_a_forced_row(tree, campaign):
    batch = campaign.batches.get(key="second")
    report = selectors.coverage_report(campaign, batch=batch)[0].report
    gaps = {g.unit_id for g in report.gaps}
    assert tree.village.pk in gaps and tree.county.pk in gaps
    assert report.gap_counts_up_the_tree[tree.county.pk] == 5  # organ, 2 townships, village, community
    assert report.gap_counts_up_the_tree[tree.region.pk] == len(gaps)
    # an overlap can only exist if written around the service (e.g. an old import): it is reported
    a = group(campaign, tree.county, "第一组")
    b = group(campaign, tree.county, "第二组")
    services.assign(actor=None, group=a, participation=part(campaign, tree.township))
    p = part(campaign, tree.township)
    GroupAssignment.objects.create(
        group=b, campaign=campaign, participation=p, unit=p.unit, path=p.path, level=4
    )
    report = selectors.coverage_report(campaign, batch=batch)[0].report
    assert [(o.unit_id, o.group_ids) for o in report.overlaps] == [(tree.township.pk, (a.pk, b.pk))]


def test_propose_is_balanced_within_the_office_and_never_overlaps(tree, campaign):
    from echelon.conftest import make_unit

    for n in range(3):
        make_unit(tree.county, f"150125-T{n}", f"新镇{n}", 4, "leadership", "town")
    from echelon.campaigns.models import Participation

    # new townships joined after the campaign was created: add them as participations of batch two
    batch = campaign.batches.get(key="second")
    for unit in tree.county.children.filter(code__startswith="150125-T"):
        Participation.objects.create(
            campaign=campaign,
            batch=batch,
            unit=unit,
            path=unit.path,
            level=4,
            kind=unit.kind,
            lv2=unit.lv2_id,
            lv3=unit.lv3_id,
            lv4=unit.lv4_id,
        )
    a = group(campaign, tree.county, "第一组")
    b = group(campaign, tree.county, "第二组")
    services.assign(actor=None, group=a, participation=part(campaign, tree.township))
    result = services.coverage_propose_apply(actor=None, campaign=campaign, batch=batch)
    counts = dict(SupervisionGroup.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "unit_count"))
    assert sum(counts.values()) == 5 and abs(counts[a.pk] - counts[b.pk]) <= 1
    assert result.created >= 4
    report = selectors.coverage_report(campaign, batch=batch)[0].report
    assert not report.overlaps
    # idempotent: nothing left to propose in the county's townships
    again = services.coverage_propose_apply(actor=None, campaign=campaign, batch=batch)
    assert again.created == 0


def test_command_exit_codes_and_assign(tree, campaign):
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("coverage", str(campaign.pk), "--json", stdout=out)
    assert exc.value.code == 1
    data = json.loads(out.getvalue())
    second = next(b for b in data["batches"] if b["batch"] == "second")
    assert {"unit": tree.village.code, "level": 5} in second["gaps"]
    out = StringIO()
    call_command("coverage", str(campaign.pk), "--assign", "--json", stdout=out)  # no SystemExit: complete
    data = json.loads(out.getvalue())
    assert data["assign"]["assignments_created"] > 0
    assert all(not b["gaps"] and not b["overlaps"] for b in data["batches"])
    instructors = SupervisionGroup.objects.filter(campaign=campaign, kind=GroupKind.INSTRUCTOR)
    assert set(instructors.values_list("home_unit__code", flat=True)) == {
        tree.township.code,
        tree.community_township.code,
        "150222100",
    }
    assert AuditEvent.objects.filter(verb="coverage.apply").exists()
    # a second --assign changes nothing and still exits 0
    call_command("coverage", str(campaign.pk), "--assign", stdout=StringIO())
    per_unit = GroupAssignment.objects.values("participation").order_by().annotate(n=Count("id"))
    assert not per_unit.filter(n__gt=1).exists()


def test_members_see_exactly_their_targets(tree, campaign):
    from echelon.campaigns.models import Campaign, Participation
    from echelon.orgs.models import Unit

    # a member whose supervisor grant covers exactly the group's target (ADR 11 allows it)
    g = group(campaign, tree.county, "第一组")
    services.assign(actor=None, group=g, participation=part(campaign, tree.township))
    inspector = supervisor(user("inspector"), tree.township)
    services.group_add_member(actor=None, group=g, user=inspector)
    inspector.forget_scope()
    visible = set(Unit.objects.visible_to(inspector).values_list("code", flat=True))
    assert visible == {tree.township.code, tree.village.code}  # the target and its patrol scope
    assert Campaign.objects.visible_to(inspector).filter(pk=campaign.pk).exists()
    assert not Participation.objects.visible_to(inspector).filter(unit=tree.community_township).exists()
    assert set(Unit.objects.visible_to(inspector, "review").values_list("code", flat=True)) == visible
    assert not Unit.objects.visible_to(inspector, "change").exists()
    stranger = user("stranger")
    assert not Unit.objects.visible_to(stranger).exists()
