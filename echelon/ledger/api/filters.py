"""Filters of the ledger API's lists (query parameters; the schema shows them). Each narrows a queryset that
is already scoped to the caller; ``under`` takes a unit code and answers 404 when the code is unknown or
the caller sees nothing below it (the same rule as the summary)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from echelon.campaigns.models import Campaign
from echelon.core.actors import Actor
from echelon.core.filters import IdFilter
from echelon.core.querysets import scope_paths
from echelon.core.tree import subtree_q
from echelon.ledger import selectors
from echelon.ledger.filters import tagged_q
from echelon.ledger.models import (
    Channel,
    Escalation,
    EscalationState,
    Handover,
    HandoverState,
    Institution,
    InstitutionAction,
    Opinion,
    OpinionStatus,
    Problem,
    ProblemStatus,
    Severity,
    Task,
    TaskStatus,
)
from echelon.orgs.models import Unit

UNDER_HELP = _("组织代码：只看该组织及其下级（当前责任单位）")
SECTOR_HELP = _("分类指导（键）：责任单位属于该类别的行业系统")
DIRECTIONS = [("in", _("报给我的")), ("out", _("我报出的"))]


def under_unit(actor: Actor, code: str) -> tuple[Unit, Q]:
    """The unit a code names and the condition on ``path`` for the caller's part of its subtree; 404 when
    the code is unknown or nothing of the subtree is the caller's."""
    unit = Unit.objects.filter(code=(code or "").strip()[:32]).first()
    where = selectors.part_of(actor, unit) if unit is not None else None
    if unit is None or where is None:
        raise Http404
    return unit, where


class _UnderFilterSet(django_filters.FilterSet):
    under = django_filters.CharFilter(label=UNDER_HELP, method="filter_under")

    def filter_under(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if not value.strip():
            return queryset
        _unit, where = under_unit(getattr(self.request, "user", None), value)
        return queryset.filter(where)


class OpinionFilter(_UnderFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=OpinionStatus.choices)
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=Channel.choices)

    class Meta:
        model = Opinion
        fields = ["under", "status", "channel"]


def _in_sector(queryset: QuerySet[Any], key: str, campaign_field: str = "campaign_id") -> QuerySet[Any]:
    """Rows whose unit's sector system belongs to the targeted-guidance category ``key`` (ADR 18) of the
    row's own campaign (a handful of campaigns: one condition each; a key none defines: nothing)."""
    key = key.strip()[:64]
    if not key:
        return queryset
    where = Q(pk__in=[])
    for campaign in Campaign.objects.only("pk", "template_data"):
        sector = campaign.spec.sector(key)
        if sector is not None:
            where |= Q(**{campaign_field: campaign.pk, "unit__industry__in": list(sector.industries)})
    return queryset.filter(where)


def _overdue_problems(queryset: QuerySet[Problem], value: bool | None) -> QuerySet[Problem]:
    if value is None:
        return queryset
    late = Exists(Task.objects.overdue(timezone.localdate()).filter(problem_id=OuterRef("pk")))
    return queryset.filter(late) if value else queryset.exclude(late)


class ProblemFilter(_UnderFilterSet):
    category = django_filters.CharFilter(label=_("类别（键）"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ProblemStatus.choices)
    source = django_filters.CharFilter(label=_("来源（键）"))
    item = django_filters.CharFilter(label=_("专项整治事项（键）"))
    severity = django_filters.ChoiceFilter(label=_("程度"), choices=Severity.choices)
    campaign = IdFilter(label=_("活动"), field_name="campaign_id")
    overdue = django_filters.BooleanFilter(label=_("有逾期未完成的整改任务"), method="filter_overdue")
    q = django_filters.CharFilter(label=_("搜索问题和具体表现（一两个字也可以）"), method="filter_q")
    tag = django_filters.CharFilter(label=_("载体（键，四大行动、六大工程）"), method="filter_tag")
    sector = django_filters.CharFilter(
        label=_("分类指导（键）：责任单位属于该类别的行业系统"), method="filter_sector"
    )

    class Meta:
        model = Problem
        fields = [
            "under",
            "category",
            "status",
            "source",
            "item",
            "severity",
            "campaign",
            "overdue",
            "q",
            "tag",
            "sector",
        ]

    def filter_tag(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        return queryset.filter(tagged_q("tags", value.strip()[:64])) if value.strip() else queryset

    def filter_sector(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        return _in_sector(queryset, value)

    def filter_overdue(self, queryset: QuerySet[Problem], name: str, value: bool | None) -> QuerySet[Problem]:
        return _overdue_problems(queryset, value)

    def filter_q(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        return selectors.search(queryset, value)


class TaskFilter(_UnderFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=TaskStatus.choices)
    overdue = django_filters.BooleanFilter(label=_("逾期未完成"), method="filter_overdue")
    item = django_filters.CharFilter(label=_("专项整治事项（键）"))
    category = django_filters.CharFilter(label=_("类别（键）"))
    tag = django_filters.CharFilter(label=_("载体（键）：任务所属问题的载体"), method="filter_tag")
    sector = django_filters.CharFilter(
        label=_("分类指导（键）：责任单位属于该类别的行业系统"), method="filter_sector"
    )
    problem = IdFilter(label=_("问题"), field_name="problem_id")

    class Meta:
        model = Task
        fields = ["under", "status", "overdue", "item", "category", "problem", "tag", "sector"]

    def filter_tag(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        return queryset.filter(tagged_q("problem__tags", value.strip()[:64])) if value.strip() else queryset

    def filter_sector(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        return _in_sector(queryset, value, "problem__campaign_id")

    def filter_overdue(self, queryset: QuerySet[Task], name: str, value: bool | None) -> QuerySet[Task]:
        if value is None:
            return queryset
        late = queryset.overdue(timezone.localdate())  # type: ignore[attr-defined]
        return late if value else queryset.exclude(pk__in=late.values("pk"))


class _DirectionFilterSet(django_filters.FilterSet):
    """``direction=in``: sent to the caller's units (to_path in their subtrees); ``out``: sent by them."""

    direction = django_filters.ChoiceFilter(label=_("方向"), choices=DIRECTIONS, method="filter_direction")

    def filter_direction(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        paths = scope_paths(getattr(self.request, "user", None), "view")
        if not value or paths is None:
            return queryset
        return queryset.filter(subtree_q("to_path" if value == "in" else "from_path", paths))


class EscalationFilter(_DirectionFilterSet):
    state = django_filters.ChoiceFilter(label=_("状态"), choices=EscalationState.choices)
    problem = IdFilter(label=_("问题"), field_name="problem_id")

    class Meta:
        model = Escalation
        fields = ["direction", "state", "problem"]


class HandoverFilter(_DirectionFilterSet):
    state = django_filters.ChoiceFilter(label=_("状态"), choices=HandoverState.choices)
    task = IdFilter(label=_("原任务"), field_name="task_id")

    class Meta:
        model = Handover
        fields = ["direction", "state", "task"]


class InstitutionFilter(_UnderFilterSet):
    action = django_filters.ChoiceFilter(label=_("类型"), choices=InstitutionAction.choices)
    problem = IdFilter(label=_("针对问题"), field_name="problems")

    class Meta:
        model = Institution
        fields = ["under", "action", "problem"]
