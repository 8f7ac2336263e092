"""echelon list_templates: the built-in templates (key, name, file), then those stored in the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from echelon.campaigns import specs
from echelon.campaigns.models import CampaignTemplate


class Command(BaseCommand):
    help = "列出内置活动模板（以及数据库中已载入或编辑过的模板）。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("内置模板（templates_data/）：")
        for item in specs.builtins():
            phases = "、".join(p.name for p in item.spec.phases)
            self.stdout.write(f"  {item.spec.key}\t{item.spec.name}\t{item.file}\t环节：{phases}")
        stored = list(CampaignTemplate.objects.order_by("key").values_list("key", "name", "builtin_file"))
        if stored:
            self.stdout.write("已载入的模板：")
            for key, name, builtin_file in stored:
                self.stdout.write(f"  {key}\t{name}\t{'内置' if builtin_file else '自定义'}")
