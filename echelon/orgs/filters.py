"""One filter definition for each list: the HTML table, the API and the export all use these."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from echelon.orgs.models import AreaType, Gender, Kind, LeadBy, Level, Member, MemberStatus, Unit

ALL = _("全部")


def _prefix(field: str, value: str) -> Q:
    """`field` starts with `value`, as an index range (LIKE 'x%' cannot use an index on SQLite)."""
    return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\uffff"})


def unit_search_q(q: str) -> Q:
    """Prefix matches on code, name, pinyin (huhehaote) and pinyin initials (hhht): index ranges only."""
    q = q.strip()
    if not q:
        return Q()
    cond = _prefix("code", q) | _prefix("name", q)
    if q.isascii():
        low = q.lower().replace(" ", "")
        cond |= _prefix("initials", low) | _prefix("pinyin", low)
    return cond


def unit_contains_q(q: str) -> Q:
    """Anywhere in the name or the pinyin: a scan, used only when no prefix matches."""
    q = q.strip()
    cond = Q(name__contains=q)
    if q.isascii():
        cond |= Q(pinyin__contains=q.lower().replace(" ", ""))
    return cond


def search_units(queryset: QuerySet[Unit], q: str) -> QuerySet[Unit]:
    """Prefix matches when there are any, otherwise matches anywhere in the name or pinyin."""
    if not q.strip():
        return queryset
    # As a subquery, so the planner walks the small name/pinyin index ranges, not the (scope) path range.
    prefixed = queryset.filter(pk__in=Unit.objects.filter(unit_search_q(q)).values("pk"))
    return prefixed if prefixed.exists() else queryset.filter(unit_contains_q(q))


class UnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_q")
    level = django_filters.ChoiceFilter(label=_("层级"), choices=Level.choices, empty_label=ALL)
    kind = django_filters.ChoiceFilter(label=_("类别"), choices=Kind.choices, empty_label=ALL)
    area_type = django_filters.ChoiceFilter(label=_("区域类型"), choices=AreaType.choices, empty_label=ALL)
    lead_by = django_filters.ChoiceFilter(label=_("活动牵头"), choices=LeadBy.choices, empty_label=ALL)

    class Meta:
        model = Unit
        fields = ["q", "level", "kind", "area_type", "lead_by"]

    def filter_q(self, queryset: QuerySet[Unit], name: str, value: str) -> QuerySet[Unit]:
        return search_units(queryset, value)


class MobileChoice:
    choices = [("yes", _("流动党员")), ("no", _("非流动党员")), ("blind", _("盲点（无流入组织）"))]


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名或编号"), method="filter_q")
    gender = django_filters.ChoiceFilter(label=_("性别"), choices=Gender.choices, empty_label=ALL)
    status = django_filters.ChoiceFilter(label=_("党员类别"), choices=MemberStatus.choices, empty_label=ALL)
    ethnicity = django_filters.CharFilter(label=_("民族"))
    mobile = django_filters.ChoiceFilter(
        label=_("流动情况"), choices=MobileChoice.choices, empty_label=ALL, method="filter_mobile"
    )

    class Meta:
        model = Member
        fields = ["q", "gender", "status", "ethnicity", "mobile"]

    def filter_q(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__startswith=value) | Q(code=value))

    def filter_mobile(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        if value == "yes":
            return queryset.filter(is_mobile=True)
        if value == "no":
            return queryset.filter(is_mobile=False)
        if value == "blind":
            return queryset.filter(is_mobile=True, inflow_unit__isnull=True)
        return queryset
