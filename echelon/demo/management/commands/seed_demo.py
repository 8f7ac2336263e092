"""`echelon seed_demo --scale full|small|x10 [--seed N] [--if-empty] [--force]`: the demo registry.

`x10` is a synthetic registry ten times the region (700,000 units, 13.2 million members) for measuring
the design at a larger size on PostgreSQL; see the docstring of `echelon.demo.seed`.

Refuses to write over an existing registry unless `--force`, which first deletes all members, grants and
units (users and the audit trail stay; demo users are re-used and get the demo password back). With
`--if-empty` it does nothing when units exist (what `make demo` uses).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from echelon.core import context, dbroles
from echelon.demo import seed
from echelon.demo.management.commands.demo_logins import width as display_width
from echelon.orgs.models import Unit


class Command(BaseCommand):
    help = "生成演示数据：2014 年内蒙古自治区的组织、党员和演示账号（确定性：同一 --seed 得到同样的数据）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            choices=["full", "small", "x10"],
            default="full",
            help="full：全区 7 万个组织、132 万名党员；small：几个盟市旗县的缩影（几秒钟）；"
            "x10：十倍规模的合成数据（70 万个组织、1320 万名党员，用于性能测量）",
        )
        parser.add_argument("--seed", type=int, default=seed.DEFAULT_SEED, help="随机种子（默认 2014）")
        parser.add_argument("--if-empty", action="store_true", help="已有组织数据时什么也不做")
        parser.add_argument("--force", action="store_true", help="清空已有的组织、党员和授权后重建")

    def handle(self, *args: Any, **options: Any) -> None:
        existing = Unit.objects.count()
        if existing and options["if_empty"]:
            self.stdout.write(f"数据库中已有 {existing} 个组织，跳过演示数据生成（--if-empty）。")
            return
        scale, number = options["scale"], options["seed"]
        self.stdout.write(f"生成演示数据：规模 {scale}，种子 {number}…")
        # The bulk load drops and rebuilds indexes: on PostgreSQL with DATABASE_OWNER_URL, as the owner.
        with context.bind(context.new_context("cli")), dbroles.as_owner():
            try:
                result = seed.run(scale=scale, seed=number, force=options["force"], log=self.stdout.write)
            except seed.SeedRefused as exc:
                raise CommandError(str(exc)) from exc
        c = result.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：{c['units']:,} 个组织（{c['leagues']} 个盟市、{c['counties']} 个旗县市区、"
                f"{c['townships']} 个苏木乡镇、{c['subdistricts']} 个街道、{c['villages']:,} 个嘎查村、"
                f"{c['communities']:,} 个社区），{c['members']:,} 名党员（流动 {c['mobile']:,}，"
                f"盲点 {c['blind_spots']:,}），{len(result.accounts)} 个演示账号。"
            )
        )
        self.stdout.write("用时 timing:")
        rows = [*result.timings, ("合计 total", result.total_seconds)]
        columns = max(display_width(label) for label, _ in rows)
        for label, seconds in rows:
            self.stdout.write(f"  {label}{' ' * (columns - display_width(label))}  {seconds:7.1f} s")
        if result.kept_accounts:
            kept = "、".join(result.kept_accounts)
            self.stdout.write(f"这些账号原已存在，保留原密码：{kept}")
        self.stdout.write("演示账号见：echelon demo_logins")
