"""echelon schedule CAMPAIGN [--dry-run]: run the scheduler, print the violations, exit 1 when infeasible."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from echelon.campaigns import services
from echelon.campaigns.models import Campaign
from echelon.core.commands import run_service


def campaign_arg(value: str) -> Campaign:
    campaign = Campaign.objects.filter(pk=int(value)).first() if value.isdigit() else None
    if campaign is None:
        raise CommandError(f"活动“{value}”不存在。")
    return campaign


class Command(BaseCommand):
    help = "为活动生成计划并保存（--dry-run 只检查不保存）；列出违反的规则；计划不可行时退出码为 1。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", metavar="CAMPAIGN", help="活动编号（create_campaign 的最后一行）")
        parser.add_argument("--dry-run", action="store_true", help="只计算和检查，不保存计划")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = campaign_arg(options["campaign"])
        result = run_service(
            lambda: services.campaign_schedule(actor=None, campaign=campaign, dry_run=options["dry_run"])
        )
        for plan in result.batches:
            batch = plan.batch
            state = "满足全部规则" if plan.feasible else f"{len(plan.violations)} 条规则未满足"
            self.stdout.write(
                f"{batch.name}（{batch.window_start}～{batch.window_end}）：{len(plan.items)} 个单位，{state}"
            )
        for v in result.violations:
            where = f"{v['batch_name']}·{v['level_name'] or v['level'] or ''}"
            self.stdout.write(f"  [{v['rule']}] {where}：{v['message']} {v['suggestion']}")
        if result.comparison:
            c = result.comparison
            self.stdout.write(f"与已发布基线相比：{c['units']} 个单位中 {c['moved']} 个的日期变动")
            for level, row in c["by_level"].items():
                self.stdout.write(
                    f"  第{level}级：变动 {row['moved']}，推迟开始 {row['started_later']}，"
                    f"提前开始 {row['started_earlier']}，"
                    f"开始最多移动 {row['max_start_days']} 天，结束最多移动 {row['max_end_days']} 天"
                )
        if options["dry_run"]:
            self.stdout.write("（试算，未保存）")
        else:
            self.stdout.write(
                f"已保存 {result.planned} 个单位的计划"
                f"（引擎 {result.engine_seconds:.2f} 秒，写入 {result.store_seconds:.2f} 秒）"
            )
        if not result.feasible:
            raise CommandError(f"计划不可行：{len(result.violations)} 条规则未满足。", returncode=1)
        self.stdout.write("计划可行：满足全部规则。")
