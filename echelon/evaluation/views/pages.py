"""The evaluation's staff pages: the board (a subtree's figures per child unit, drill-down), a unit's
sessions and redos, the session page (groups, paper tallies, ballot codes and their slips, closing), the
redo page, and the Excel export of results."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from echelon.core.pages import attempt, attempt_form, flash_form_errors
from echelon.core.permissions import allowed
from echelon.core.querysets import scoped_object
from echelon.core.replica import replica_eligible
from echelon.evaluation import exports, selectors, services
from echelon.evaluation.forms import CloseForm, CodesForm, DecideForm, FileForm, GroupForm, OpenForm, WorkForm
from echelon.evaluation.models import EvaluatorKind, Redo, RedoFile, RedoStatus, Session
from echelon.orgs import selectors as org_selectors
from echelon.orgs.models import Unit
from echelon.supervision.selectors import may_review


@replica_eligible
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The board: ``?unit=<code>`` drills down; without it, the caller's first top unit."""
    code = request.GET.get("unit", "").strip()
    tops = list(org_selectors.top_units(request.user)[:20])
    focus = org_selectors.unit_for(request.user, code) if code else (tops[0] if tops else None)
    campaign = selectors.campaign_for(focus) if focus is not None else None
    board = selectors.rollup(campaign, focus) if campaign is not None and focus is not None else None
    context = {
        "focus": focus,
        "campaign": campaign,
        "board": board,
        "tops": tops if len(tops) > 1 else [],
        "breadcrumb": org_selectors.breadcrumb(request.user, focus) if focus is not None else [],
        "threshold": campaign.spec.evaluation["redo_below"] if campaign is not None else None,
    }
    return render(request, "evaluation/index.html", context)


@require_GET
def unit(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's evaluations and redos (the unit page's tab), and opening a new session."""
    found = org_selectors.unit_for(request.user, code)
    sessions = list(selectors.sessions_of(request.user, found))
    redos = list(selectors.redos_of(request.user, found))
    # a new session: none open, and either none yet or a redo still open (the service decides the rest)
    due = not sessions or any(r.status == RedoStatus.OPEN for r in redos)
    context = {
        "unit": found,
        "tab": "evaluation",
        "breadcrumb": org_selectors.breadcrumb(request.user, found),
        "sessions": sessions,
        "redos": redos,
        "may_change": allowed(request.user, "change", found.path)
        and due
        and not any(s.is_open for s in sessions),
        "open_form": OpenForm(),
    }
    return render(request, "evaluation/unit.html", context)


@require_POST
def session_new(request: HttpRequest, code: str) -> HttpResponse:
    found = org_selectors.unit_for(request.user, code)
    outcome = attempt_form(
        request,
        OpenForm(request.POST),
        lambda d: services.session_open(actor=request.user, unit=found, held_on=d["held_on"]),
        success=_("测评已创建：请登记测评人员，再录入纸质票或发放测评码。"),
    )
    if outcome.ok and outcome.value is not None:
        return redirect("evaluation:session", pk=outcome.value.pk)
    return redirect("evaluation:unit", code=found.code)


def _session(request: HttpRequest, pk: int) -> Session:
    return scoped_object(
        request.user, Session.objects.select_related("unit", "campaign", "participation"), pk=pk
    )


@require_GET
def session(request: HttpRequest, pk: int) -> HttpResponse:
    row = _session(request, pk)
    may_change = allowed(request.user, "change", row.path)
    context: dict[str, Any] = {
        "session": row,
        "unit": row.unit,
        "groups": selectors.group_rows(row),
        "results": selectors.result_table(row, row.results if not row.is_open else services.results_of(row)),
        "may_change": may_change and row.is_open,
        "may_close": row.is_open and (may_change or may_review(request.user, row.participation)),
        "group_form": GroupForm(),
        "codes_form": CodesForm(),
        "close_form": CloseForm(),
        "kinds": EvaluatorKind.choices,
        "redo": getattr(row, "opened_redo", None) if not row.is_open else None,
        "breadcrumb": org_selectors.breadcrumb(request.user, row.unit),
    }
    return render(request, "evaluation/session.html", context)


@require_POST
def session_group(request: HttpRequest, pk: int) -> HttpResponse:
    row = _session(request, pk)
    attempt_form(
        request,
        GroupForm(request.POST),
        lambda d: services.group_set(actor=request.user, session=row, kind=d["kind"], present=d["present"]),
        success=_("测评人员已登记。"),
    )
    return redirect("evaluation:session", pk=row.pk)


@require_POST
def session_tally(request: HttpRequest, pk: int) -> HttpResponse:
    """A group's paper tallies: fields ``v_<item>_<option>``."""
    row = _session(request, pk)
    kind = request.POST.get("kind", "")
    votes = [
        [request.POST.get(f"v_{i}_{o}", "").strip() or 0 for o in range(len(row.scale))]
        for i in range(len(row.items))
    ]
    attempt(
        request,
        lambda: services.tally_record(actor=request.user, session=row, kind=kind, votes=votes),
        success=_("纸质票已录入。"),
    )
    return redirect(reverse("evaluation:session", args=[row.pk]) + "#groups")


def ballot_url(request: HttpRequest, code: str = "") -> str:
    """The ballot page's absolute address (``ECHELON_PUBLIC_URL`` when staff print from an intranet host)."""
    path = reverse("ballot:enter")
    base = str(getattr(settings, "ECHELON_PUBLIC_URL", "") or "").rstrip("/")
    url = f"{base}{path}" if base else request.build_absolute_uri(path)
    return f"{url}?code={code}" if code else url


@require_POST
def session_codes(request: HttpRequest, pk: int) -> HttpResponse:
    """Generate codes and answer with their printable slips at once: the codes are shown this one time
    (only their hashes are kept)."""
    row = _session(request, pk)
    form = CodesForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("evaluation:session", pk=row.pk)
    data = form.cleaned_data
    outcome = attempt(
        request,
        lambda: services.codes_generate(
            actor=request.user, session=row, kind=data["kind"], count=data["count"]
        ),
    )
    if not outcome.ok or outcome.value is None:
        return redirect("evaluation:session", pk=row.pk)
    slips = []
    for code in outcome.value:
        url = ballot_url(request, code)
        qr = segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True, dark="#000")
        slips.append({"code": f"{code[:5]} {code[5:]}", "qr": qr})
    context = {
        "session": row,
        "unit": row.unit,
        "slips": slips,
        "kind": EvaluatorKind(data["kind"]).label,
        "entry": ballot_url(request).split("://", 1)[-1],
        "days": row.campaign.spec.evaluation["ballot_days"],
    }
    response = render(request, "evaluation/slips.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def session_close(request: HttpRequest, pk: int) -> HttpResponse:
    row = _session(request, pk)
    outcome = attempt_form(
        request,
        CloseForm(request.POST),
        lambda d: services.session_close(actor=request.user, session=row, note=d["note"]),
    )
    if outcome.ok and outcome.value is not None:
        closed = outcome.value
        share = services.sessions.percent(closed.satisfied_share or 0.0)
        if closed.passed:
            messages.success(request, _("测评已结束：满意率 %(share)s，达标。") % {"share": share})
        else:
            messages.warning(
                request, _("测评已结束：满意率 %(share)s，低于补课线，需要补课。") % {"share": share}
            )
    return redirect("evaluation:session", pk=row.pk)


def _redo(request: HttpRequest, pk: int) -> Redo:
    return scoped_object(request.user, Redo.objects.select_related("unit", "session", "participation"), pk=pk)


@require_GET
def redo(request: HttpRequest, pk: int) -> HttpResponse:
    row = _redo(request, pk)
    may_change = allowed(request.user, "change", row.path) and row.status == RedoStatus.OPEN
    context = {
        "redo": row,
        "unit": row.unit,
        "files": RedoFile.objects.filter(redo=row),
        "sessions": Session.objects.filter(redo=row).order_by("round"),
        "may_change": may_change,
        "may_decide": row.status == RedoStatus.PASSED and may_review(request.user, row.participation),
        "work_form": WorkForm(initial={"work": row.work}),
        "file_form": FileForm(),
        "decide_form": DecideForm(),
        "phase_name": _phase_name(row),
        "breadcrumb": org_selectors.breadcrumb(request.user, row.unit),
    }
    return render(request, "evaluation/redo.html", context)


def _phase_name(row: Redo) -> str:
    for phase in row.campaign.spec.phases:
        if phase.key == row.phase:
            return str(phase.name)
    return row.phase


@require_POST
def redo_work(request: HttpRequest, pk: int) -> HttpResponse:
    row = _redo(request, pk)
    attempt_form(
        request,
        WorkForm(request.POST),
        lambda d: services.redo_record(actor=request.user, redo=row, work=d["work"]),
        success=_("补课情况已保存。"),
    )
    return redirect("evaluation:redo", pk=row.pk)


@require_POST
def redo_file(request: HttpRequest, pk: int) -> HttpResponse:
    row = _redo(request, pk)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的补课材料。"))
        return redirect("evaluation:redo", pk=row.pk)
    upload = form.cleaned_data["file"]
    attempt(
        request,
        lambda: services.redo_upload(actor=request.user, redo=row, fileobj=upload, name=upload.name),
        success=lambda f: _("已上传“%(name)s”。") % {"name": f.name},
    )
    return redirect("evaluation:redo", pk=row.pk)


@require_GET
def redo_download(request: HttpRequest, pk: int) -> FileResponse:
    row = get_object_or_404(RedoFile, pk=pk)
    scoped_object(request.user, Redo.objects, pk=row.redo_id)  # the redo's scope, else 404
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.name)


@require_POST
def redo_decide(request: HttpRequest, pk: int) -> HttpResponse:
    row = _redo(request, pk)
    attempt_form(
        request,
        DecideForm(request.POST),
        lambda d: services.redo_decide(
            actor=request.user, redo=row, done=d["decision"] == "done", comment=d["comment"]
        ),
        success=_("已记录督导组的认定。"),
    )
    return redirect("evaluation:redo", pk=row.pk)


@replica_eligible
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The results of a subtree in Excel: ``?unit=<code>`` (default: the caller's first top unit)."""
    code = request.GET.get("unit", "").strip()
    found: Unit | None
    if code:
        found = org_selectors.unit_for(request.user, code, "export")
    else:
        found = Unit.objects.visible_to(request.user, "export").order_by("path").first()
    if found is None:
        return redirect("evaluation:index")
    focus = found
    content = exports.results_xlsx(actor=request.user, focus=focus)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="evaluation-{focus.code}.xlsx"'
    return response
