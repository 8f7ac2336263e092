"""`echelon stats [--json]`: units by level, kind and division; members, mobile members, blind spots; and
the figures the apps above register with ``core.stats`` (the ledger: opinions, problems, tasks)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from echelon.core import stats as registered
from echelon.orgs import selectors
from echelon.orgs.models import Division, Kind, Level


class Command(BaseCommand):
    help = "组织和党员统计（--json 输出机器可读的 JSON）。"
    # A read-only report: no system checks (which load every URL and view) before it, as Django's own
    # shell skips them; `echelon check` and `migrate` run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        data = selectors.stats()
        extra = registered.collect()
        data.update({k: v for k, v in extra.items() if k not in data})
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        out = self.stdout.write
        out(f"组织总数 {data['total_units']:,}")
        for key, n in data["units_by_level"].items():
            out(f"  {Level[key.upper()].label}  {n:,}")
        out("按类别：")
        for key, n in sorted(data["units_by_kind"].items(), key=lambda kv: -kv[1]):
            out(f"  {Kind(key).label}  {n:,}")
        out("按区划类型：")
        for key, n in sorted(data["units_by_division"].items(), key=lambda kv: -kv[1]):
            out(f"  {Division(key).label}  {n:,}")
        members, mobile, blind = data["total_members"], data["mobile_members"], data["blind_spots"]
        out(f"党员总数 {members:,}，流动党员 {mobile:,}，盲点 {blind:,}")
        for line in registered.text_lines(extra):
            out(line)
        if not data["rollups_consistent"]:
            out(self.style.WARNING("汇总计数与党员表不一致：请运行 rollups_rebuild。"))
