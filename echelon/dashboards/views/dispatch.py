"""Dispatch meetings (调度会) and the dispatch report (调度报告).

- ``meetings``: the meetings held in the caller's part of the tree (``?under=<code>``: one unit's subtree);
- ``meeting_new``: an office records a meeting of its unit, with action items for units below;
- ``meeting_detail``: the meeting, the figures shown at it (frozen), its items and their state;
- ``items``: 我的交办事项, the items assigned to the caller's units (``?scope=all``: every item in the
  caller's part), open first, overdue highlighted; done and reopen are POSTs from here and the meeting;
- ``report_docx`` / ``report_xlsx``: the dashboard of a unit on a date as Word and Excel (``export``).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from echelon.core import paging
from echelon.core.actors import Actor
from echelon.core.pages import attempt, attempt_form
from echelon.core.permissions import allowed, require, require_somewhere
from echelon.core.querysets import scope_paths, scoped_object
from echelon.core.replica import replica_eligible
from echelon.core.tree import UPPER_BOUND
from echelon.dashboards import selectors
from echelon.dashboards.forms import DoneForm, ItemFormSet, MeetingForm, ReopenItemForm, ReportDateForm
from echelon.dashboards.models import DispatchItem, DispatchMeeting, ItemStatus
from echelon.dashboards.services import dispatch as services
from echelon.orgs.models import Unit

if TYPE_CHECKING:
    from echelon.dashboards.exports import DispatchReport

PER_PAGE = 30
ITEMS_PER_PAGE = 50
PICK_DEPTH = 2  # the unit select of an item row: the meeting's unit and two levels below it
PICK_MAX = 300  # units in the select at most (each of its rows repeats them); the code field takes the rest
OFFICES_ONLY = _("只有领导小组办公室可以召开和登记调度会。")


def _under(request: HttpRequest) -> Unit | None:
    code = request.GET.get("under", "").strip()[:32]
    return selectors.unit_for(request.user, code) if code else None


def _plan_unit(user: Actor, under: Unit | None) -> Unit | None:
    """The unit whose meeting the "new meeting" button opens: ``under`` when the user may plan there,
    else the user's outermost unit where they may."""
    if under is not None and allowed(user, "plan", under.path):
        return under
    paths = scope_paths(user, "plan")
    if paths is None:
        return selectors.top_unit(user)
    if not paths:
        return None
    return Unit.objects.filter(path=sorted(paths, key=lambda p: (len(p), p))[0]).first()


@require_GET
def meetings(request: HttpRequest) -> HttpResponse:
    user = request.user
    under = _under(request)
    qs = DispatchMeeting.objects.visible_to(user).select_related("unit")
    if under is not None:
        qs = qs.filter(path__gte=under.path, path__lt=under.path + UPPER_BOUND)
    today = timezone.localdate()
    qs = qs.annotate(
        n_items=Count("items"),
        n_open=Count("items", filter=Q(items__status=ItemStatus.OPEN)),
        n_late=Count("items", filter=Q(items__status=ItemStatus.OPEN, items__deadline__lt=today)),
    ).order_by("-date", "-id")
    page = paging.get_page(Paginator(qs, PER_PAGE), request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboards/dispatch_list.html",
        {
            "page": page,
            "under": under,
            "query": query.urlencode(),
            "plan_unit": _plan_unit(user, under),
            "section": "meetings",
        },
    )


def _pick_choices(unit: Unit) -> list[tuple[str, str]]:
    """The meeting's unit, its active children and, up to ``PICK_MAX`` in all, its grandchildren, indented
    by depth, in tree order (a unit further down is typed by its code)."""
    below = Unit.objects.filter(path__gte=unit.path, path__lt=unit.path + UPPER_BOUND, is_active=True)
    fields = ("code", "name", "depth", "path")
    rows = [(unit.code, unit.name, unit.depth, unit.path)]
    rows += list(below.filter(depth=unit.depth + 1).order_by("path").values_list(*fields)[: PICK_MAX - 1])
    room = PICK_MAX - len(rows)
    if room > 0:
        grand = below.filter(depth=unit.depth + PICK_DEPTH).order_by("path").values_list(*fields)[:room]
        rows += list(grand)
    rows.sort(key=lambda r: r[3])
    return [(code, "　" * (depth - unit.depth) + name) for code, name, depth, _path in rows]


def _item_rows(user: Actor, meeting_unit: Unit, formset: Any) -> list[services.ItemData]:
    """The filled rows of the item formset, their unit codes looked up among the units the user sees (a
    code the user does not see is refused naming the row; the service checks the subtree)."""
    rows = [f for f in formset.forms if not f.is_blank()]
    codes = {f.picked() for f in rows if f.picked()}
    units = {u.code: u for u in Unit.objects.visible_to(user).filter(code__in=codes)} if codes else {}
    out = []
    for n, form in enumerate(rows, start=1):
        code = form.picked()
        if code and code not in units:
            raise ValidationError(
                _("第 %(n)d 项事项：找不到组织“%(code)s”，或它不在您的范围内。") % {"n": n, "code": code[:32]}
            )
        data = form.cleaned_data
        out.append(services.ItemData(units.get(code), data.get("text") or "", data.get("deadline")))
    return out


@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, code: str) -> HttpResponse:
    """Record a meeting held by the office of ``code`` (``plan`` there: 403 otherwise)."""
    user = request.user
    require_somewhere(user, "plan", str(OFFICES_ONLY))
    unit = selectors.unit_for(user, code)
    require(user, "plan", unit.path)
    batch_id = request.POST.get("batch") if request.method == "POST" else request.GET.get("batch")
    batch = selectors.batch_for(user, unit, batch_id)
    choices = _pick_choices(unit)
    form = MeetingForm(request.POST or None, initial={"date": timezone.localdate()})
    formset = ItemFormSet(request.POST or None, prefix="items", form_kwargs={"units": choices, "user": user})
    if request.method == "POST" and batch is not None and form.is_valid() and formset.is_valid():
        data = form.cleaned_data

        def record() -> DispatchMeeting:
            return services.meeting_record(
                actor=user,
                batch=batch,
                unit=unit,
                title=data["title"],
                date=data["date"],
                place=data["place"],
                attendees=data["attendees"],
                findings=data["findings"],
                decisions=data["decisions"],
                items=_item_rows(user, unit, formset),
            )

        outcome = attempt(request, record, success=_("调度会已登记，交办事项已发送到各承办单位。"), form=form)
        if outcome.ok and outcome.value is not None:
            return redirect("dashboards:meeting", pk=outcome.value.pk)
    return render(
        request,
        "dashboards/dispatch_form.html",
        {
            "unit": unit,
            "batch": batch,
            "batches": selectors.batches_for(user, unit),
            "form": form,
            "formset": formset,
            "first_rows": 3,
            "section": "meetings",
        },
    )


def _frozen_table(figures: dict[str, Any]) -> dict[str, Any]:
    """The frozen figures as the page shows them: the main measures (those the meeting stored)."""
    labels = {m["key"]: m["label"] for m in figures.get("measures", [])}
    keys = [k for k in services.MAIN_MEASURES if k in labels]
    total = figures.get("total", {})
    return {
        "columns": [labels[k] for k in keys],
        "rows": [
            {
                "code": r["code"],
                "name": r["name"],
                "own": r.get("own", False),
                "cells": [r["values"].get(k, 0) for k in keys],
            }
            for r in figures.get("rows", [])
        ],
        "total": [total.get(k, 0) for k in keys],
        "all": [(labels[k], v) for k, v in total.items() if k in labels],
    }


def _decorate(user: Actor, items: list[DispatchItem], today: Any) -> list[DispatchItem]:
    """What each row shows: overdue, whether the caller may mark it done or reopen it, and the meeting's
    link when the caller sees the meeting."""
    change = scope_paths(user, "change")
    plan = scope_paths(user, "plan")
    view = scope_paths(user, "view")

    def may(paths: list[str] | None, path: str) -> bool:
        return paths is None or any(path.startswith(p) for p in paths)

    for item in items:
        item.overdue = services.overdue(item, today)  # type: ignore[attr-defined]
        item.can_done = item.status == ItemStatus.OPEN and may(change, item.path)  # type: ignore[attr-defined]
        item.can_reopen = item.status == ItemStatus.DONE and may(plan, item.meeting.path)  # type: ignore[attr-defined]
        item.sees_meeting = may(view, item.meeting.path)  # type: ignore[attr-defined]
    return items


@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    meeting = scoped_object(
        user, DispatchMeeting.objects.select_related("unit", "campaign", "created_by"), pk=pk
    )
    today = timezone.localdate()
    items = list(
        meeting.items.select_related("unit", "meeting", "done_by").order_by("-status", "deadline", "id")
    )
    _decorate(user, items, today)
    return render(
        request,
        "dashboards/dispatch_detail.html",
        {
            "meeting": meeting,
            "items": items,
            "frozen": _frozen_table(meeting.figures or {}),
            "frozen_day": (meeting.figures or {}).get("today", ""),
            "batch_name": (meeting.figures or {}).get("batch_name", ""),
            "batch_id": (meeting.figures or {}).get("batch", ""),
            "open_count": sum(1 for i in items if i.status == ItemStatus.OPEN),
            "late_count": sum(1 for i in items if getattr(i, "overdue", False)),
            "done_form": DoneForm(),
            "reopen_form": ReopenItemForm(),
            "section": "meetings",
        },
    )


@require_GET
def items(request: HttpRequest) -> HttpResponse:
    """我的交办事项: the items assigned to the caller's units (``scope=all``: every item in the caller's
    part of the tree), open first, by deadline; ``status=open`` / ``done`` narrows."""
    user = request.user
    scope = "all" if request.GET.get("scope") == "all" else "mine"
    status = request.GET.get("status", "")
    qs = services.items_of(user, mine=scope == "mine")
    if status in ItemStatus.values:
        qs = qs.filter(status=status)
    qs = qs.select_related("unit", "meeting", "meeting__unit", "done_by").order_by(
        "-status", "deadline", "id"
    )
    page = paging.get_page(Paginator(qs, ITEMS_PER_PAGE), request)
    today = timezone.localdate()
    page.object_list = _decorate(user, list(page.object_list), today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboards/dispatch_items.html",
        {
            "page": page,
            "scope": scope,
            "status": status,
            "query": query.urlencode(),
            "done_form": DoneForm(),
            "reopen_form": ReopenItemForm(),
            "section": "items" if scope == "mine" else "all_items",
        },
    )


def _back(request: HttpRequest, item: DispatchItem) -> HttpResponse:
    if request.POST.get("next") == "meeting" and allowed(request.user, "view", item.meeting.path):
        return redirect(reverse("dashboards:meeting", args=[item.meeting_id]) + f"#item-{item.pk}")
    return redirect(reverse("dashboards:items") + f"#item-{item.pk}")


def _item(request: HttpRequest, pk: int) -> DispatchItem:
    return scoped_object(request.user, DispatchItem.objects.select_related("meeting", "unit"), pk=pk)


@require_POST
def item_done(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    attempt_form(
        request,
        DoneForm(request.POST),
        lambda d: services.item_done(actor=request.user, item=item, note=d["note"]),
        success=_("已报告办结。"),
    )
    return _back(request, item)


@require_POST
def item_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    attempt_form(
        request,
        ReopenItemForm(request.POST),
        lambda d: services.item_reopen(actor=request.user, item=item, reason=d["reason"]),
        success=_("已退回重办。"),
    )
    return _back(request, item)


# --- the dispatch report ------------------------------------------------------------------------------------


def _report(request: HttpRequest, code: str) -> DispatchReport | HttpResponse:
    """The report's data, or the 400 page naming what is wrong with the date."""
    from echelon.dashboards import exports  # python-docx loads with a report (ADR 12)

    user = request.user
    require_somewhere(user, "export", _("您没有导出报表的权限。"))
    unit = scoped_object(user, Unit.objects, "export", code=code)
    batch = selectors.batch_for(user, unit, request.GET.get("batch"))
    if batch is None:
        raise Http404(_("这个单位还没有已排程的活动。"))
    form = ReportDateForm(request.GET, batch=batch)
    if not form.is_valid():
        return render(
            request,
            "dashboards/dispatch_report_error.html",
            {"unit": unit, "batch": batch, "errors": [e for errs in form.errors.values() for e in errs]},
            status=400,
        )
    return exports.dispatch_report(batch, unit, form.cleaned_data["date"])


@replica_eligible
@require_GET
def report_docx(request: HttpRequest, code: str) -> HttpResponseBase:
    from echelon.dashboards import exports  # python-docx, when used

    data = _report(request, code)
    if isinstance(data, HttpResponse):
        return data
    return exports.attachment(exports.dispatch_filename(data, "docx"), exports.dispatch_docx(data))


@replica_eligible
@require_GET
def report_xlsx(request: HttpRequest, code: str) -> HttpResponseBase:
    from echelon.dashboards import exports  # python-docx with it (ADR 12)

    data = _report(request, code)
    if isinstance(data, HttpResponse):
        return data
    return exports.attachment(exports.dispatch_filename(data, "xlsx"), partial(exports.dispatch_xlsx, data))
