"""echelon export_plan CAMPAIGN FILE: the plan as .csv or .xlsx (streamed / write-only), one row per unit
and phase: unit_code, unit_name, level, kind, batch, phase, planned_start, planned_end, actual_start,
actual_end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from echelon.campaigns import exports
from echelon.campaigns.management.commands.schedule import campaign_arg


class Command(BaseCommand):
    help = "把活动的计划导出为 .csv 或 .xlsx（每个单位每个环节一行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", metavar="CAMPAIGN")
        parser.add_argument("file", type=Path, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = campaign_arg(options["campaign"])
        path: Path = options["file"]
        try:
            fmt = exports.format_of(path)
        except ValueError as exc:
            raise CommandError("文件扩展名应为 .csv 或 .xlsx。") from exc
        if not campaign.is_scheduled:
            raise CommandError("活动还没有生成计划。")
        try:
            n = exports.write_plan(campaign, path, fmt=fmt)
        except exports.ExportTooLarge as exc:
            path.unlink(missing_ok=True)
            raise CommandError("超过 Excel 单个工作表的行数上限，请导出为 .csv。") from exc
        self.stdout.write(f"已导出 {n} 行到 {path}")
