"""echelon snapshot [--day D] [--campaign N] [--backfill-from D|start [--step N]]

The day's snapshot of the dashboard figures (the trend lines) of every running batch, or of one campaign's
batches; the worker does it every day (``echelon dashboards_daily``). ``--backfill-from`` rebuilds the past
days' progress measures "as of" each day from the phase actuals instead (partial snapshots, for a demo or a
late start), every ``--step`` days up to yesterday; ``start``: from each batch's own start.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from echelon.campaigns.management.commands.schedule import campaign_arg
from echelon.campaigns.models import Batch
from echelon.core.commands import run_service
from echelon.dashboards.jobs import running_batches
from echelon.dashboards.services.snapshots import snapshot_backfill, snapshot_take


def day_arg(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期“{value}”无效（格式 YYYY-MM-DD）。") from exc


def batches_arg(campaign: str, today: date) -> list[Batch]:
    if campaign:
        return list(campaign_arg(campaign).batches.select_related("campaign").order_by("ordinal"))
    return running_batches(today)


class Command(BaseCommand):
    help = "每日快照：保存各批次有下级参与单位的每个单位当天的看板指标（趋势图的数据）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", default="", help="快照日期（默认今天；不能晚于今天）")
        parser.add_argument("--campaign", default="", help="活动编号（默认：正在进行的全部批次）")
        parser.add_argument(
            "--backfill-from",
            default="",
            help="按各环节实际日期补算从该日期起的过往进度（start：从各批次开始日起）",
        )
        parser.add_argument("--step", type=int, default=7, help="补算的间隔天数（默认 7）")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        day = day_arg(options["day"]) if options["day"] else today
        batches = batches_arg(options["campaign"], day)
        if not batches:
            self.stdout.write("没有正在进行的批次。")
            return
        since = options["backfill_from"]
        fixed = day_arg(since) if since and since != "start" else None
        last = min(day, today - timedelta(days=1))
        for batch in batches:
            first = batch.window_start if since == "start" else fixed
            started = time.perf_counter()
            if first is not None:
                rows = run_service(
                    partial(
                        snapshot_backfill,
                        actor=None,
                        batch=batch,
                        start=first,
                        end=last,
                        step_days=options["step"],
                    )
                )
                what = f"补算 {first}～{last}"
            else:
                rows = run_service(partial(snapshot_take, actor=None, batch=batch, day=day))
                what = str(day)
            seconds = time.perf_counter() - started
            self.stdout.write(
                f"{batch.campaign.name} · {batch.name}：{what}，{rows} 行，用时 {seconds:.1f} 秒"
            )
