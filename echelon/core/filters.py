from __future__ import annotations

import django_filters
from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from echelon.core.models import AuditEvent


class AuditFilter(django_filters.FilterSet):
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
        # Resolved through the app registry: core never imports a domain app.
        unit = apps.get_model("orgs", "Unit").objects.filter(code=value.strip()).only("path").first()
        return queryset.within(unit.path) if unit else queryset.none()  # type: ignore[attr-defined]
