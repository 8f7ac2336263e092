"""echelon warnings [--campaign N] [--date D] [--no-notify]

Run the early-warning rules of every running batch (or of one campaign's batches) and replace their alerts,
then tell each office whose part of the tree got new warnings (one notice a day). The worker does it every
day (``echelon dashboards_daily``).
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from echelon.core.commands import run_service
from echelon.dashboards.management.commands.snapshot import batches_arg, day_arg
from echelon.dashboards.services.warnings import warnings_notify, warnings_refresh


class Command(BaseCommand):
    help = "预警：按活动模板的预警规则检查各批次，更新预警，并通知新增预警所在范围的领导小组办公室。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", default="", help="活动编号（默认：正在进行的全部批次）")
        parser.add_argument("--date", default="", help="检查日期（默认今天）")
        parser.add_argument("--no-notify", action="store_true", help="只更新预警，不发通知")

    def handle(self, *args: Any, **options: Any) -> None:
        today = day_arg(options["date"]) if options["date"] else timezone.localdate()
        batches = batches_arg(options["campaign"], today)
        if not batches:
            self.stdout.write("没有正在进行的批次。")
            return
        for batch in batches:
            started = time.perf_counter()
            counts = run_service(partial(warnings_refresh, actor=None, batch=batch, today=today))
            listed = "，".join(f"{rule} {n}" for rule, n in counts.items())
            seconds = time.perf_counter() - started
            self.stdout.write(f"{batch.campaign.name} · {batch.name}：{listed}（用时 {seconds:.1f} 秒）")
        if not options["no_notify"]:
            sent = run_service(lambda: warnings_notify(actor=None, batches=batches, today=today))
            self.stdout.write(f"通知：{sent.users} 位领导小组办公室用户")
