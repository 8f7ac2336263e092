"""echelon export_members FILE [--under CODE]: format from the extension (.csv or .xlsx), template columns."""

from __future__ import annotations

from echelon.orgs.management.commands.export_units import Command as ExportUnitsCommand


class Command(ExportUnitsCommand):
    help = "导出党员到 .csv 或 .xlsx（列同导入模板）；--under 只导出该组织及其下级的党员。"
    kind = "members"
