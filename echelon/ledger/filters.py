"""One filter definition for each ledger list: the pages, the API and the exports use these.

Every condition is an indexed one (a path range, a status, a category) or bounded by the list's LIMIT (the
text search, ``selectors.search``); the querysets given here are already scoped to the caller.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from echelon.core.tree import UPPER_BOUND
from echelon.ledger import selectors
from echelon.ledger.models import Channel, Opinion, OpinionStatus, Problem, ProblemStatus, Task
from echelon.orgs.models import Level, Unit

ALL = _("全部")
OVERDUE = [("yes", _("有超期任务"))]


def tagged_q(field: str, key: str) -> Q:
    """Rows whose JSON list of carrier tags (``field``) holds ``key``: the keys are plain (letters, digits,
    ``-_.``), so the quoted key is found in the list's text on SQLite and PostgreSQL alike."""
    return Q(**{f"{field}__icontains": f'"{key}"'})


def active(filterset: django_filters.FilterSet) -> int:
    """How many filters other than the search box are set (a phone shows the folded filters then)."""
    data = filterset.data or {}
    return sum(1 for name in filterset.filters if name != "q" and str(data.get(name, "")).strip())


def under_q(field: str, code: str) -> Q | None:
    """Rows whose ``field`` lies under the unit with this code (None: no such unit). The querysets are
    already scoped, so naming a unit outside one's part only finds nothing."""
    path = Unit.objects.filter(code=(code or "").strip()[:32]).values_list("path", flat=True).first()
    if path is None:
        return None
    return Q(**{f"{field}__gte": path, f"{field}__lt": path + UPPER_BOUND})


class _UnderMixin:
    def filter_under(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if not value.strip():
            return queryset
        cond = under_q("path", value)
        return queryset.none() if cond is None else queryset.filter(cond)


class OpinionFilter(_UnderMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索内容或回执号"), method="filter_q")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=OpinionStatus.choices, empty_label=ALL)
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=Channel.choices, empty_label=ALL)
    under = django_filters.CharFilter(label=_("单位"), method="filter_under", help_text=_("组织代码，含下级"))

    class Meta:
        model = Opinion
        fields = ["q", "status", "channel", "under"]

    def filter_q(self, queryset: QuerySet[Opinion], name: str, value: str) -> QuerySet[Opinion]:
        value = value.strip()[:50]
        if not value:
            return queryset
        code = value.replace("-", "").replace(" ", "").upper()
        return queryset.filter(Q(text__contains=value) | Q(tracking_code=code))


class ProblemFilter(_UnderMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_q")
    category = django_filters.ChoiceFilter(label=_("类别"), empty_label=ALL)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ProblemStatus.choices, empty_label=ALL)
    source = django_filters.ChoiceFilter(label=_("来源"), empty_label=ALL)
    item = django_filters.ChoiceFilter(label=_("专项整治事项"), empty_label=ALL)
    overdue = django_filters.ChoiceFilter(
        label=_("超期"), choices=OVERDUE, empty_label=ALL, method="filter_overdue"
    )
    level = django_filters.ChoiceFilter(label=_("层级"), choices=Level.choices, empty_label=ALL)
    under = django_filters.CharFilter(label=_("单位"), method="filter_under", help_text=_("组织代码，含下级"))
    # ADR 18: the region's carriers (四大行动、六大工程) and targeted guidance by sector (分类指导)
    tag = django_filters.ChoiceFilter(label=_("载体"), empty_label=ALL, method="filter_tag")
    sector = django_filters.ChoiceFilter(label=_("分类指导"), empty_label=ALL, method="filter_sector")

    class Meta:
        model = Problem
        fields = ["q", "category", "status", "source", "item", "overdue", "level", "under", "tag", "sector"]

    def __init__(self, *args: Any, campaign: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ledger = campaign.spec.ledger if campaign is not None else None
        for name, terms in (
            ("category", ledger.categories if ledger else ()),
            ("source", ledger.sources if ledger else ()),
            ("item", ledger.items if ledger else ()),
        ):
            self.filters[name].extra["choices"] = [(t.key, t.name) for t in terms]
        if ledger is not None and not ledger.items:
            del self.filters["item"]
        self.sectors = {s.key: s.industries for s in campaign.spec.sectors} if campaign is not None else {}
        self.filters["tag"].extra["choices"] = [(t.key, t.name) for t in (ledger.tags if ledger else ())]
        self.filters["sector"].extra["choices"] = (
            [(s.key, s.name) for s in campaign.spec.sectors] if campaign is not None else []
        )
        for name in ("tag", "sector"):
            if not self.filters[name].extra["choices"]:
                del self.filters[name]

    def filter_tag(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        return queryset.filter(tagged_q("tags", value)) if value else queryset

    def filter_sector(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        if not value:
            return queryset
        return queryset.filter(unit__industry__in=self.sectors.get(value, ()))

    def filter_q(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        return selectors.search(queryset, value)

    def filter_overdue(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        """Problems with an overdue task: a correlated EXISTS on the task's problem index, so the newest
        first are found without gathering every overdue task of a large part."""
        if value != "yes":
            return queryset
        late = Task.objects.overdue(timezone.localdate()).filter(problem_id=OuterRef("pk"))
        return queryset.filter(Exists(late))
