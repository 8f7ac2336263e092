"""Groups: the campaign's groups, dispatching one, a group's page, its members and its targets."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
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
from echelon.orgs.models import Unit
from echelon.supervision import selectors, services
from echelon.supervision.forms import AssignForm, GroupForm, MemberForm, PatrolForm
from echelon.supervision.models import GroupAssignment, SupervisionGroup
from echelon.supervision.views.common import PER_PAGE, campaign_of, level_label


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    campaigns = list(campaign_selectors.campaigns_for(request.user)[:50])
    mine = list(SupervisionGroup.objects.of_member(request.user).select_related("campaign", "home_unit")[:50])
    return render(request, "supervision/index.html", {"campaigns": campaigns, "mine": mine})


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    return campaign_selectors.campaign_for(request.user, pk)


@require_GET
def campaign_groups(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_of(request, pk)
    groups = selectors.groups_for(request.user, campaign).order_by("target_level", "home_path", "name")
    page = paging.get_page(Paginator(groups, PER_PAGE), request)
    open_counts = selectors.open_counts([g.pk for g in page])
    for g in page:
        g.open_reviews = open_counts.get(g.pk, 0)
        g.level_label = level_label(g.target_level)
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
    campaign = campaign_of(request, pk)
    if scope_paths(request.user, "dispatch") == []:
        raise PermissionDenied(_("只有领导小组办公室可以派出督导组。"))
    batches = [(b.key, b.name) for b in campaign.batches.order_by("ordinal")]
    top = org_selectors.top_units(request.user).filter(path__startswith=campaign.path).first()
    form = GroupForm(
        request.POST or None,
        batches=batches,
        user=request.user,
        initial={"batch": batches[-1][0] if batches else "", "home": top.code if top else ""},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        home = Unit.objects.visible_to(request.user, "dispatch").filter(code=data["home"]).first()
        members, unknown = _users(" ".join(data["members"]))
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
            "level_label": level_label(group.target_level),
            "patrols": selectors.patrol_visits(group)[:50],
            "can_patrol": selectors.is_group_member(request.user, group),
            "patrol_form": PatrolForm(),
            "tab": "groups",
        },
    )


@require_POST
def group_member(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_to_dispatch(request.user, pk)
    form = MemberForm(request.POST, user=request.user)
    if not form.is_valid():
        flash_form_errors(request, form)
    else:
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
    form = AssignForm(request.POST, user=request.user)
    if not form.is_valid():
        flash_form_errors(request, form)
    else:

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
