from __future__ import annotations

from collections.abc import Callable

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from echelon.core.models import AuditEvent

UnitPathLookup = Callable[[str], str | None]
_unit_path: list[UnitPathLookup] = []


def register_unit_path(lookup: UnitPathLookup) -> UnitPathLookup:
    """Let the app that owns the unit tree (orgs, in its `ready()`) say which tree path a unit code names:
    core's filters narrow by a unit code without importing a domain app (ADR 13)."""
    _unit_path[:] = [lookup]
    return lookup


def unit_path(code: str) -> str | None:
    if not _unit_path:
        raise ImproperlyConfigured("no app registered a unit-code lookup (echelon.orgs registers it)")
    return _unit_path[0](code)


BIGINT_MAX = 2**63 - 1


class IdFilter(django_filters.NumberFilter):  # type: ignore[misc]  # django-filter has no type hints
    """A filter on a row id (``?task=12``): a whole number a database key can hold. django-filter's
    ``NumberFilter`` takes any decimal, and ``?task=-4.6e238`` reached the database as an integer no column
    holds: a 500 on SQLite (OverflowError) and on PostgreSQL (out of range). Outside the range it is a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", -BIGINT_MAX)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class AuditFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter has no type hints
    q = django_filters.CharFilter(label=_("对象或操作人"), method="filter_q")
    verb = django_filters.CharFilter(label=_("操作"), lookup_expr="startswith")
    start = django_filters.DateFilter(label=_("起始日期"), field_name="at", lookup_expr="date__gte")
    end = django_filters.DateFilter(label=_("截止日期"), field_name="at", lookup_expr="date__lte")
    unit = django_filters.CharFilter(label=_("组织代码（含下级）"), method="filter_unit")

    class Meta:
        model = AuditEvent
        fields = ["q", "verb", "start", "end", "unit"]

    def filter_q(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        value = value.strip()
        return (
            queryset.filter(Q(object_repr__icontains=value) | Q(actor_name__icontains=value))
            if value
            else queryset
        )

    def filter_unit(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        path = unit_path(value.strip())
        return queryset.within(path) if path else queryset.none()  # type: ignore[attr-defined]
