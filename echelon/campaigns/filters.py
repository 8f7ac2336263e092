"""One filter definition for the participations: the HTML table, the API's plan and the export use it."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from echelon.campaigns.models import Participation
from echelon.orgs.filters import unit_search_q
from echelon.orgs.models import Kind, Level

ALL = _("全部")
STATES = [
    ("not_started", _("未开始")),
    ("overdue", _("逾期未开始")),
    ("in_progress", _("进行中")),
    ("late", _("推迟开始")),
    ("done", _("已完成")),
]


def _prefixed(q: Q, prefix: str) -> Q:
    """The same condition on a related model (``unit__…``)."""
    copy = Q()
    copy.connector, copy.negated = q.connector, q.negated
    children: list[Any] = list(q.children)
    copy.children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1])
        for child in children
    ]
    return copy


class ParticipationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_q")
    level = django_filters.ChoiceFilter(label=_("层级"), choices=Level.choices, empty_label=ALL)
    kind = django_filters.ChoiceFilter(label=_("类别"), choices=Kind.choices, empty_label=ALL)
    batch = django_filters.ChoiceFilter(label=_("批次"), empty_label=ALL, method="filter_batch")
    state = django_filters.ChoiceFilter(
        label=_("进度"), choices=STATES, empty_label=ALL, method="filter_state"
    )

    class Meta:
        model = Participation
        fields = ["q", "level", "kind", "batch", "state"]

    def __init__(self, *args: Any, campaign: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if campaign is not None:
            self.filters["batch"].extra["choices"] = list(
                campaign.batches.order_by("ordinal").values_list("key", "name")
            )

    def filter_q(self, queryset: QuerySet[Participation], name: str, value: str) -> QuerySet[Participation]:
        cond = unit_search_q(value)
        return queryset.filter(_prefixed(cond, "unit__")) if cond else queryset

    def filter_batch(
        self, queryset: QuerySet[Participation], name: str, value: str
    ) -> QuerySet[Participation]:
        return queryset.filter(batch__key=value) if value else queryset

    def filter_state(
        self, queryset: QuerySet[Participation], name: str, value: str
    ) -> QuerySet[Participation]:
        today = timezone.localdate()
        if value == "not_started":
            return queryset.filter(actual_start__isnull=True)
        if value == "overdue":
            return queryset.filter(actual_start__isnull=True).filter(
                Q(baseline_start__lt=today) | Q(baseline_start__isnull=True, planned_start__lt=today)
            )
        if value == "in_progress":
            return queryset.filter(actual_start__isnull=False, actual_end__isnull=True)
        if value == "late":
            return queryset.filter(start_delay__gt=0)
        if value == "done":
            return queryset.filter(actual_end__isnull=False)
        return queryset
