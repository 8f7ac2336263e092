"""Supervision pages: groups and assignments, coverage with drill-down, the group workbench, a unit's phase
(required actions, materials, meetings, submission) and the review page. Every query is scoped; out of
scope is 404; writes go through ``services``."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from echelon.accounts.models import User
from echelon.campaigns import selectors as campaign_selectors
from echelon.campaigns.models import Campaign
from echelon.core import paging
from echelon.core.pages import attempt, flash_form_errors
from echelon.core.permissions import allowed
from echelon.core.querysets import scope_paths, scoped_object
from echelon.orgs import selectors as org_selectors
from echelon.orgs.models import Level, Unit
from echelon.supervision import selectors, services
from echelon.supervision.forms import (
    AssignForm,
    AttendanceForm,
    DecisionForm,
    GroupForm,
    LiaisonForm,
    MaterialForm,
    MeetingForm,
    MemberForm,
    PatrolForm,
    PeriodForm,
)
from echelon.supervision.models import (
    GroupAssignment,
    LiaisonKind,
    LiaisonPoint,
    Material,
    MeetingType,
    SupervisionGroup,
)

PER_PAGE = 100


def _level_label(level: int) -> str:
    return str(Level(level).label) if level in Level.values else str(level)


# ---------------------------------------------------------------------------------------------------------
# Index, campaign, groups
# ---------------------------------------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    campaigns = list(campaign_selectors.campaigns_for(request.user)[:50])
    mine = list(SupervisionGroup.objects.of_member(request.user).select_related("campaign", "home_unit")[:50])
    return render(request, "supervision/index.html", {"campaigns": campaigns, "mine": mine})


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    return campaign_selectors.campaign_for(request.user, pk)


@require_GET
def campaign_groups(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    groups = selectors.groups_for(request.user, campaign).order_by("target_level", "home_path", "name")
    page = paging.get_page(Paginator(groups, PER_PAGE), request)
    open_counts = selectors.open_counts([g.pk for g in page])
    for g in page:
        g.open_reviews = open_counts.get(g.pk, 0)
        g.level_label = _level_label(g.target_level)
    return render(
        request,
        "supervision/campaign.html",
        {
            "campaign": campaign,
            "page": page,
            "can_create": scope_paths(request.user, "dispatch") != [],
            "tab": "groups",
        },
    )


def _users(names: str) -> tuple[list[User], list[str]]:
    wanted = [n for n in re.split(r"[\s,，、]+", names.strip()) if n]
    found = {u.username: u for u in User.objects.filter(username__in=wanted, is_active=True)}
    return [found[n] for n in wanted if n in found], [n for n in wanted if n not in found]


def group_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    if scope_paths(request.user, "dispatch") == []:
        raise PermissionDenied(_("只有领导小组办公室可以派出督导组。"))
    batches = [(b.key, b.name) for b in campaign.batches.order_by("ordinal")]
    top = org_selectors.top_units(request.user).filter(path__startswith=campaign.path).first()
    form = GroupForm(
        request.POST or None,
        batches=batches,
        initial={"batch": batches[-1][0] if batches else "", "home": top.code if top else ""},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        home = Unit.objects.visible_to(request.user, "dispatch").filter(code=data["home"]).first()
        members, unknown = _users(data["members"])
        leader = None
        if data["leader"]:
            leaders, missing = _users(data["leader"])
            unknown += missing
            leader = leaders[0] if leaders else None
        if home is None:
            form.add_error("home", _("找不到该组织，或它不在您的管理范围内。"))
        elif unknown:
            form.add_error("members", _("没有这些用户：%(names)s。") % {"names": "、".join(unknown)})
        else:
            done = attempt(
                request,
                lambda: services.group_create(
                    actor=request.user,
                    campaign=campaign,
                    batch=campaign.batches.get(key=data["batch"]),
                    name=data["name"],
                    home_unit=home,
                    kind=data["kind"],
                    leader=leader,
                    members=members,
                ),
                success=lambda g: _("已派出“%(name)s”。下一步：指定督导对象。") % {"name": g.name},
                form=form,
            )
            if done.value is not None:
                return redirect("supervision:group", pk=done.value.pk)
    return render(
        request, "supervision/group_form.html", {"campaign": campaign, "form": form, "tab": "groups"}
    )


@require_GET
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_for(request.user, pk)
    assignments = GroupAssignment.objects.filter(group=group).select_related("unit").order_by("path")
    page = paging.get_page(Paginator(assignments, PER_PAGE), request)
    can_manage = allowed(request.user, "dispatch", group.home_path)
    return render(
        request,
        "supervision/group_detail.html",
        {
            "group": group,
            "campaign": group.campaign,
            "page": page,
            "members": group.members.order_by("username"),
            "can_manage": can_manage,
            "member_form": MemberForm(),
            "assign_form": AssignForm(),
            "level_label": _level_label(group.target_level),
            "patrols": selectors.patrol_visits(group)[:50],
            "can_patrol": selectors.is_group_member(request.user, group),
            "patrol_form": PatrolForm(),
            "tab": "groups",
        },
    )


@require_POST
def group_patrol(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_for(request.user, pk)
    form = PatrolForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("supervision:group", pk=group.pk)
    data = form.cleaned_data

    def record() -> Any:
        unit = scoped_object(
            request.user,
            Unit.objects,
            code=data["code"],
            otherwise=ValidationError(_("找不到该组织，或它不在您的查看范围内。")),
        )
        return services.patrol_record(
            actor=request.user, group=group, unit=unit, date=data["date"], findings=data["findings"]
        )

    attempt(request, record, success=_("巡查记录已保存。"))
    return redirect("supervision:group", pk=group.pk)


@require_POST
def group_member(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_to_dispatch(request.user, pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        user = User.objects.filter(username=form.cleaned_data["username"], is_active=True).first()
        if user is None:
            messages.error(request, _("没有用户“%(name)s”。") % {"name": form.cleaned_data["username"]})
        else:
            attempt(
                request,
                lambda: services.group_add_member(
                    actor=request.user, group=group, user=user, leader=form.cleaned_data["leader"]
                ),
                success=_("已添加成员“%(name)s”。") % {"name": user},
            )
    return redirect("supervision:group", pk=group.pk)


@require_POST
def group_assign(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_to_dispatch(request.user, pk)
    form = AssignForm(request.POST)
    if form.is_valid():

        def assign() -> Any:
            participation = scoped_object(
                request.user,
                group.campaign.participations,
                unit__code=form.cleaned_data["code"],
                otherwise=ValidationError(_("该单位不在这项活动中，或不在您的管理范围内。")),
            )
            return services.assign(
                actor=request.user,
                group=group,
                participation=participation,
                override_reason=form.cleaned_data["override_reason"],
            )

        attempt(request, assign, success=_("已指定督导对象。"))
    return redirect("supervision:group", pk=group.pk)


@require_POST
def unassign(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(GroupAssignment.objects.visible_to(request.user).select_related("group"), pk=pk)
    selectors.group_to_dispatch(request.user, row.group_id)
    attempt(request, lambda: services.unassign(actor=request.user, assignment=row), success=_("已撤销指派。"))
    return redirect("supervision:group", pk=row.group_id)


# ---------------------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------------------


@require_GET
def coverage_page(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    batches = list(campaign.batches.order_by("ordinal"))
    batch = next((b for b in batches if b.key == request.GET.get("batch")), batches[-1] if batches else None)
    under_code = request.GET.get("under", "")
    if under_code:
        under = org_selectors.unit_for(request.user, under_code)
    else:
        under = (
            org_selectors.top_units(request.user).filter(path__startswith=campaign.path).first()
            or campaign.root
        )
        if not allowed(request.user, "view", under.path):
            under = None
    reports = selectors.coverage_report(campaign, user=request.user, batch=batch) if batch else []
    report = reports[0].report if reports else None
    rows = selectors.gap_rows(report, under) if report is not None and under is not None else []
    overlaps = []
    if report is not None and report.overlaps:
        labels = selectors.unit_labels(o.unit_id for o in report.overlaps[:100])
        names = dict(
            SupervisionGroup.objects.filter(
                pk__in={g for o in report.overlaps[:100] for g in o.group_ids}
            ).values_list("pk", "name")
        )
        overlaps = [
            {"unit": labels.get(o.unit_id), "groups": [names.get(g, g) for g in o.group_ids]}
            for o in report.overlaps[:100]
        ]
    totals = [{"t": t, "label": _level_label(t.level)} for t in (report.totals if report else [])]
    return render(
        request,
        "supervision/coverage.html",
        {
            "campaign": campaign,
            "batches": batches,
            "batch": batch,
            "under": under,
            "rows": rows,
            "totals": totals,
            "overlaps": overlaps,
            "complete": report.complete if report else True,
            "breadcrumb": org_selectors.breadcrumb(request.user, under) if under else [],
            "gaps_total": len(report.gaps) if report else 0,
            "can_apply": scope_paths(request.user, "dispatch") != [],
            "tab": "coverage",
        },
    )


@require_POST
def coverage_apply(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    batch = campaign.batches.filter(key=request.POST.get("batch", "")).first()
    if request.POST.get("what") == "defaults":
        attempt(
            request,
            lambda: services.coverage_default_groups(actor=request.user, campaign=campaign, batch=batch),
            success=lambda created: (
                _("已为尚无督导组的单位派出 %(n)d 个默认督导组（指导员）。") % {"n": len(created)}
            ),
        )
    else:
        attempt(
            request,
            lambda: services.coverage_propose_apply(actor=request.user, campaign=campaign, batch=batch),
            success=lambda result: (
                _("已按均衡方案指派 %(n)d 个单位；%(u)d 个单位没有可用的督导组。")
                % {"n": result.created, "u": len(result.unplaceable)}
            ),
        )

    return redirect(
        reverse("supervision:coverage", args=[campaign.pk]) + (f"?batch={batch.key}" if batch else "")
    )


# ---------------------------------------------------------------------------------------------------------
# Workbench and reviews
# ---------------------------------------------------------------------------------------------------------


@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    return render(request, "supervision/workbench.html", {"bench": selectors.workbench(request.user)})


def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.review_for(request.user, pk)
    participation = review.participation
    state = selectors.phase_state(participation, review.phase)
    can_decide = review.state == "open" and selectors.may_review(request.user, participation)
    form = DecisionForm(request.POST or None, checks=state.checks)
    if request.method == "POST":
        if not can_decide and review.state == "open":
            raise PermissionDenied(_("只有负责该单位的督导组成员可以审核。"))
        if form.is_valid():  # the service refuses the submitter and the unit's operators (403)
            data = form.cleaned_data
            checks = {
                k: services.CheckResult(data[f"check_{k}"] == "pass", data[f"note_{k}"])
                for k in form.check_keys
            }
            done = attempt(
                request,
                lambda: services.gate_decide(
                    actor=request.user,
                    review=review,
                    decision=data["decision"],
                    checks=checks,
                    comment=data["comment"],
                    deadline=data["deadline"],
                    interview_who=data["interview_who"],
                    interview_at=data["interview_at"],
                    interview_required=data["interview_required"],
                ),
                success=_("审核决定已保存。"),
                form=form,
            )
            if done.ok:
                return redirect("supervision:review", pk=review.pk)
    return render(
        request,
        "supervision/review.html",
        {
            "review": review,
            "state": state,
            "form": form,
            "can_decide": can_decide,
            "history": selectors.history(participation)[:50],
            "campaign": review.campaign,
            "phase_label": selectors.phase_name(review.campaign, review.phase),
        },
    )


# ---------------------------------------------------------------------------------------------------------
# A unit's phase
# ---------------------------------------------------------------------------------------------------------


def _participation(request: HttpRequest, pk: int, code: str) -> Any:
    campaign = _campaign(request, pk)
    return campaign_selectors.participation_for(request.user, campaign, code)


@require_GET
def unit_phase(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    participation = _participation(request, pk, code)
    state = selectors.phase_state(participation)
    return render(
        request,
        "supervision/unit_phase.html",
        {
            "p": participation,
            "campaign": participation.campaign,
            "unit": participation.unit,
            "state": state,
            "can_record": allowed(request.user, "change", participation.path),
            "history": selectors.history(participation)[:50],
            "meeting_form": MeetingForm(),
            "groups": selectors.responsible_groups(participation),
            "phases": participation.campaign.spec.phases,
            "meeting_types": MeetingType.choices,
        },
    )


def _back(participation: Any) -> HttpResponse:
    return redirect("supervision:unit", pk=participation.campaign_id, code=participation.unit.code)


@require_POST
def unit_confirm(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    participation = _participation(request, pk, code)
    attempt(
        request,
        lambda: services.action_confirm(
            actor=request.user,
            participation=participation,
            phase=participation.current_phase,
            action_key=request.POST.get("action", ""),
        ),
    )
    return _back(participation)


@require_POST
def unit_material(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    participation = _participation(request, pk, code)
    form = MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
        return _back(participation)
    upload = form.cleaned_data["file"]
    attempt(
        request,
        lambda: services.material_upload(
            actor=request.user,
            participation=participation,
            phase=participation.current_phase,
            action_key=form.cleaned_data["action"],
            fileobj=upload,
            name=upload.name,
        ),
        success=lambda m: _("已上传“%(name)s”（第 %(v)d 版）。") % {"name": m.original_name, "v": m.version},
    )
    return _back(participation)


@require_POST
def unit_meeting(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    participation = _participation(request, pk, code)
    form = MeetingForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return _back(participation)
    data = form.cleaned_data
    attempt(
        request,
        lambda: services.meeting_record(
            actor=request.user,
            participation=participation,
            phase=participation.current_phase,
            data=data,
            action_key=data.get("action") or "",
        ),
        success=_("会议记录已保存。"),
    )
    return _back(participation)


@require_POST
def unit_submit(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    participation = _participation(request, pk, code)
    attempt(
        request,
        lambda: services.gate_submit(
            actor=request.user, participation=participation, note=request.POST.get("note", "")
        ),
        success=lambda review: (
            _("已提交，等待“%(group)s”审核。") % {"group": review.group}
            if review.state == "open"
            else _("本环节已完成，下一环节已开启。")
        ),
    )
    return _back(participation)


@require_GET
def material_download(request: HttpRequest, pk: int) -> FileResponse:
    material = get_object_or_404(Material.objects.visible_to(request.user), pk=pk)
    return FileResponse(material.file.open("rb"), as_attachment=True, filename=material.original_name)


# ---------------------------------------------------------------------------------------------------------
# The supervision report (Word)
# ---------------------------------------------------------------------------------------------------------


def report_period(params: Any) -> tuple[Any, Any] | None:
    """The period from ``start`` and ``end`` (default: this month up to today); None when invalid."""
    from django.utils import timezone

    today = timezone.localdate()
    form = PeriodForm(
        {"start": params.get("start") or today.replace(day=1).isoformat(), "end": params.get("end") or today}
    )
    if not form.is_valid():
        return None
    return form.cleaned_data["start"], form.cleaned_data["end"]


@require_GET
def group_report(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_for(request.user, pk)
    period = report_period(request.GET)
    form = PeriodForm(request.GET or None)
    data = selectors.report_data(group, *period) if period else None
    from echelon.supervision.reports import report_title

    return render(
        request,
        "supervision/group_report.html",
        {
            "group": group,
            "campaign": group.campaign,
            "form": form,
            "period": period,
            "data": data,
            "title": report_title(data) if data else "",
            "tab": "groups",
        },
        status=200 if period else 400,
    )


@require_GET
def group_report_docx(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_for(request.user, pk)
    period = report_period(request.GET)
    if period is None:
        return HttpResponse(_("报告期无效。"), status=400, content_type="text/plain; charset=utf-8")
    return report_response(group, *period)


def report_response(group: SupervisionGroup, start: Any, end: Any) -> HttpResponse:
    from echelon.supervision.reports import build_report, report_filename

    data = selectors.report_data(group, start, end)
    response = HttpResponse(
        build_report(data),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    from django.utils.http import content_disposition_header

    response["Content-Disposition"] = content_disposition_header(True, report_filename(data)) or ""
    return response


# ---------------------------------------------------------------------------------------------------------
# Liaison points: a leader's calendar of key meetings; the offices' overview
# ---------------------------------------------------------------------------------------------------------


@require_GET
def liaison_calendar(request: HttpRequest) -> HttpResponse:
    points = list(selectors.leader_points(request.user))
    meetings = selectors.key_meetings(points)
    from django.utils import timezone

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
    from echelon.campaigns.models import Participation

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
    form = LiaisonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写联系点领导、联系点和方式。"))
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
    campaign = _campaign(request, pk)
    attempt(
        request,
        lambda: services.liaison_defaults(actor=request.user, campaign=campaign),
        success=lambda created: _("已按默认方案添加 %(n)d 个联系点。") % {"n": len(created)},
    )
    return redirect("supervision:liaison_points")


# ---------------------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------------------


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    rows = selectors.notifications_for(request.user)
    page = paging.get_page(Paginator(rows, PER_PAGE), request)
    return render(
        request,
        "supervision/notifications.html",
        {"page": page, "unread": selectors.unread_count(request.user)},
    )


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("id", "")
    ids = [int(raw)] if raw.isdigit() else None
    services.notification_mark_read(actor=request.user, ids=ids)
    target = ""
    if ids:
        target = (
            selectors.notifications_for(request.user).filter(pk=ids[0]).values_list("link", flat=True).first()
            or ""
        )
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("supervision:notifications")
