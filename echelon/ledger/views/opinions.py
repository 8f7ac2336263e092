"""Opinions (意见): the list, the staff entry form (one by one), the detail with triage (turn into a problem,
merge, public reply, close) and the opinion's story."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import LazyPaginator

from echelon.core import paging
from echelon.core.pages import attempt, attempt_form, flash_form_errors
from echelon.core.permissions import allowed, require_somewhere
from echelon.core.querysets import scope_paths, scoped_object
from echelon.ledger import filters, services
from echelon.ledger.filters import OpinionFilter
from echelon.ledger.forms import CloseForm, MergeForm, OpinionForm, ReplyForm
from echelon.ledger.models import Opinion, OpinionStatus
from echelon.ledger.services.opinions import normalize_code
from echelon.ledger.views.story import listed_opinions, story
from echelon.orgs.filters import search_units
from echelon.orgs.models import Unit

PER_PAGE = 50
RECORDERS_ONLY = gettext_lazy("只有单位的领导小组办公室和联络员可以登记。")
TRIAGED_TOGETHER = 30  # other opinions of the same unit offered to turn into one problem


@dataclass
class Picked:
    """The unit a form is for, chosen by code (``?unit=``) or found by name or code (``?find=``)."""

    unit: Unit | None
    find: str = ""
    matches: list[Unit] = field(default_factory=list)


def pick_unit(request: HttpRequest, action: str = "change") -> Picked:
    """The unit named by ``unit`` (GET or POST; 404 outside the caller's ``action`` scope), else the units
    matching ``find``, else the caller's only unit for ``action``."""
    code = (request.POST.get("unit") or request.GET.get("unit") or "").strip()
    if code:
        return Picked(scoped_object(request.user, Unit.objects, action, code=code[:32]))
    units = Unit.objects.visible_to(request.user, action).filter(is_active=True)
    find = request.GET.get("find", "").strip()[:50]
    if find:
        matches = list(search_units(units, find).order_by("level", "code")[:20])
        return Picked(matches[0] if len(matches) == 1 else None, find, matches)
    paths = scope_paths(request.user, action)
    if paths is not None and len(paths) == 1:
        return Picked(units.filter(path=paths[0]).first())
    return Picked(None)


def _can_change(request: HttpRequest) -> Any:
    paths = scope_paths(request.user, "change")
    return lambda path: paths is None or any(path.startswith(p) for p in paths)


@require_GET
def opinion_list(request: HttpRequest) -> HttpResponse:
    base = listed_opinions(request.user).select_related("unit").order_by("-id")
    filterset = OpinionFilter(request.GET, queryset=base)
    page = paging.get_page(LazyPaginator(filterset.qs, PER_PAGE), request)
    can_change = _can_change(request)
    for o in page.object_list:
        o.can_change = can_change(o.path)
        o.open = o.status in (OpinionStatus.NEW, OpinionStatus.REPLIED)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ledger/opinion_list.html",
        {
            "filter": filterset,
            "filters_active": filters.active(filterset),
            "page": page,
            "query": query.urlencode(),
            "selectable": any(o.can_change and o.open for o in page.object_list),
        },
    )


@require_http_methods(["GET", "POST"])
def opinion_new(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, "change", str(RECORDERS_ONLY))
    picked = pick_unit(request)
    unit = picked.unit
    form = OpinionForm(
        request.POST or None,
        initial={"unit": unit.code if unit else "", "received_on": timezone.localdate()},
    )
    if request.method == "POST" and unit is not None and form.is_valid():
        data = form.cleaned_data
        outcome = attempt(
            request,
            lambda: services.opinion_record(
                actor=request.user,
                unit=unit,
                text=data["text"],
                channel=data["channel"],
                received_on=data["received_on"],
                contact=data["contact"],
            ),
            success=lambda o: _("已登记，回执号 %(code)s。可以继续录入下一条。") % {"code": o.tracking_code},
            form=form,
        )
        if outcome.ok:
            return redirect(reverse("ledger:opinion_new") + f"?unit={unit.code}")
    return render(request, "ledger/opinion_form.html", {"form": form, "picked": picked, "unit": unit})


@require_GET
def opinion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opinion = scoped_object(
        request.user, Opinion.objects.select_related("unit", "problem", "merged_into"), pk=pk
    )
    can_change = allowed(request.user, "change", opinion.path)
    triage = can_change and opinion.status in (OpinionStatus.NEW, OpinionStatus.REPLIED)
    siblings: list[Opinion] = []
    if triage:
        siblings = list(
            Opinion.objects.visible_to(request.user, "change")
            .filter(unit_id=opinion.unit_id, status__in=(OpinionStatus.NEW, OpinionStatus.REPLIED))
            .exclude(pk=opinion.pk)
            .order_by("-id")[:TRIAGED_TOGETHER]
        )
    return render(
        request,
        "ledger/opinion_detail.html",
        {
            "opinion": opinion,
            "can_change": can_change,
            "triage": triage,
            "siblings": siblings,
            "reply_form": ReplyForm(initial={"reply": opinion.public_reply}),
            "close_form": CloseForm(),
            "merge_form": MergeForm(),
            "story": story([("ledger.opinion", [opinion.pk])]),
        },
    )


def _opinion(request: HttpRequest, pk: int) -> Opinion:
    return scoped_object(request.user, Opinion.objects, pk=pk)


def _back(opinion: Opinion) -> HttpResponse:
    return redirect("ledger:opinion", pk=opinion.pk)


@require_POST
def opinion_reply(request: HttpRequest, pk: int) -> HttpResponse:
    opinion = _opinion(request, pk)
    attempt_form(
        request,
        ReplyForm(request.POST),
        lambda d: services.opinion_reply(actor=request.user, opinion=opinion, reply=d["reply"]),
        success=_("已公开答复，群众凭回执号可以查看。"),
    )
    return _back(opinion)


@require_POST
def opinion_close(request: HttpRequest, pk: int) -> HttpResponse:
    opinion = _opinion(request, pk)
    attempt_form(
        request,
        CloseForm(request.POST),
        lambda d: services.opinion_close(actor=request.user, opinion=opinion, reason=d["reason"]),
        success=_("意见已关闭。"),
    )
    return _back(opinion)


@require_POST
def opinion_merge(request: HttpRequest, pk: int) -> HttpResponse:
    opinion = _opinion(request, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return _back(opinion)
    code = normalize_code(form.cleaned_data["into"])

    def merge() -> Opinion:
        into = scoped_object(
            request.user,
            Opinion.objects,
            otherwise=ValidationError(_("找不到回执号为 %(code)s 的意见。") % {"code": code}),
            tracking_code=code,
        )
        return services.opinion_merge(actor=request.user, opinion=opinion, into=into)

    attempt(request, merge, success=_("已合并，今后随目标意见一并处理。"))
    return _back(opinion)
