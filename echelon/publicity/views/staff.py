"""Publicity's staff pages: a unit's notices (the unit page's 公示 tab: draft, submit, withdraw; the level
above reads the frozen copy and approves or returns it), and the notices waiting for the caller's approval.
Every write goes through ``publicity.services`` (refusals shown as messages on the page)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from echelon.core.pages import attempt, attempt_form
from echelon.core.permissions import allowed
from echelon.orgs import selectors as org_selectors
from echelon.publicity import kinds, selectors, services
from echelon.publicity.forms import NoteForm, PublicationForm, ReasonForm
from echelon.publicity.models import Publication, PublicationStatus

WAITING_MAX = 200


def _rows(request: HttpRequest, publications: list[Publication]) -> list[dict[str, Any]]:
    user = request.user
    rows = []
    for p in publications:
        kind = kinds.KINDS.get(p.kind)
        rows.append(
            {
                "p": p,
                "kind_label": kind.label if kind else p.kind,
                "template": kind.template if kind else "",
                "may_change": allowed(user, "change", p.path),
                "may_decide": p.status == PublicationStatus.SUBMITTED
                and services.approver_error(user, p) is None,
            }
        )
    return rows


@require_GET
def unit(request: HttpRequest, code: str) -> HttpResponse:
    """The unit page's 公示 tab: its notices, newest first, and a new one (for who may change the unit)."""
    found = org_selectors.unit_for(request.user, code)
    publications = list(selectors.publications_for(request.user).filter(unit=found).order_by("-id")[:100])
    context = {
        "unit": found,
        "tab": "publicity",
        "breadcrumb": org_selectors.breadcrumb(request.user, found),
        "rows": _rows(request, publications),
        "form": PublicationForm(),
        "may_change": allowed(request.user, "change", found.path),
    }
    return render(request, "publicity/unit.html", context)


@require_GET
def waiting(request: HttpRequest) -> HttpResponse:
    """The notices of units below the caller waiting for their approval (not their own)."""
    submitted = (
        selectors.publications_for(request.user, "change")
        .filter(status=PublicationStatus.SUBMITTED)
        .order_by("submitted_at", "id")[:WAITING_MAX]
    )
    rows = [r for r in _rows(request, list(submitted)) if r["may_decide"]]
    return render(request, "publicity/waiting.html", {"rows": rows})


@require_POST
def create(request: HttpRequest, code: str) -> HttpResponse:
    found = org_selectors.unit_for(request.user, code)
    form = PublicationForm(request.POST)
    attempt_form(
        request,
        form,
        lambda d: services.publication_create(
            actor=request.user,
            unit=found,
            kind=d["kind"],
            title=d["title"],
            content={"items": d["promises"].splitlines()} if d["kind"] == "promises" else {},
        ),
        success=_("已起草公示，核对后请提交上级审核。"),
    )
    return redirect("publicity:unit", code=found.code)


def _publication(request: HttpRequest, pk: int) -> Publication:
    return get_object_or_404(selectors.publications_for(request.user), pk=pk)


def _back(p: Publication) -> HttpResponse:
    return redirect("publicity:unit", code=p.unit.code)


@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    p = _publication(request, pk)
    attempt(
        request,
        lambda: services.publication_submit(actor=request.user, publication=p),
        success=_("已提交上级审核：公示内容已定稿，审核通过后按此公示。"),
    )
    return _back(p)


@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    p = _publication(request, pk)
    attempt(
        request,
        lambda: services.publication_approve(actor=request.user, publication=p),
        success=_("已审核通过，公示已在该单位的公开页面上发布。"),
    )
    return _back(p)


@require_POST
def return_(request: HttpRequest, pk: int) -> HttpResponse:
    p = _publication(request, pk)
    if services.approver_error(request.user, p) is not None:
        raise PermissionDenied(services.approver_error(request.user, p))
    attempt_form(
        request,
        NoteForm(request.POST),
        lambda d: services.publication_return(actor=request.user, publication=p, note=d["note"]),
        success=_("已退回。"),
    )
    return _back(p)


@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    p = _publication(request, pk)
    if not allowed(request.user, "change", p.path):
        raise PermissionDenied(_("超出您的管理范围。"))
    attempt_form(
        request,
        ReasonForm(request.POST),
        lambda d: services.publication_withdraw(actor=request.user, publication=p, reason=d["reason"]),
        success=_("已撤回公示。"),
    )
    return _back(p)
