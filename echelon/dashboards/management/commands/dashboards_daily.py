"""echelon dashboards_daily [--schedule] [--date D]

The dashboards' daily run now: the day's snapshot and early warnings of every running batch, then the
notices of new warnings (for cron where no worker runs, like ``echelon notify_digest``); the steps already
done for the day are skipped (a rerun after a failed or killed run finishes it). With ``--schedule``: queue
it on the job worker instead, every day at ``DASHBOARDS_DAILY_AT`` (01:30 by default); a run already
queued is left alone, and after today's time a catch-up is queued if today's run is not complete, so the
command belongs to every start-up (before the worker).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from echelon.core.commands import run_service
from echelon.dashboards import jobs
from echelon.dashboards.management.commands.snapshot import day_arg


class Command(BaseCommand):
    help = "调度看板的每日任务：每日快照和预警（--schedule：交给后台任务进程每天运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schedule", action="store_true", help="交给后台任务进程（db_worker）每天运行")
        parser.add_argument("--date", default="", help="运行日期（默认今天）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            scheduled = jobs.schedule()
            if scheduled.catch_up is not None:
                self.stdout.write(f"{scheduled.catch_up:%Y-%m-%d} 的每日任务尚未完成：已排入补跑。")
            if scheduled.next_run is None:
                self.stdout.write("已在队列中（或任务后端不支持定时运行）。")
            else:
                self.stdout.write(f"已排入后台任务：{scheduled.next_run:%Y-%m-%d %H:%M} 起每天运行一次。")
            return
        today = day_arg(options["date"]) if options["date"] else None
        result = run_service(lambda: jobs.daily_run(actor=None, today=today))
        for r in result.batches:
            listed = "，".join(f"{rule} {n}" for rule, n in r.warnings.items())
            where = f"{r.batch.campaign.name} · {r.batch.name}"
            if r.resumed:
                where += "（当天已完成，未重做）"
            self.stdout.write(f"{where}：快照 {r.snapshots} 行；预警 {listed}；用时 {r.seconds:.1f} 秒")
        if not result.batches:
            self.stdout.write("没有正在进行的批次。")
        self.stdout.write(f"通知：{result.notified.users} 位领导小组办公室用户")
