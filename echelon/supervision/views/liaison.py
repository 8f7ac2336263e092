"""Liaison points: a leader's calendar of key meetings and attendance; the offices' overview and edits."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from echelon.accounts.models import User
from echelon.campaigns import selectors as campaign_selectors
from echelon.campaigns.models import Participation
from echelon.core import paging
from echelon.core.pages import attempt, flash_form_errors
from echelon.core.permissions import require_somewhere
from echelon.core.querysets import scope_paths, scoped_object
from echelon.orgs.models import Unit
from echelon.supervision import selectors, services
from echelon.supervision.forms import AttendanceForm, LiaisonForm
from echelon.supervision.models import LiaisonKind, LiaisonPoint
from echelon.supervision.views.common import PER_PAGE, campaign_of


@require_GET
def liaison_calendar(request: HttpRequest) -> HttpResponse:
    points = list(selectors.leader_points(request.user))
    meetings = selectors.key_meetings(points)
    return render(
        request,
        "supervision/liaison_calendar.html",
        {
            "points": points,
            "meetings": meetings,
            "clash_count": sum(1 for m in meetings if m.clashes),
            "today": timezone.localdate(),
        },
    )


@require_POST
def liaison_attend(request: HttpRequest) -> HttpResponse:
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择是否出席。"))
        return redirect("supervision:liaison_calendar")
    data = form.cleaned_data
    participation = get_object_or_404(
        Participation.objects.visible_to(request.user, "attend"), pk=data["participation"]
    )
    attempt(
        request,
        lambda: services.attendance_record(
            actor=request.user,
            participation=participation,
            meeting_type=data["meeting_type"],
            attended=data["attended"],
            note=data["note"],
        ),
        success=_("出席情况已记录。"),
    )
    return redirect("supervision:liaison_calendar")


@require_GET
def liaison_points(request: HttpRequest) -> HttpResponse:
    points = selectors.points_for(request.user).order_by("path", "leader__username")
    page = paging.get_page(Paginator(points, PER_PAGE), request)
    statuses = selectors.point_statuses(list(page))
    can_manage = scope_paths(request.user, "dispatch") != []
    return render(
        request,
        "supervision/liaison_points.html",
        {
            "page": page,
            "statuses": statuses,
            "can_manage": can_manage,
            "form": LiaisonForm(),
            "campaigns": list(campaign_selectors.campaigns_for(request.user)[:50]) if can_manage else [],
            "kinds": LiaisonKind.choices,
        },
    )


@require_POST
def liaison_add(request: HttpRequest) -> HttpResponse:
    # A wrong role is told so (403) before its choices are checked against a scope it does not have.
    require_somewhere(request.user, "dispatch", _("只有领导小组办公室可以确定联系点。"))
    form = LiaisonForm(request.POST, user=request.user)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("supervision:liaison_points")
    data = form.cleaned_data
    unit = scoped_object(
        request.user,
        Unit.objects,
        "dispatch",
        code=data["code"],
        otherwise=Http404(_("找不到该组织，或它不在您的管理范围内。")),
    )
    leader = User.objects.filter(username=data["leader"], is_active=True).first()
    campaign = campaign_selectors.campaign_for(request.user, data["campaign"]) if data["campaign"] else None
    if leader is None:
        messages.error(request, _("没有用户“%(name)s”。") % {"name": data["leader"]})
        return redirect("supervision:liaison_points")
    attempt(
        request,
        lambda: services.liaison_add(
            actor=request.user, leader=leader, unit=unit, kind=data["kind"], campaign=campaign
        ),
        success=_("已添加联系点。"),
    )
    return redirect("supervision:liaison_points")


@require_POST
def liaison_remove(request: HttpRequest, pk: int) -> HttpResponse:
    point = get_object_or_404(LiaisonPoint.objects.visible_to(request.user, "dispatch"), pk=pk)
    attempt(
        request, lambda: services.liaison_remove(actor=request.user, point=point), success=_("已移除联系点。")
    )
    return redirect("supervision:liaison_points")


@require_POST
def liaison_defaults(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_of(request, pk)
    attempt(
        request,
        lambda: services.liaison_defaults(actor=request.user, campaign=campaign),
        success=lambda created: _("已按默认方案添加 %(n)d 个联系点。") % {"n": len(created)},
    )
    return redirect("supervision:liaison_points")
