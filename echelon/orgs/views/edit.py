"""On-screen editing of the registry: create and change units and members (``orgs.editing``: the importer's
checks, the services, the audit trail). Pages are reached from a unit's page, a member's page and the blind
spots (登记流入组织); a unit or member the user may not ``change`` is a 404, like every scoped page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from echelon.core.pages import attempt
from echelon.orgs import editing, selectors
from echelon.orgs.forms import MemberForm, UnitForm
from echelon.orgs.models import TERRITORIAL_KINDS, Kind, LeadBy, Member, Unit


def _next(request: HttpRequest) -> str:
    """Where to go back after saving: a page of this site only."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return target if ok and target.startswith("/") else ""


def _new_unit_initial(parent: Unit, inflow: bool) -> dict[str, str]:
    """A new unit under ``parent``: a territorial child one level down (a village under a township), or an
    organization of the parent's level; an inflow unit (登记流入组织) is an organization where mobile
    members take part (a non-public enterprise, a social organization) at the parent's level."""
    initial = {
        "parent": parent.code,
        "level": str(parent.level),
        "kind": Kind.NONPUBLIC.value,
        "lead_by": LeadBy.TERRITORY.value,
    }
    if not inflow and parent.kind in TERRITORIAL_KINDS and parent.level < 5:
        child_kind = Kind.VILLAGE if parent.level == 4 else Kind.LEADERSHIP
        initial.update(level=str(parent.level + 1), kind=child_kind.value)
    return initial


def unit_create(request: HttpRequest, code: str) -> HttpResponse:
    parent = selectors.unit_for(request.user, code, "change")
    inflow = request.GET.get("inflow") == "1" or request.POST.get("inflow") == "1"
    form = UnitForm(request.POST or None, initial=_new_unit_initial(parent, inflow))
    back = _next(request)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: editing.unit_save(actor=request.user, cells=form.cells()),
            success=lambda unit: (
                (
                    _("已登记流入组织“%(name)s”（%(code)s），现在可以为流动党员填写它。")
                    if inflow
                    else _("已新增组织“%(name)s”（%(code)s）。")
                )
                % {"name": unit.name, "code": unit.code}
            ),
            form=form,
        )
        if done.ok and done.value is not None:
            return redirect(back or done.value.get_absolute_url())
    return render(
        request,
        "orgs/unit_form.html",
        {
            "unit": parent,
            "breadcrumb": selectors.breadcrumb(request.user, parent),
            "form": form,
            "creating": True,
            "inflow": inflow,
            "next": back,
        },
    )


def unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_for(request.user, code, "change")
    form = UnitForm(request.POST or None, initial=editing.unit_cells(unit), fixed=("code", "level"))
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: editing.unit_save(actor=request.user, cells=form.cells(), unit=unit),
            success=_("已保存“%(name)s”的修改。") % {"name": unit.name},
            form=form,
        )
        if done.ok and done.value is not None:
            return redirect(done.value)
    return render(
        request,
        "orgs/unit_form.html",
        {
            "unit": unit,
            "breadcrumb": selectors.breadcrumb(request.user, unit),
            "form": form,
            "creating": False,
            "next": "",
        },
    )


def member_create(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_for(request.user, code, "change")
    initial = {"unit": unit.code, "ethnicity": "汉族", "status": "full"}
    form = MemberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: editing.member_save(actor=request.user, cells=form.cells()),
            success=lambda m: _("已新增党员“%(name)s”。") % {"name": m.name},
            form=form,
        )
        if done.ok and done.value is not None:
            return redirect("orgs:member", code=done.value.code)
    return render(
        request,
        "orgs/member_form.html",
        {"unit": unit, "breadcrumb": selectors.breadcrumb(request.user, unit), "form": form, "member": None},
    )


def member_edit(request: HttpRequest, code: str) -> HttpResponse:
    member = get_object_or_404(
        Member.objects.visible_to(request.user, "change").select_related("unit", "inflow_unit"), code=code
    )
    form = MemberForm(request.POST or None, initial=editing.member_cells(member), fixed=("code",))
    back = _next(request)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: editing.member_save(actor=request.user, cells=form.cells(), member=member),
            success=_("已保存党员“%(name)s”的修改。") % {"name": member.name},
            form=form,
        )
        if done.ok:
            return redirect(back or reverse("orgs:member", args=[member.code]))
    return render(
        request,
        "orgs/member_form.html",
        {
            "unit": member.unit,
            "breadcrumb": selectors.breadcrumb(request.user, member.unit),
            "form": form,
            "member": member,
            "next": back,
        },
    )
