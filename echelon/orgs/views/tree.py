"""Browsing the registry: lazy tree, unit pages, member lists, search. Every query is scoped."""

from __future__ import annotations

import django_tables2 as tables
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django_tables2 import LazyPaginator

from echelon.core import paging
from echelon.core.models import AuditEvent
from echelon.core.pages import attempt
from echelon.core.permissions import allowed
from echelon.core.querysets import scoped_object
from echelon.orgs import lookup, selectors, services
from echelon.orgs.filters import MemberFilter, UnitFilter
from echelon.orgs.models import Member, Unit
from echelon.orgs.tables import KnownCountPaginator, MemberTable, UnitSearchTable, UnitTable

PER_PAGE = 50
TREE_LIMIT = 100


def browse(request: HttpRequest) -> HttpResponse:
    roots = list(selectors.top_units(request.user)[:TREE_LIMIT])
    if len(roots) == 1:
        return redirect(roots[0])
    return render(request, "orgs/browse.html", {"roots": roots})


@require_GET
def tree_children(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_for(request.user, code)
    children = list(
        Unit.objects.visible_to(request.user)
        .filter(parent=unit, is_active=True)
        .order_by("-sub_units", "code")[: TREE_LIMIT + 1]
    )
    return render(
        request,
        "orgs/_tree_children.html",
        {"unit": unit, "children": children[:TREE_LIMIT], "more": len(children) > TREE_LIMIT},
    )


def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_for(request.user, code)
    children = Unit.objects.visible_to(request.user).filter(parent=unit, is_active=True)
    filterset = UnitFilter(request.GET, queryset=children)
    table = UnitTable(filterset.qs)
    filtered = any(v for k, v in request.GET.items() if k in filterset.filters)
    if filtered:
        paging.paginate_table(request, table, per_page=PER_PAGE)
    else:
        paging.paginate_table(request, table, per_page=PER_PAGE, paginator_class=KnownCountPaginator)
    return render(
        request,
        "orgs/unit_detail.html",
        {
            "unit": unit,
            "breadcrumb": selectors.breadcrumb(request.user, unit),
            "breakdown": selectors.subtree_breakdown(unit),
            "table": table,
            "filter": filterset,
            "can_change": allowed(request.user, "change", unit.path),
            "can_import": allowed(request.user, "import", unit.path),
            "can_export": allowed(request.user, "export", unit.path),
            "tab": "children",
        },
    )


def unit_members(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_for(request.user, code)
    scope = request.GET.get("scope", "home")
    base = Member.objects.visible_to(request.user).select_related("unit", "inflow_unit")
    qs = base.participating_in(unit.path) if scope == "participating" else base.within(unit.path)
    filterset = MemberFilter(request.GET, queryset=qs)
    filtered = any(v for k, v in request.GET.items() if k in filterset.filters)
    table = MemberTable(filterset.qs)
    if filtered:
        paging.paginate_table(request, table, per_page=PER_PAGE, paginator_class=LazyPaginator)
    else:
        known = unit.sub_participants if scope == "participating" else unit.sub_members
        paging.paginate_table(
            request, table, per_page=PER_PAGE, paginator_class=KnownCountPaginator, known_count=known
        )
    return render(
        request,
        "orgs/unit_members.html",
        {
            "unit": unit,
            "breadcrumb": selectors.breadcrumb(request.user, unit),
            "table": table,
            "filter": filterset,
            "scope": scope,
            "scope_hidden": [("scope", scope)],
            "filtered": filtered,
            "can_export": allowed(request.user, "export", unit.path),
            "can_change": allowed(request.user, "change", unit.path),
            "tab": "members",
        },
    )


def unit_blind_spots(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_for(request.user, code)
    qs = (
        Member.objects.visible_to(request.user)
        .within(unit.path)
        .filter(is_mobile=True, inflow_unit__isnull=True)
        .select_related("unit")
    )
    can_change = allowed(request.user, "change", unit.path)
    here = request.get_full_path()
    extra = []
    if can_change:  # each blind spot: register the member's inflow unit on the member's form
        extra = [
            (
                "register",
                tables.TemplateColumn(
                    '{% load i18n %}<a class="btn btn-sm btn-outline-danger text-nowrap" href="'
                    "{% url 'orgs:member_edit' record.code %}?next={{ here|urlencode }}#id_inflow_unit\">"
                    '{% translate "填写流入组织" %}</a>',
                    verbose_name="",
                    orderable=False,
                    extra_context={"here": here},
                ),
            )
        ]
    table = MemberTable(qs, exclude=["inflow_unit", "is_mobile"], extra_columns=extra)
    paging.paginate_table(
        request, table, per_page=PER_PAGE, paginator_class=KnownCountPaginator, known_count=unit.sub_blind
    )
    return render(
        request,
        "orgs/unit_blind_spots.html",
        {
            "unit": unit,
            "breadcrumb": selectors.breadcrumb(request.user, unit),
            "table": table,
            "can_change": can_change,
            "here": here,
            "tab": "blind",
        },
    )


def unit_history(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_for(request.user, code)
    events = AuditEvent.objects.visible_to(request.user, "view").filter(
        object_type="orgs.unit", object_id=str(unit.pk)
    )[:PER_PAGE]
    return render(
        request,
        "orgs/unit_history.html",
        {
            "unit": unit,
            "breadcrumb": selectors.breadcrumb(request.user, unit),
            "events": events,
            "tab": "history",
        },
    )


class MoveForm(forms.Form):
    new_parent = forms.CharField(label=gettext_lazy("新的上级组织代码"), max_length=32)


def unit_move(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_for(request.user, code, "change")
    form = MoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def move() -> Unit:
            target = scoped_object(
                request.user,
                Unit.objects,
                "change",
                code=form.cleaned_data["new_parent"],
                otherwise=ValidationError({"new_parent": [_("找不到该组织，或它不在您的管理范围内。")]}),
            )
            services.unit_move(actor=request.user, unit=unit, new_parent=target)
            return target

        done = attempt(
            request,
            move,
            success=lambda target: (
                _("已将“%(unit)s”移到“%(parent)s”之下。") % {"unit": unit.name, "parent": target.name}
            ),
            form=form,
        )
        if done.ok:
            return redirect(unit)
    return render(
        request,
        "orgs/unit_move.html",
        {"unit": unit, "breadcrumb": selectors.breadcrumb(request.user, unit), "form": form},
    )


def member_detail(request: HttpRequest, code: str) -> HttpResponse:
    member = get_object_or_404(
        Member.objects.visible_to(request.user).select_related("unit", "inflow_unit"), code=code
    )
    events = AuditEvent.objects.visible_to(request.user).filter(
        object_type="orgs.member", object_id=str(member.pk)
    )[:20]
    return render(
        request,
        "orgs/member_detail.html",
        {
            "member": member,
            "breadcrumb": selectors.breadcrumb(request.user, member.unit),
            "events": events,
            "can_change": allowed(request.user, "change", member.path),
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    q = lookup.normalize(request.GET.get("q", ""))
    visible = Unit.objects.visible_to(request.user).filter(is_active=True)
    qs = lookup.search(visible, q)  # suffix tolerant: 武川县党委 finds 武川县
    table = UnitSearchTable(qs.order_by("level", "code"), order_by=request.GET.get("sort") or None)
    paging.paginate_table(request, table, per_page=PER_PAGE, paginator_class=LazyPaginator)
    table.parent_paths = lookup.parent_paths(request.user, [row.record for row in table.page.object_list])
    return render(request, "orgs/search.html", {"q": q, "table": table})
