"""民主评议党员: the pages.

- ``index`` / ``unit``: the appraisal of a subtree as counts (branches appraised and not yet, members rated
  per grade), one row per child with drill-down; nobody's name;
- ``branch``: a branch's appraisal: the meeting, the counts; for the branch and the level directly above
  it, the member grid to rate quickly (phone friendly), finalising, and the follow-ups of the members rated
  lowest (recorded by the branch itself);
- ``summary_xlsx``: the counts per unit; ``sheet_xlsx``: the branch's rating sheet (names: only for those
  allowed to see them).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from echelon.appraisal import selectors, services
from echelon.appraisal.access import branch_itself, responsible_for
from echelon.appraisal.models import FollowUp, Rating
from echelon.campaigns.models import Campaign
from echelon.core import paging, tabular
from echelon.core.pages import attempt, attempt_form
from echelon.core.permissions import allowed
from echelon.orgs.models import Unit
from echelon.orgs.selectors import breadcrumb


class MeetingForm(forms.Form):
    meeting_date = forms.DateField(
        label=gettext_lazy("评议会日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    present = forms.IntegerField(label=gettext_lazy("到会党员"), min_value=1, max_value=100_000)
    note = forms.CharField(
        label=gettext_lazy("说明"), required=False, max_length=2_000, widget=forms.Textarea
    )


class FollowUpForm(forms.Form):
    talk_date = forms.DateField(
        label=gettext_lazy("谈话日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    talk = forms.CharField(label=gettext_lazy("谈话内容"), max_length=2_000, widget=forms.Textarea)
    deadline = forms.DateField(label=gettext_lazy("整改期限"), widget=forms.DateInput(attrs={"type": "date"}))


class CloseForm(forms.Form):
    outcome = forms.CharField(label=gettext_lazy("整改结果"), max_length=2_000, widget=forms.Textarea)


def _campaign(unit: Unit) -> Campaign:
    campaign = selectors.campaign_of(unit)
    if campaign is None:
        raise Http404
    return campaign


ROWS_PER_PAGE = 50  # a county has hundreds of units directly below it


def _summary(request: HttpRequest, unit: Unit) -> HttpResponse:
    campaign = selectors.campaign_of(unit)
    context: dict[str, Any] = {"unit": unit, "campaign": campaign, "crumbs": breadcrumb(request.user, unit)}
    if campaign is not None:
        settings = services.settings_of(campaign)
        total, rows = selectors.summary(campaign, unit, settings["scale"])
        page = paging.get_page(Paginator(rows, ROWS_PER_PAGE), request)
        context.update(
            settings=settings, scale=settings["scale"], total=total, rows=page.object_list, page=page
        )
    return render(request, "appraisal/summary.html", context)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The user's own top unit."""
    return _summary(request, selectors.top_unit(request.user))


@require_GET
def unit(request: HttpRequest, code: str) -> HttpResponse:
    return _summary(request, selectors.unit_for(request.user, code))


@require_GET
def branch(request: HttpRequest, code: str) -> HttpResponse:
    """A branch's appraisal: the counts for anyone who sees the branch; names only for the responsible."""
    user = request.user
    unit = selectors.unit_for(user, code)
    campaign = _campaign(unit)
    settings = services.settings_of(campaign)
    appraisal = selectors.appraisal_of(user, campaign, unit)
    responsible = responsible_for(user, unit.path)
    context: dict[str, Any] = {
        "unit": unit,
        "campaign": campaign,
        "settings": settings,
        "appraisal": appraisal,
        "crumbs": breadcrumb(user, unit),
        "can_record": responsible and allowed(user, "change", unit.path),
        "is_branch": branch_itself(user, unit.path),
        "today": timezone.localdate(),
    }
    if appraisal is not None:
        context["counts"] = selectors.counts_of(appraisal, settings["scale"])
        if responsible:
            context["grid"] = selectors.members_grid(appraisal)
            context["lowest_ratings"] = [
                r for r in selectors.ratings_of(user, appraisal) if r.grade in settings["lowest"]
            ]
            context["meeting_form"] = MeetingForm(
                initial={
                    "meeting_date": appraisal.meeting_date,
                    "present": appraisal.present,
                    "note": appraisal.note,
                }
            )
    else:
        context["members"] = services.branch_members(unit).count()
        context["meeting_form"] = MeetingForm(initial={"meeting_date": timezone.localdate()})
    return render(request, "appraisal/branch.html", context)


def _back(appraisal_unit: Unit) -> str:
    return reverse("appraisal:branch", args=[appraisal_unit.code])


def _writable(request: HttpRequest, pk: int) -> Any:
    """An appraisal whose ratings the caller may see (else 404)."""
    return selectors.appraisal_for(request.user, pk, individual=True)


@require_POST
def create(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    unit = selectors.unit_for(user, code)
    campaign = _campaign(unit)
    if not responsible_for(user, unit.path):
        raise Http404
    form = MeetingForm(request.POST)
    attempt_form(
        request,
        form,
        lambda d: services.appraisal_create(
            actor=user,
            campaign=campaign,
            unit=unit,
            meeting_date=d["meeting_date"],
            present=d["present"],
            note=d["note"],
        ),
        success=_("已登记民主评议会。"),
    )
    return redirect(_back(unit))


@require_POST
def update(request: HttpRequest, pk: int) -> HttpResponse:
    appraisal = _writable(request, pk)
    form = MeetingForm(request.POST)
    attempt_form(
        request,
        form,
        lambda d: services.appraisal_update(
            actor=request.user,
            appraisal=appraisal,
            meeting_date=d["meeting_date"],
            present=d["present"],
            note=d["note"],
        ),
        success=_("已保存。"),
    )
    return redirect(_back(appraisal.unit))


@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    """The member grid: ``grade-<member code>`` = grade (empty: not rated)."""
    appraisal = _writable(request, pk)
    entries = [
        (key.removeprefix("grade-"), str(value)[:20])
        for key, value in request.POST.items()
        if key.startswith("grade-")
    ]
    attempt(
        request,
        lambda: services.ratings_record(actor=request.user, appraisal=appraisal, entries=entries, amend=True),
        success=_("已保存评议结果。"),
    )
    return redirect(_back(appraisal.unit))


@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    appraisal = _writable(request, pk)
    attempt(
        request,
        lambda: services.appraisal_confirm(actor=request.user, appraisal=appraisal),
        success=_("民主评议已完成。"),
    )
    return redirect(_back(appraisal.unit))


@require_POST
def followup(request: HttpRequest, pk: int) -> HttpResponse:
    """The talk with a member rated lowest (``pk``: the rating)."""
    rating = get_object_or_404(
        Rating.objects.visible_to(request.user).select_related("appraisal__unit", "member"), pk=pk
    )
    form = FollowUpForm(request.POST)
    attempt_form(
        request,
        form,
        lambda d: services.followup_record(
            actor=request.user,
            rating=rating,
            talk_date=d["talk_date"],
            talk=d["talk"],
            deadline=d["deadline"],
        ),
        success=_("已登记帮助谈话。"),
    )
    return redirect(_back(rating.appraisal.unit) + "#followups")


@require_POST
def followup_close(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(
        FollowUp.objects.visible_to(request.user).select_related("rating__appraisal__unit"), pk=pk
    )
    form = CloseForm(request.POST)
    attempt_form(
        request,
        form,
        lambda d: services.followup_close(actor=request.user, followup=found, outcome=d["outcome"]),
        success=_("帮助谈话已办结。"),
    )
    return redirect(_back(found.rating.appraisal.unit) + "#followups")


def _xlsx(name: str, header: list[str], rows: list[list[Any]], title: str) -> HttpResponse:
    import io

    buffer = io.BytesIO()
    tabular.write_xlsx(buffer, header, rows, title=title)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


@require_GET
def summary_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    """The counts per unit (one row per child, and the total): no names."""
    user = request.user
    unit = selectors.unit_for(user, code)
    if not allowed(user, "export", unit.path):
        raise PermissionDenied(_("您没有导出的权限。"))
    campaign = _campaign(unit)
    scale = services.settings_of(campaign)["scale"]
    total, rows = selectors.summary(campaign, unit, scale)
    header = [
        _("组织"),
        _("应评议支部"),
        _("已完成"),
        _("评议中"),
        _("未开展"),
        _("党员"),
        _("已评议党员"),
        *scale,
    ]

    def line(r: selectors.Row, name: str) -> list[Any]:
        return [
            name,
            r.branches,
            r.recorded,
            r.draft,
            r.not_yet,
            r.members,
            r.rated,
            *[r.grades.get(g, 0) for g in scale],
        ]

    out = [line(r, r.unit.name + (_("（本级）") if r.own else "")) for r in rows]
    out.append(line(total, _("合计")))
    return _xlsx("appraisal-summary.xlsx", header, out, _("民主评议汇总"))


@require_GET
def sheet_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The branch's rating sheet: for the branch and the level directly above it, who may export."""
    appraisal = _writable(request, pk)
    if not allowed(request.user, "export", appraisal.path):
        raise PermissionDenied(_("您没有导出的权限。"))
    header = [_("党员编号"), _("姓名"), _("评议等次"), _("谈话日期"), _("整改期限"), _("整改结果")]
    rows: list[list[Any]] = []
    for r in selectors.ratings_of(request.user, appraisal):
        f = getattr(r, "followup", None)
        rows.append(
            [
                r.member.code,
                r.member.name,
                r.grade,
                f.talk_date if f else "",
                f.deadline if f else "",
                f.outcome if f else "",
            ]
        )
    return _xlsx("appraisal-sheet.xlsx", header, rows, _("民主评议表"))
