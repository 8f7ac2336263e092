"""`echelon demo_campaign [--if-empty] [--today D] [--seed N] [--no-history]`: the 2014 batch-two campaign
on the demo registry, live: in progress today.

The built-in 2014 template keeps its shape (batches, levels, phases, rules, the windows of its batches: batch
two's 8 months, 20 January–30 September 2014, "今年9月基本结束") but its dates are moved so that today lies
about three and a half months into batch two (``anchor``: the window starts on the Monday nearest 105 days
before today; the same today gives the same campaign). The command creates it for the region, schedules and
publishes it, creates the default supervision groups and instructors and assigns every participating unit
(balanced), puts the demo supervisor in the group that covers 武川县's townships and makes the demo
township's instructor (a supervisor grant at the township, never its operator: ADR 11) the instructor of
its villages, gives the liaison leader their points, then writes the history up to today
(``echelon/demo/history.py``).
Everything but the history goes through the services, so it is audited like any office's work; the
history is written in bulk with one summary audit event. Where the holiday calendar has no data for a year
the windows reach, the plan is made without those holidays and the command says so.

The whole command is one transaction: killed (kill -9) or failing half-way it leaves nothing behind, so that
a rerun (``--if-empty`` too, as ``make demo`` runs it) builds the whole campaign rather than skipping a
campaign half made (the crash drills, echelon/core/tests/test_crash_drills.py). The shared demo files it
writes through the storage are written once and reused by name.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from echelon.accounts.models import Grant, User
from echelon.campaigns import services as campaign_services
from echelon.campaigns import specs
from echelon.campaigns.models import Campaign
from echelon.core import context, db
from echelon.core.commands import run_service
from echelon.demo import appraisal, cases, evaluation, history, ledger, publicity
from echelon.orgs.models import Unit
from echelon.supervision import services
from echelon.supervision.models import GroupAssignment, LiaisonKind

TEMPLATE = "mass-line-2014-nmg"
LIVE_BATCH = "second"  # its window is the template's: 2014, from Monday 20 January to the end of September
DAYS_INTO_LIVE_BATCH = 105  # about three and a half months
# The liaison leader's points (their grant is at 武川县): the county itself, the demo township, two more.
LIAISON_POINTS = (("150125", LiaisonKind.LINK), ("150125100", LiaisonKind.GUIDE))
LIAISON_EXTRA_TOWNSHIPS = 2
# The apps whose tables the command fills (their statistics refreshed at the end, on PostgreSQL).
ANALYZED_APPS = (
    "campaigns",
    "supervision",
    "ledger",
    "evaluation",
    "appraisal",
    "publicity",
    "cases",
    "core",
)


def live_window(spec: specs.Spec) -> tuple[date, date]:
    """The live batch's window as the template gives it."""
    window = spec.batch(LIVE_BATCH).window
    if window is None:
        raise CommandError(f"模板“{spec.name}”没有给出批次“{LIVE_BATCH}”的时间窗口。")
    return window


def anchor(today: date, spec: specs.Spec | None = None) -> int:
    """Days to add to the template's dates (``spec``, the built-in one by default): the live batch then
    starts on the Monday nearest ``DAYS_INTO_LIVE_BATCH`` days before ``today`` (2014-01-20 was a Monday
    too)."""
    if spec is None:
        builtin = specs.find_builtin(TEMPLATE)
        if builtin is None:
            raise CommandError(f"没有内置模板“{TEMPLATE}”。")
        spec = builtin.spec
    target = today - timedelta(days=DAYS_INTO_LIVE_BATCH)
    back = target.weekday()
    start = target - timedelta(days=back) if back <= 3 else target + timedelta(days=7 - back)
    return (start - live_window(spec)[0]).days


def windows(spec: specs.Spec, shift: int) -> dict[str, tuple[date, date]]:
    """Every batch's window moved by ``shift`` days: its own, else the live batch's."""
    moved = timedelta(days=shift)
    live = live_window(spec)
    return {b.key: ((b.window or live)[0] + moved, (b.window or live)[1] + moved) for b in spec.batches}


def summary(done: history.HistoryResult, today: date) -> str:
    c = done.counts
    parts = [
        f"环节实际进度 {c['phase_actuals']:,} 条",
        f"规定动作 {c['actions_done']:,} 项",
        f"会议记录 {c['meetings']:,} 次",
        f"材料 {c['materials']:,} 份",
        f"审核 {c['reviews']:,} 次（待审核 {c['open_reviews']:,}，"
        f"打回等待重新提交 {c['returned_not_resubmitted']:,}）",
        f"巡查 {c['patrol_visits']:,} 次",
        f"通知 {c['notifications']:,} 条",
        f"联系领导出席记录 {c['attendance']:,} 条",
    ]
    return f"进展（到 {today}）：{'，'.join(parts)}；用时 {done.seconds:.1f} 秒。"


class Command(BaseCommand):
    help = (
        "为演示数据创建 2014 年第二批教育实践活动（日期平移到今天正处在第二批开始后约三个半月）："
        "排程、发布、派出督导组并全覆盖分配，再生成到今天为止的活动进展。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="已有活动时什么也不做")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="把哪一天当作“今天”（YYYY-MM-DD，默认今天）：活动日期据此平移，进展生成到这一天",
        )
        parser.add_argument(
            "--seed", type=int, default=history.DEFAULT_SEED, help="进展的随机种子（默认 2014）"
        )
        parser.add_argument("--no-history", action="store_true", help="只建活动，不生成进展")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Campaign.objects.exists():
            self.stdout.write("已有活动，跳过演示活动（--if-empty）。")
            return
        root = Unit.objects.filter(parent__isnull=True).first()
        if root is None:
            raise CommandError("还没有组织数据，请先运行 echelon seed_demo。")
        today: date = options["today"] or timezone.localdate()
        began = time.perf_counter()
        with context.bind(context.new_context("cli")), transaction.atomic():
            template = campaign_services.template_for_use(actor=None, name=TEMPLATE)
            spec = template.spec
            shift = anchor(today, spec)
            moved = windows(spec, shift)
            start, end = moved[LIVE_BATCH]
            campaign = campaign_services.campaign_create(
                actor=None, spec=spec, root=root, start=start, end=end, template=template, windows=moved
            )
            for batch in campaign.batches.order_by("ordinal"):
                for entry in batch.rules.get(specs.HOLIDAYS_UNKNOWN, []):
                    self.stdout.write(
                        self.style.WARNING(f"{batch.name}：{specs.unknown_holidays_message(entry)}")
                    )
            result = campaign_services.campaign_schedule(actor=None, campaign=campaign)
            if not result.feasible:
                raise CommandError("演示活动的计划不满足规则，未发布。")
            campaign_services.campaign_publish(actor=None, campaign=campaign, note="演示")
            groups = services.coverage_default_groups(actor=None, campaign=campaign)
            proposal = services.coverage_propose_apply(actor=None, campaign=campaign)
            self._place_personas(campaign)
            points = self._liaison_points(campaign)
            set_up = time.perf_counter() - began
            self.stdout.write(
                f"演示活动 {campaign.pk}：{campaign.participations_count:,} 个参与单位，"
                f"第二批 {start}～{end}（今天 {today} 是第 {(today - start).days} 天），已排程并发布；"
                f"新建督导组/指导员 {len(groups):,} 个，分配 {proposal.created:,} 个单位；"
                f"联系点 {points} 个；用时 {set_up:.1f} 秒。"
            )
            if not options["no_history"]:
                done = history.simulate(campaign, today=today, seed=options["seed"], log=self.stdout.write)
                self.stdout.write(summary(done, today))
                for note in done.notes:
                    self.stdout.write(note)
                filled = ledger.fill_ledger(campaign, today, options["seed"], log=self.stdout.write)
                self.stdout.write(filled.line())
                self.stdout.write(evaluation.seed_evaluation(campaign, today, options["seed"]).line())
                rated = appraisal.seed_appraisal(campaign, today)
                self.stdout.write(
                    f"民主评议党员：{rated['appraisals']:,} 个支部，评议 {rated['ratings']:,} 人次，"
                    f"帮助谈话 {rated['followups']:,} 人。"
                )
                published = publicity.seed_publicity(campaign, today, seed=options["seed"])
                self.stdout.write(
                    f"公示：{sum(published.counts.values()):,} 份（{published.seconds:.1f} 秒）。"
                )
                shown = cases.seed_cases(campaign, today, options["seed"])
                self.stdout.write(
                    f"典型案例：已发布 {shown.published} 个，待审核 {shown.waiting} 个，"
                    f"退回 {shown.returned} 个；"
                    f"自选动作 {shown.own_actions} 项（已完成 {shown.own_done} 项）。"
                )
        # The campaign's tables were filled in bulk: PostgreSQL's planner reads them as nearly empty until
        # they are analysed (autovacuum may come late, or be off) and sorts whole subtrees for a page of rows.
        db.analyze_postgresql(
            {
                model._meta.db_table
                for label in ANALYZED_APPS
                for model in apps.get_app_config(label).get_models(include_auto_created=True)
                if model._meta.managed and not model._meta.proxy
            }
        )
        self.stdout.write(
            self.style.SUCCESS(f"演示活动已就绪，共用时 {time.perf_counter() - began:.1f} 秒。")
        )

    def _place_personas(self, campaign: Campaign) -> None:
        """The demo supervisor joins the group for the townships of their county; the demo township
        instructor becomes the instructor of the demo township's villages."""
        with transaction.atomic():
            for username in ("county_supervisor", "township_instructor"):
                role = "supervisor"
                user = User.objects.filter(username=username).first()
                grant = Grant.objects.filter(user=user, role=role).select_related("unit").first()
                if user is None or grant is None:
                    continue
                level = grant.unit.level + 1
                assignment = (
                    GroupAssignment.objects.filter(
                        group__campaign=campaign, group__home_unit=grant.unit, group__target_level=level
                    )
                    .select_related("group")
                    .first()
                )
                if assignment is not None:
                    services.group_add_member(actor=None, group=assignment.group, user=user, leader=True)

    def _liaison_points(self, campaign: Campaign) -> int:
        """The liaison leader's points in this campaign: 武川县 (link), the demo township (guide) and the
        next townships of the county (link), through the services."""
        leader = User.objects.filter(username=history.PERSONA_LEADER).first()
        if leader is None:
            return 0
        wanted = list(LIAISON_POINTS)
        county = Unit.objects.filter(code=LIAISON_POINTS[0][0]).first()
        if county is not None:
            taken = {code for code, _kind in wanted}
            more = (
                Unit.objects.filter(parent=county, level=county.level + 1, kind="leadership", is_active=True)
                .exclude(code__in=taken)
                .order_by("code")
                .values_list("code", flat=True)[:LIAISON_EXTRA_TOWNSHIPS]
            )
            wanted += [(code, LiaisonKind.LINK) for code in more]
        made = 0
        for code, kind in wanted:
            unit = Unit.objects.filter(code=code).first()
            if unit is None or not campaign.participations.filter(unit=unit).exists():
                continue
            try:
                run_service(
                    partial(
                        services.liaison_add,
                        actor=None,
                        leader=leader,
                        unit=unit,
                        kind=kind,
                        campaign=campaign,
                    )
                )
            except CommandError as exc:  # e.g. the leader's grant does not cover it: the demo goes on
                self.stderr.write(f"联系点 {unit.name} 未设置：{exc}")
                continue
            made += 1
        return made
