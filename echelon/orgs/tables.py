from __future__ import annotations

import django_tables2 as tables
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from echelon.orgs.models import Member, Unit


class KnownCountPaginator(Paginator):
    """A paginator told its total (from a rollup) so it never counts a big subtree."""

    def __init__(self, *args, known_count: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._known_count = known_count

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return self._known_count
        return super().count


class DateCol(tables.Column):
    """A date as 2014-01-20. (django-tables2's DateColumn compiles a template for every cell.)"""

    def render(self, value):
        return value.isoformat() if value else "—"


class UnitTable(tables.Table):
    code = tables.Column(verbose_name=_("组织代码"))
    name = tables.Column(linkify=True, verbose_name=_("名称"))
    level = tables.Column(verbose_name=_("层级"))
    kind = tables.Column(verbose_name=_("类别"))
    area_type = tables.Column(verbose_name=_("区域类型"))
    sub_units = tables.Column(verbose_name=_("组织数"), attrs={"td": {"class": "text-end"}})
    sub_members = tables.Column(verbose_name=_("党员"), attrs={"td": {"class": "text-end"}})
    sub_participants = tables.Column(verbose_name=_("参加活动"), attrs={"td": {"class": "text-end"}})
    sub_mobile = tables.Column(verbose_name=_("流动"), attrs={"td": {"class": "text-end"}})
    sub_blind = tables.Column(verbose_name=_("盲点"), attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Unit
        fields = [
            "code",
            "name",
            "level",
            "kind",
            "area_type",
            "sub_units",
            "sub_members",
            "sub_participants",
            "sub_mobile",
            "sub_blind",
        ]
        attrs = {"class": "table table-sm table-hover mb-0"}
        order_by = ("-sub_units", "code")  # the big subtrees (leagues, counties) first
        empty_text = _("没有符合条件的组织。")

    def render_sub_blind(self, value: int) -> str:
        return f"{value:,}" if value else "—"


class MemberTable(tables.Table):
    code = tables.Column(verbose_name=_("党员编号"))
    name = tables.Column(verbose_name=_("姓名"))
    gender = tables.Column(verbose_name=_("性别"))
    ethnicity = tables.Column(verbose_name=_("民族"))
    birth_date = DateCol(verbose_name=_("出生日期"))
    joined_date = DateCol(verbose_name=_("入党日期"))
    status = tables.Column(verbose_name=_("党员类别"))
    unit = tables.Column(linkify=True, verbose_name=_("所在组织"), order_by=("path", "id"))
    is_mobile = tables.BooleanColumn(verbose_name=_("流动"))
    inflow_unit = tables.Column(linkify=True, verbose_name=_("流入组织"), orderable=False)

    class Meta:
        model = Member
        fields = [
            "code",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "joined_date",
            "status",
            "unit",
            "is_mobile",
            "inflow_unit",
        ]
        attrs = {"class": "table table-sm table-hover mb-0"}
        empty_text = _("没有符合条件的党员。")
