"""`echelon demo_campaign [--if-empty]`: the 2014 batch-two campaign on the demo registry, ready to use.

Creates the built-in campaign for the region (window 2014-01-20..2014-09-30), schedules and publishes it,
creates the default supervision groups and instructors and assigns every participating unit (balanced),
then puts the demo supervisor in the group that covers 武川县's townships and makes the demo township's
instructor (a supervisor grant at the township, never its operator: ADR 11) the instructor of its villages.
Everything goes through the services, so it is audited like any office's work.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from echelon.accounts.models import Grant, User
from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import Campaign
from echelon.core import context
from echelon.orgs.models import Unit
from echelon.supervision import services
from echelon.supervision.models import GroupAssignment

TEMPLATE = "mass-line-2014-nmg"
WINDOW = (date(2014, 1, 20), date(2014, 9, 30))


class Command(BaseCommand):
    help = "为演示数据创建 2014 年第二批教育实践活动：排程、发布、派出督导组并全覆盖分配。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="已有活动时什么也不做")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Campaign.objects.exists():
            self.stdout.write("已有活动，跳过演示活动（--if-empty）。")
            return
        root = Unit.objects.filter(parent__isnull=True).first()
        if root is None:
            raise CommandError("还没有组织数据，请先运行 echelon seed_demo。")
        began = time.perf_counter()
        with context.bind(context.new_context("cli")):
            template = campaign_services.template_for_use(actor=None, name=TEMPLATE)
            campaign = campaign_services.campaign_create(
                actor=None, spec=template.spec, root=root, start=WINDOW[0], end=WINDOW[1], template=template
            )
            result = campaign_services.campaign_schedule(actor=None, campaign=campaign)
            if not result.feasible:
                raise CommandError("演示活动的计划不满足规则，未发布。")
            campaign_services.campaign_publish(actor=None, campaign=campaign, note="演示")
            groups = services.coverage_default_groups(actor=None, campaign=campaign)
            proposal = services.coverage_propose_apply(actor=None, campaign=campaign)
            self._place_personas(campaign)
        self.stdout.write(
            self.style.SUCCESS(
                f"演示活动 {campaign.pk}：{campaign.participations_count:,} 个参与单位，已排程并发布；"
                f"新建督导组/指导员 {len(groups):,} 个，分配 {proposal.created:,} 个单位；"
                f"用时 {time.perf_counter() - began:.1f} 秒。"
            )
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
