"""echelon import_members FILE [--dry-run] [--user USERNAME]: the same checks and writes as the web import."""

from __future__ import annotations

from echelon.orgs.management.commands.import_units import Command as ImportUnitsCommand


class Command(ImportUnitsCommand):
    help = "导入党员（.xlsx 或 .csv，列同模板）。有任何错误时打印逐行报告、不写入并以非零状态退出。"
    kind = "members"
