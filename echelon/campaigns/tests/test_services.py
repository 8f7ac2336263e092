"""Campaigns through the services, on the shared small tree: create → schedule → publish → re-plan → compare,
what-if, actuals and the plan-vs-actual figures, permissions and the audit trail."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from echelon.campaigns import selectors, services
from echelon.campaigns.models import (
    Baseline,
    BaselinePhase,
    Campaign,
    Participation,
    PhaseActual,
    PlanPhase,
    Status,
)
from echelon.campaigns.tests.helpers import GENERIC, WINDOW, make_campaign, scheduled_campaign
from echelon.conftest import make_unit
from echelon.core.models import AuditEvent
from echelon.orgs.models import Kind, Level

pytestmark = pytest.mark.django_db
D = date


def participation(campaign: Campaign, unit) -> Participation:
    return Participation.objects.get(campaign=campaign, unit=unit)


def test_create_makes_a_participation_for_every_unit_in_its_batch(tree, personas):
    campaign = make_campaign(tree.region, actor=personas["region_office"])
    batches = {b.key: b for b in campaign.batches.all()}
    first = set(Participation.objects.filter(batch=batches["first"]).values_list("unit__code", flat=True))
    second = set(Participation.objects.filter(batch=batches["second"]).values_list("unit__code", flat=True))
    # Batch one: the region's own bodies (organs, direct units); batch two: every other unit, the leagues too.
    assert first == {"150000"}
    assert second == set(tree.units) - first
    assert campaign.participations_count == len(tree.units)
    assert (batches["first"].window_start, batches["first"].window_end) == (D(2013, 6, 18), D(2014, 1, 19))
    assert (batches["second"].window_start, batches["second"].window_end) == WINDOW
    assert batches["second"].rules["blackouts"] == [
        {"name": "春节假期", "start": "2014-01-31", "end": "2014-02-06"}
    ]
    village = participation(campaign, tree.village)
    assert (village.path, village.level, village.kind) == (tree.village.path, 5, "village")
    assert (village.lv2, village.lv3, village.lv4, village.lv5) == (
        tree.league.pk,
        tree.county.pk,
        tree.township.pk,
        tree.village.pk,
    )
    event = AuditEvent.objects.get(verb="campaign.create")
    assert event.actor == personas["region_office"] and event.unit_path == tree.region.path


def test_create_needs_change_at_the_root(tree, personas):
    with pytest.raises(PermissionDenied):
        make_campaign(tree.region, actor=personas["league_office"])
    with pytest.raises(PermissionDenied):
        make_campaign(tree.league, actor=personas["outsider"])
    with pytest.raises(ValidationError, match="区划单位"):
        make_campaign(tree.organ, actor=personas["county_office"])
    assert not Campaign.objects.exists()


def test_a_county_campaign_has_only_the_batches_with_units_there(tree, personas):
    campaign = make_campaign(tree.county, actor=personas["county_office"])
    assert list(campaign.batches.values_list("key", flat=True)) == ["second"]
    assert campaign.participations_count == 6


def test_schedule_stores_a_plan_that_obeys_the_rules(tree):
    campaign = make_campaign(tree.region)
    result = services.campaign_schedule(actor=None, campaign=campaign)
    assert result.feasible and result.violations == []
    campaign.refresh_from_db()
    assert campaign.status == Status.SCHEDULED
    starts = dict(Participation.objects.filter(campaign=campaign).values_list("unit__code", "planned_start"))
    # Batch one (2013): the region.
    assert starts["150000"] == D(2013, 6, 18)
    # Batch two: the leagues' and counties' bodies and organs at the kick-off, 20 Jan; townships 10 days
    # later, villages and communities 10 days after them.
    assert starts["150100"] == starts["150200"] == D(2014, 1, 20)
    assert starts["150125"] == starts["150125-O01"] == starts["150222"] == D(2014, 1, 20)
    assert starts["150125100"] == starts["150125001"] == D(2014, 1, 30)
    assert starts["150125100201"] == starts["150125001001"] == D(2014, 2, 9)
    village = participation(campaign, tree.village)
    phases = list(PlanPhase.objects.filter(participation=village).order_by("phase"))
    assert len(phases) == 5
    assert phases[0].start == village.planned_start and phases[-1].end == village.planned_end == WINDOW[1]
    for before, after in itertools.pairwise(phases):
        assert (after.start - before.end).days == 1
    assert village.milestone_date == phases[0].start == village.planned_start  # the mobilization meeting
    assert village.current_due == phases[0].end  # the planned end of the phase it is in
    # opens the unit's activity; each phase has room for its minimum days
    spec = campaign.spec
    assert all((ph.end - ph.start).days + 1 >= spec.phases[ph.phase].min_days for ph in phases)
    assert (
        PlanPhase.objects.filter(participation__campaign=campaign).count()
        == 5 * campaign.participations_count
    )
    assert AuditEvent.objects.filter(verb="campaign.schedule").count() == 1
    # a re-plan reads each unit's current phase: a unit in its third phase is due at that phase's end
    Participation.objects.filter(pk=village.pk).update(current_phase=2)
    changes = {"second": {"level_stagger_days": 12}}
    services.campaign_schedule(actor=None, campaign=campaign, rule_changes=changes)
    village.refresh_from_db()
    moved = list(PlanPhase.objects.filter(participation=village).order_by("phase"))
    assert moved[0].start != phases[0].start and village.planned_start == moved[0].start
    assert village.current_due == moved[2].end and village.planned_end == moved[-1].end


def test_an_infeasible_window_is_reported_with_a_fix_and_cannot_be_published(tree):
    campaign = make_campaign(tree.region, windows={"second": (WINDOW[0], D(2014, 4, 10))})
    result = services.campaign_schedule(actor=None, campaign=campaign)
    assert not result.feasible
    found = {(v["rule"], v["level"]) for v in result.violations}
    assert {("min_duration", 2), ("min_duration", 3), ("min_duration", 4)} <= found
    county = next(v for v in result.violations if v["rule"] == "min_duration" and v["level"] == 3)
    assert county["units"] == 3  # the two counties and the county organ
    assert "不足 90 天" in county["message"] and "将批次结束日期推迟到" in county["suggestion"]
    assert not any(v["level"] == 5 and v["rule"] == "min_duration" for v in result.violations)  # flexible
    with pytest.raises(ValidationError, match="不满足全部规则"):
        services.campaign_publish(actor=None, campaign=campaign)


def test_dry_run_stores_nothing(tree):
    campaign = make_campaign(tree.region)
    result = services.campaign_schedule(actor=None, campaign=campaign, dry_run=True)
    assert result.feasible and result.planned == campaign.participations_count
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT
    assert not PlanPhase.objects.exists()
    assert not AuditEvent.objects.filter(verb="campaign.schedule").exists()


def test_publish_freezes_a_baseline_and_a_replan_is_compared_with_it(tree, personas):
    office = personas["region_office"]
    campaign = scheduled_campaign(tree.region)
    baseline = services.campaign_publish(actor=office, campaign=campaign, note="首次发布")
    campaign.refresh_from_db()
    assert campaign.status == Status.PUBLISHED and baseline.number == 1
    assert BaselinePhase.objects.filter(baseline=baseline).count() == 5 * campaign.participations_count
    village = participation(campaign, tree.village)
    assert (village.baseline_start, village.baseline_end) == (village.planned_start, village.planned_end)

    # Re-plan batch two with a 12-day stagger: the leagues and counties still start at the kick-off; the
    # townships would start on 1 Feb, inside the Spring Festival holiday, so they move to 7 Feb (+8 days);
    # the villages follow 12 days later (+10).
    result = services.campaign_schedule(
        actor=office, campaign=campaign, rule_changes={"second": {"level_stagger_days": 12}}
    )
    assert result.feasible
    comparison = result.comparison
    assert comparison is not None
    by_level = comparison["by_level"]
    assert by_level["4"]["moved"] == 3 and by_level["4"]["max_start_days"] == 8
    assert by_level["4"]["started_later"] == 3 and by_level["4"]["max_end_days"] == 0
    assert by_level["5"]["max_start_days"] == 10
    assert by_level["1"]["moved"] == by_level["2"]["moved"] == by_level["3"]["moved"] == 0
    campaign.refresh_from_db()
    assert campaign.replan_summary == comparison
    assert campaign.batches.get(key="second").rules["level_stagger_days"] == 12
    village.refresh_from_db()
    assert village.planned_start == D(2014, 2, 19) and village.baseline_start == D(2014, 2, 9)
    rows = selectors.replan_rows(office, campaign)
    assert [r["label"] for r in rows] == ["自治区", "盟市", "旗县市区", "苏木乡镇街道", "嘎查村社区"]

    second = services.campaign_publish(actor=office, campaign=campaign)
    assert second.number == 2 and Baseline.objects.filter(campaign=campaign).count() == 2
    village.refresh_from_db()
    assert village.baseline_start == D(2014, 2, 19)


def test_what_if_compares_without_writing(tree, personas):
    campaign = scheduled_campaign(tree.region)
    before = list(PlanPhase.objects.order_by("pk").values_list("start", "end"))
    events = AuditEvent.objects.count()
    what = services.campaign_what_if(
        actor=personas["region_office"],
        campaign=campaign,
        batch_key="second",
        changes={"level_stagger_days": 5},
    )
    assert what.reference == "plan" and what.plan.feasible and what.comparison is not None
    assert what.comparison["by_level"]["4"]["started_earlier"] == 3  # townships 25 Jan, 5 days earlier
    assert what.comparison["by_level"]["3"]["started_earlier"] == 0  # the kick-off holds
    # villages would start on 30 Jan, 10 days earlier
    assert what.comparison["by_level"]["5"]["max_start_days"] == 10
    assert list(PlanPhase.objects.order_by("pk").values_list("start", "end")) == before
    assert AuditEvent.objects.count() == events
    too_short = services.campaign_what_if(
        actor=None, campaign=campaign, batch_key="second", changes={"window_end": D(2014, 4, 20)}
    )
    assert not too_short.plan.feasible  # the townships (30 Jan) would have 81 days
    with pytest.raises(ValidationError, match="不能修改的规则"):
        services.campaign_what_if(actor=None, campaign=campaign, batch_key="second", changes={"phases": 3})
    with pytest.raises(ValidationError, match="先行天数不能为负数"):
        services.campaign_what_if(
            actor=None, campaign=campaign, batch_key="second", changes={"lead_days": -1}
        )
    with pytest.raises(PermissionDenied):
        services.campaign_what_if(
            actor=personas["village_secretary"],
            campaign=campaign,
            batch_key="second",
            changes={"lead_days": 5},
        )


def test_schedule_and_publish_need_change_at_the_campaign_root(tree, personas):
    campaign = make_campaign(tree.region)
    for persona in ("league_office", "village_secretary", "outsider"):
        with pytest.raises(PermissionDenied):
            services.campaign_schedule(actor=personas[persona], campaign=campaign)
    services.campaign_schedule(actor=personas["region_office"], campaign=campaign)
    with pytest.raises(PermissionDenied):
        services.campaign_publish(actor=personas["county_office"], campaign=campaign)


def test_actuals_update_the_unit_and_the_plan_vs_actual_figures(tree, personas):
    campaign = scheduled_campaign(tree.region, publish=True)
    secretary = personas["village_secretary"]
    village = participation(campaign, tree.village)
    today = D(2014, 6, 1)
    # The village starts 3 days late (planned 9 Feb), the community 7 days late, the township on time.
    services.phase_actual_record(
        actor=secretary,
        participation=village,
        phase_key="prepare",
        start=D(2014, 2, 12),
        end=D(2014, 3, 10),
        today=today,
    )
    services.phase_actual_record(
        actor=secretary, participation=village, phase_key="study", start=D(2014, 3, 11), today=today
    )
    village.refresh_from_db()
    assert (village.actual_start, village.current_phase, village.start_delay) == (D(2014, 2, 12), 1, 3)
    office = personas["county_office"]
    for unit, start in ((tree.community, D(2014, 2, 16)), (tree.township, D(2014, 1, 30))):
        services.phase_actual_record(
            actor=office,
            participation=participation(campaign, unit),
            phase_key="prepare",
            start=start,
            today=today,
        )
    rows = {
        r["level"]: r
        for r in selectors.level_progress(
            campaign, Participation.objects.filter(campaign=campaign), today=today
        )
    }
    assert rows[5]["started"] == 2 and rows[5]["late"] == 2
    assert rows[5]["median"] == 5.0 and rows[5]["worst"] == 7
    assert rows[4]["started"] == 1 and rows[4]["late"] == 0 and rows[4]["median"] is None
    assert rows[4]["overdue"] == 2  # the subdistrict and the sibling league's township have not started
    assert rows[5]["units"] == 3 and rows[5]["overdue"] == 1
    event = AuditEvent.objects.filter(verb="phase_actual.record", actor=secretary).first()
    assert event is not None and event.after is not None
    assert event.unit_path == tree.village.path and event.after["phase"] == "study"

    # The secretary sees their village's figures only.
    mine = selectors.level_progress(campaign, selectors.participations(secretary, campaign), today=today)
    assert [(r["level"], r["units"], r["late"]) for r in mine] == [(5, 1, 1)]


@pytest.mark.parametrize(
    "phase, start, end, message",
    [
        ("study", D(2014, 3, 1), None, "请先记录上一环节"),
        ("prepare", D(2014, 3, 1), D(2014, 2, 1), "结束日期不能早于开始日期"),
        ("prepare", D(2014, 7, 1), None, "不能记录今天以后的日期"),
        ("nothing", D(2014, 3, 1), None, "没有环节"),
    ],
)
def test_actuals_are_checked(tree, personas, phase, start, end, message):
    campaign = scheduled_campaign(tree.county)
    with pytest.raises(ValidationError, match=message):
        services.phase_actual_record(
            actor=personas["village_secretary"],
            participation=participation(campaign, tree.village),
            phase_key=phase,
            start=start,
            end=end,
            today=D(2014, 6, 1),
        )
    assert not PhaseActual.objects.exists()


def test_a_unit_records_only_its_own_subtree(tree, personas):
    campaign = scheduled_campaign(tree.county)
    with pytest.raises(PermissionDenied):
        services.phase_actual_record(
            actor=personas["village_secretary"],
            participation=participation(campaign, tree.community),
            phase_key="prepare",
            start=D(2014, 2, 20),
            today=D(2014, 6, 1),
        )


def test_actuals_wait_for_a_plan(tree):
    campaign = make_campaign(tree.county)
    with pytest.raises(ValidationError, match="还没有排程"):
        services.phase_actual_record(
            actor=None,
            participation=participation(campaign, tree.village),
            phase_key="prepare",
            start=D(2014, 2, 20),
            today=D(2014, 6, 1),
        )


def test_the_generic_template_plans_the_same_tree(tree):
    campaign = make_campaign(tree.region, key=GENERIC, start=D(2014, 3, 1), end=D(2014, 8, 31))
    assert campaign.participations_count == len([u for u in tree.units.values() if 2 <= u.level <= 4])
    result = services.campaign_schedule(actor=None, campaign=campaign)
    assert result.feasible
    starts = dict(Participation.objects.filter(campaign=campaign).values_list("unit__code", "planned_start"))
    ends = dict(Participation.objects.filter(campaign=campaign).values_list("unit__code", "planned_end"))
    assert starts["150100"] == D(2014, 3, 1) and starts["150125"] == D(2014, 3, 15)
    assert starts["150125-O01"] == D(2014, 3, 22)  # organs are not "ahead" here: lead 7 days
    assert starts["150125100"] == D(2014, 3, 29)
    assert (ends["150125100"] - starts["150125100"]).days + 1 == 30  # fixed 30-day window
    assert (
        PlanPhase.objects.filter(participation__campaign=campaign).count()
        == 4 * campaign.participations_count
    )


def test_templates_are_managed_by_the_region_office(tree, personas):
    with pytest.raises(PermissionDenied):
        services.template_load_builtin(actor=personas["league_office"], name=GENERIC)
    template = services.template_load_builtin(actor=personas["region_office"], name=GENERIC)
    assert template.builtin_file == "staged_training_rollout.yaml"
    text = template.text.replace("share: 40", "share: 45")
    with pytest.raises(ValidationError) as exc:
        services.template_save(actor=personas["region_office"], text=text, template=template)
    assert "环节占比之和必须为 100%，现为 105%。" in exc.value.messages
    fixed = text.replace("share: 20", "share: 15")
    saved = services.template_save(actor=personas["region_office"], text=fixed, template=template)
    assert [p["share"] for p in saved.data["phases"]] == [10, 30, 45, 15]
    assert AuditEvent.objects.filter(verb__startswith="template.").count() == 2


def test_inactive_units_added_later_do_not_break_the_plan(tree):
    campaign = make_campaign(tree.county)
    make_unit(
        tree.township, "150125100999", "新建村", Level.VILLAGE, Kind.VILLAGE, "village"
    )  # not a participant
    result = services.campaign_schedule(actor=None, campaign=campaign)
    assert result.feasible and result.planned == campaign.participations_count


def test_a_window_change_resolves_the_blackouts_again(tree):
    campaign = make_campaign(tree.county, windows={"second": (D(2014, 3, 1), D(2014, 12, 31))})
    second = campaign.batches.get(key="second")
    assert second.rules["blackouts"] == []  # no Spring Festival between March and December 2014
    what = services.campaign_what_if(
        actor=None, campaign=campaign, batch_key="second", changes={"window_start": D(2014, 1, 25)}
    )
    # 25 Jan + 10 days = 4 Feb lies in the 2014 holiday (31 Jan–6 Feb): the townships move to 7 Feb.
    township = participation(campaign, tree.township)
    assert what.plan.items[township.pk].start == D(2014, 2, 7)
    services.campaign_schedule(
        actor=None, campaign=campaign, rule_changes={"second": {"window_start": D(2014, 1, 25)}}
    )
    second.refresh_from_db()
    assert second.window_start == D(2014, 1, 25)
    assert second.rules["blackouts"] == [{"name": "春节假期", "start": "2014-01-31", "end": "2014-02-06"}]
    # A window past the holiday calendar's data is planned all the same; the batch's timing says so.
    services.campaign_what_if(
        actor=None, campaign=campaign, batch_key="second", changes={"window_end": D(2031, 12, 31)}
    )
    assert 2031 in second.timing_with(window_end=D(2031, 12, 31))["holidays_unknown"][0]["years"]
    assert "holidays_unknown" not in second.rules
