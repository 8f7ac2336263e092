"""echelon export_units FILE [--under CODE]: format from the extension (.csv or .xlsx), template columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from echelon.orgs import exports
from echelon.orgs.models import Unit


class Command(BaseCommand):
    help = "导出组织到 .csv 或 .xlsx（列同导入模板）；--under 只导出该组织及其下级。"
    kind = "units"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--under", metavar="CODE", help="组织代码；不指定即整棵树。")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError("文件扩展名应为 .csv 或 .xlsx。")
        found = (
            Unit.objects.filter(code=options["under"])
            if options["under"]
            else Unit.objects.filter(parent=None)
        )
        roots = list(found.order_by("path"))
        if not roots:
            raise CommandError(
                f"找不到组织代码“{options['under']}”。" if options["under"] else "还没有任何组织。"
            )

        def rows() -> Any:
            for root in roots:
                qs = (
                    exports.unit_queryset(None, root)
                    if self.kind == "units"
                    else exports.member_queryset(None, root)
                )
                yield from exports.rows_for(self.kind, qs)

        try:
            n = exports.write_file(self.kind, rows(), path)
        except exports.ExportTooLarge as exc:
            path.unlink(missing_ok=True)
            raise CommandError(
                "超过 Excel 单个工作表的行数上限（1,048,575 行），请导出为 .csv 或用 --under 缩小范围。"
            ) from exc
        self.stdout.write(f"已导出 {n} 行到 {path}")
