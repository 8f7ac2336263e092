"""echelon create_campaign --template NAME_OR_FILE --root CODE --start YYYY-MM-DD --end YYYY-MM-DD

Prints the new campaign's identifier alone on its last line (the other commands take it as CAMPAIGN).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from echelon.campaigns import services, specs
from echelon.campaigns.models import Campaign
from echelon.core.commands import run_service
from echelon.orgs.models import Unit


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期“{value}”格式不对，应为 YYYY-MM-DD。") from exc


class Command(BaseCommand):
    help = "按模板为一个区划单位及其下级创建活动；最后一行输出活动编号。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--template",
            required=True,
            metavar="NAME_OR_FILE",
            help="模板标识或名称（见 list_templates），或 YAML/JSON 模板文件路径",
        )
        parser.add_argument("--root", required=True, metavar="CODE", help="范围：区划单位的组织代码")
        parser.add_argument("--start", required=True, type=iso_date, metavar="YYYY-MM-DD")
        parser.add_argument("--end", required=True, type=iso_date, metavar="YYYY-MM-DD")
        parser.add_argument("--name", default="", help="活动名称（默认用模板名称）")
        parser.add_argument(
            "--window",
            action="append",
            default=[],
            metavar="BATCH:START:END",
            help="为某个批次指定时间窗口，例如 first:2013-06-18:2014-01-19（可重复）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = Unit.objects.filter(code=options["root"]).first()
        if root is None:
            raise CommandError(f"组织代码“{options['root']}”不存在。")
        windows = {}
        for item in options["window"]:
            parts = item.split(":")
            if len(parts) != 3:
                raise CommandError(f"--window “{item}” 应为 BATCH:YYYY-MM-DD:YYYY-MM-DD。")
            windows[parts[0]] = (iso_date(parts[1]), iso_date(parts[2]))
        try:
            campaign = run_service(lambda: self._create(root, windows, options))
        except specs.TemplateError as exc:
            raise CommandError("模板有误：" + "；".join(exc.errors)) from exc
        for batch in campaign.batches.order_by("ordinal"):
            self.stdout.write(
                f"{batch.name}：{batch.window_start}～{batch.window_end}，{batch.participations_count} 个单位"
            )
        self.stdout.write(
            f"已创建活动“{campaign.name}”（{root.name}），共 {campaign.participations_count} 个参与单位"
        )
        self.stdout.write(str(campaign.pk))

    def _create(self, root: Unit, windows: dict[str, tuple[date, date]], options: dict[str, Any]) -> Campaign:
        """The template (a built-in name or key, or a file) and the campaign made from it."""
        path = Path(options["template"])
        template = None
        if path.suffix.lower() in specs.BUILTIN_SUFFIXES and path.is_file():
            spec = specs.load_file(path)
        else:
            template = services.template_for_use(actor=None, name=options["template"])
            spec = template.spec
        return services.campaign_create(
            actor=None,
            spec=spec,
            root=root,
            start=options["start"],
            end=options["end"],
            name=options["name"],
            template=template,
            windows=windows,
        )
