from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from echelon.campaigns.models import Participation
from echelon.campaigns.selectors import kind_label, level_label
from echelon.orgs.tables import DateCol


class ParticipationTable(tables.Table):
    unit = tables.Column(verbose_name=_("单位"), order_by=("path",))
    code = tables.Column(verbose_name=_("组织代码"), accessor="unit__code", order_by=("unit__code",))
    level = tables.Column(verbose_name=_("层级"))
    kind = tables.Column(verbose_name=_("类别"))
    batch = tables.Column(verbose_name=_("批次"), accessor="batch__name", order_by=("batch__ordinal",))
    planned_start = DateCol(verbose_name=_("计划开始"))
    milestone_date = DateCol(verbose_name=_("动员大会"))
    planned_end = DateCol(verbose_name=_("计划结束"))
    current_phase = tables.Column(verbose_name=_("当前环节"), orderable=False, empty_values=())
    actual_start = DateCol(verbose_name=_("实际开始"))
    start_delay = tables.Column(verbose_name=_("推迟（天）"), attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Participation
        fields = [
            "unit",
            "code",
            "level",
            "kind",
            "batch",
            "planned_start",
            "milestone_date",
            "planned_end",
            "current_phase",
            "actual_start",
            "start_delay",
        ]
        attrs = {"class": "table table-sm table-hover mb-0"}
        order_by = ("unit",)
        empty_text = _("没有符合条件的参与单位。")

    def __init__(self, *args: Any, campaign: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.spec = campaign.spec
        milestone = self.spec.milestone()
        if milestone:
            self.columns["milestone_date"].column.verbose_name = milestone[1].name

    def render_unit(self, record: Participation) -> str:
        url = reverse("campaigns:unit_plan", args=[self.campaign.pk, record.unit.code])
        return format_html('<a href="{}">{}</a>', url, record.unit.name)

    def render_level(self, value: int) -> str:
        return level_label(self.spec, value)

    def render_kind(self, value: str) -> str:
        return kind_label(value)

    def render_current_phase(self, record: Participation) -> str:
        phases = self.spec.phases
        if record.actual_end is not None or record.current_phase >= len(phases):
            return str(_("已完成"))
        if record.actual_start is None:
            return str(_("未开始"))
        return phases[record.current_phase].name

    def render_start_delay(self, value: int) -> str:
        return f"+{value}" if value > 0 else str(value)
