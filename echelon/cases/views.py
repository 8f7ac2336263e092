"""Typical cases (典型案例): the pages.

- ``index``: the library of the newest campaign the user sees;
- ``library``: a campaign's published cases the user's units learn from, by phase, action, unit category and
  level, with search (``?phase=&action=&category=&level=&q=``); the unit's phase page links here per action;
- ``mine`` / ``queue``: the cases of the user's units (any state) and the cases waiting for the user's review;
- ``case_detail``: the case, its files, its state; publish or return it there (the level above);
- ``case_new`` / ``case_edit``: the nomination form (the unit, the phase and action, title, text, files).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from echelon.campaigns import selectors as campaign_selectors
from echelon.campaigns.models import Campaign
from echelon.cases import selectors, services
from echelon.cases.forms import CaseForm, ReviewForm
from echelon.cases.models import Case, CaseFile, CaseStatus
from echelon.core import paging
from echelon.core.pages import attempt
from echelon.core.permissions import allowed

PER_PAGE = 20


def _tabs(request: HttpRequest) -> dict[str, Any]:
    return {"queue_count": selectors.review_queue(request.user).count()}


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    campaign = campaign_selectors.campaigns_for(request.user).order_by("-start", "-id").first()
    if campaign is not None:
        return redirect("cases:library", pk=campaign.pk)
    return render(request, "cases/library.html", {"campaign": None, **_tabs(request)})


@require_GET
def library(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_selectors.campaign_for(request.user, pk)
    filters = selectors.Filters.of(request.GET)
    rows = selectors.library(request.user, campaign, filters)
    page = paging.get_page(Paginator(rows, PER_PAGE), request)
    selectors.labelled(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/library.html",
        {
            "campaign": campaign,
            "campaigns": campaign_selectors.campaigns_for(request.user).order_by("-start", "-id")[:20],
            "filters": filters,
            "choices": selectors.choices(campaign, filters.phase),
            "page": page,
            "query": query.urlencode(),
            "can_nominate": selectors.nominating_units(request.user, campaign).exists(),
            **_tabs(request),
        },
    )


def _list(request: HttpRequest, rows: Any, title: str, tab: str) -> HttpResponse:
    page = paging.get_page(Paginator(rows, PER_PAGE), request)
    selectors.labelled(list(page.object_list))
    return render(request, "cases/list.html", {"page": page, "title": title, "tab": tab, **_tabs(request)})


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    return _list(request, selectors.own_cases(request.user), _("本单位推荐的案例"), "mine")


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    return _list(
        request, selectors.review_queue(request.user).order_by("nominated_at"), _("待我审核"), "queue"
    )


@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for(request.user, pk)
    selectors.labelled([case])
    may_review = case.status == CaseStatus.SUBMITTED and services.reviewer_error(request.user, case) is None
    return render(
        request,
        "cases/case.html",
        {
            "case": case,
            "files": list(case.files.all()),
            "may_edit": case.status != CaseStatus.PUBLISHED and allowed(request.user, "change", case.path),
            "may_review": may_review,
            "review_form": ReviewForm(),
            **_tabs(request),
        },
    )


def _wheres(campaign: Campaign) -> list[tuple[str, Any]]:
    """The phases and their actions (every category's, once) as "phase|action" choices, grouped by phase."""
    out: list[tuple[str, Any]] = []
    for phase in campaign.spec.phases:
        options = [(f"{phase.key}|", _("%(phase)s（整个环节）") % {"phase": phase.name})]
        seen: set[str] = set()
        for group in phase.actions.values():
            for a in group:
                if a.key not in seen:
                    seen.add(a.key)
                    options.append((f"{phase.key}|{a.key}", a.name))
        out.append((phase.name, options))
    return out


def _uploads(request: HttpRequest) -> list[tuple[Any, str]]:
    return [(f, f.name or "") for f in request.FILES.getlist("files")]


@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Nominate a case for one of the user's units (``?unit=&phase=&action=`` preselect)."""
    campaign = campaign_selectors.campaign_for(request.user, pk)
    units = list(selectors.nominating_units(request.user, campaign).order_by("path")[:500])
    if not units:
        raise PermissionDenied(_("只有参加本次活动的单位（联络员、领导小组办公室）可以推荐典型案例。"))
    initial = {
        "unit": request.GET.get("unit", ""),
        "where": f"{request.GET.get('phase', '')}|{request.GET.get('action', '')}",
    }
    form = CaseForm(
        request.POST or None,
        initial=initial,
        units=[(p.unit.code, p.unit.name) for p in units],
        wheres=_wheres(campaign),
    )
    if request.method == "POST" and form.is_valid():
        participation = next(p for p in units if p.unit.code == form.cleaned_data["unit"])
        phase, action = form.phase_action()
        outcome = attempt(
            request,
            lambda: services.case_nominate(
                actor=request.user,
                participation=participation,
                phase_key=phase,
                action_key=action,
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
                files=_uploads(request),
            ),
            form=form,
            success=_("案例已推荐，等待上级审核。"),
        )
        if outcome.ok and outcome.value is not None:
            return redirect("cases:case", pk=outcome.value.pk)
    return render(
        request, "cases/form.html", {"form": form, "campaign": campaign, "case": None, **_tabs(request)}
    )


@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for(request.user, pk)
    if not allowed(request.user, "change", case.path):
        raise PermissionDenied(_("只有推荐单位可以修改案例。"))
    initial = {"where": f"{case.phase_key}|{case.action_key}", "title": case.title, "text": case.text}
    form = CaseForm(request.POST or None, initial=initial, units=[], wheres=_wheres(case.campaign))
    if request.method == "POST" and form.is_valid():
        phase, action = form.phase_action()
        remove = [int(v) for v in request.POST.getlist("remove") if v.isdigit()]
        outcome = attempt(
            request,
            lambda: services.case_update(
                actor=request.user,
                case=case,
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
                phase_key=phase,
                action_key=action,
                files=_uploads(request),
                remove_files=remove,
            ),
            form=form,
            success=_("案例已修改，等待上级审核。"),
        )
        if outcome.ok:
            return redirect("cases:case", pk=case.pk)
    return render(
        request,
        "cases/form.html",
        {
            "form": form,
            "campaign": case.campaign,
            "case": case,
            "files": list(case.files.all()),
            **_tabs(request),
        },
    )


def _review(request: HttpRequest, pk: int, publish: bool) -> HttpResponse:
    case = selectors.case_for(request.user, pk)
    form = ReviewForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    if publish:
        attempt(
            request,
            lambda: services.case_publish(actor=request.user, case=case, comment=comment),
            success=_("案例已发布到案例库。"),
        )
    else:
        attempt(
            request,
            lambda: services.case_return(actor=request.user, case=case, comment=comment),
            success=_("案例已退回推荐单位。"),
        )
    return redirect("cases:case", pk=case.pk)


@require_POST
def case_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, publish=True)


@require_POST
def case_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, publish=False)


@require_GET
def case_file(request: HttpRequest, pk: int) -> FileResponse:
    row = get_object_or_404(CaseFile.objects.select_related("case"), pk=pk)
    case: Case = selectors.case_for(request.user, row.case_id)
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.original_name or str(case.pk))
