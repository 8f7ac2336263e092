"""Campaign pages. Every query is scoped (``selectors``: ``visible_to(request.user)``); out of scope is 404;
no page renders more than one page of rows; writes go through ``services``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import LazyPaginator

from echelon.campaigns import done, ical, selectors, services, specs
from echelon.campaigns.exports import iter_csv
from echelon.campaigns.filters import ParticipationFilter
from echelon.campaigns.forms import ActualForm, CampaignCreateForm, TemplateForm, WhatIfForm
from echelon.campaigns.models import CampaignTemplate, Status
from echelon.campaigns.tables import ParticipationTable
from echelon.core import jobs, paging
from echelon.core.pages import attempt
from echelon.core.querysets import scope_paths
from echelon.orgs import selectors as org_selectors

PER_PAGE = selectors.PER_PAGE


# ---------------------------------------------------------------------------------------------------------
# Campaigns
# ---------------------------------------------------------------------------------------------------------


@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.campaigns_for(request.user)
    page = paging.get_page(LazyPaginator(qs, PER_PAGE), request)
    selectors.with_units_seen(request.user, list(page))
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "page": page,
            "can_create": scope_paths(request.user, "plan") != [],
            "can_templates": services.can_manage_templates(request.user),
        },
    )


def campaign_create(request: HttpRequest) -> HttpResponse:
    if scope_paths(request.user, "plan") == []:
        raise PermissionDenied(_("只有领导小组办公室可以创建活动。"))
    initial: dict[str, Any] = {"template": "mass-line-2014-nmg"}
    top = org_selectors.top_units(request.user).first()
    if top is not None:
        initial["root"] = top.code
    form = CampaignCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def create() -> Any:
            template = services.template_for_use(actor=request.user, name=data["template"])
            return services.campaign_create(
                actor=request.user,
                spec=template.spec,
                root=data["root"],
                start=data["start"],
                end=data["end"],
                name=data["name"],
                template=template,
            )

        done = attempt(
            request,
            create,
            success=lambda campaign: (
                _("已创建活动“%(name)s”，共 %(n)d 个参与单位。下一步：生成计划。")
                % {"name": campaign.name, "n": campaign.participations_count}
            ),
            form=form,
        )
        if done.value is not None:
            return redirect(done.value)
    return render(request, "campaigns/campaign_form.html", {"form": form})


@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_for(request.user, pk)
    visible = selectors.participations(request.user, campaign)
    progress = selectors.level_progress(campaign, visible)
    focus = selectors.default_focus(request.user, campaign)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "spec": campaign.spec,
            "batches": campaign.batches_seen,  # type: ignore[attr-defined]
            "can_manage": selectors.can_manage(request.user, campaign),
            "violations": selectors.violations_for(request.user, campaign),
            "progress": progress,
            "totals": selectors.progress_totals(progress),
            "replan": selectors.replan_rows(request.user, campaign),
            "replan_moves": selectors.largest_moves(request.user, campaign, campaign.replan_summary),
            "baselines": campaign.baselines.all()[:5],
            "focus": focus if visible.filter(unit=focus).exists() else None,
            "tab": "overview",
        },
    )


def _manageable(request: HttpRequest, pk: int) -> Any:
    campaign = selectors.campaign_for(request.user, pk)
    if not selectors.can_manage(request.user, campaign):
        raise PermissionDenied(_("只有活动范围内的领导小组办公室可以排程和发布。"))
    return campaign


@require_POST
def campaign_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _manageable(request, pk)
    changes: dict[str, dict[str, Any]] = {}
    if request.POST.get("batch"):
        form = WhatIfForm(request.POST, campaign=campaign)
        if not form.is_valid():
            messages.error(request, _("规则有误，未重新排程。"))
            return redirect("campaigns:what_if", pk=campaign.pk)
        changes = {form.cleaned_data["batch"]: form.changes()}
    result = attempt(
        request,
        lambda: services.campaign_schedule(actor=request.user, campaign=campaign, rule_changes=changes),
    ).value
    if result is None:
        return redirect(campaign)
    if result.feasible:
        messages.success(request, _("已生成 %(n)d 个单位的计划，满足全部规则。") % {"n": result.planned})
    else:
        messages.warning(
            request,
            _("已生成 %(n)d 个单位的计划，但有 %(v)d 条规则未满足，见下方说明。")
            % {"n": result.planned, "v": len(result.violations)},
        )
    return redirect(campaign)


def campaign_what_if(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _manageable(request, pk)
    form = WhatIfForm(request.POST or None, campaign=campaign)
    result = None
    if request.method == "POST" and form.is_valid():
        result = attempt(
            request,
            lambda: services.campaign_what_if(
                actor=request.user,
                campaign=campaign,
                batch_key=form.cleaned_data["batch"],
                changes=form.changes(),
            ),
            form=form,
        ).value
    context: dict[str, Any] = {
        "campaign": campaign,
        "form": form,
        "result": result,
        "tab": "what_if",
        "batches": campaign.batches.order_by("ordinal"),
    }
    if result is not None:
        context["rows"] = selectors.comparison_rows(campaign, result.comparison)
        context["moves"] = selectors.largest_moves(request.user, campaign, result.comparison)
    return render(request, "campaigns/what_if.html", context)


@require_POST
def campaign_publish(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _manageable(request, pk)
    attempt(
        request,
        lambda: services.campaign_publish(
            actor=request.user, campaign=campaign, note=request.POST.get("note", "")
        ),
        success=lambda baseline: _("已发布计划（基线第 %(n)d 版）。") % {"n": baseline.number},
    )
    return redirect(campaign)


@require_GET
def campaign_units(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_for(request.user, pk)
    qs = selectors.participations(request.user, campaign).select_related("unit", "batch")
    filterset = ParticipationFilter(request.GET, queryset=qs, campaign=campaign)
    table = ParticipationTable(filterset.qs, campaign=campaign)
    paging.paginate_table(request, table, per_page=PER_PAGE, paginator_class=LazyPaginator)
    return render(
        request,
        "campaigns/campaign_units.html",
        {
            "campaign": campaign,
            "table": table,
            "filter": filterset,
            "can_manage": selectors.can_manage(request.user, campaign),
            "tab": "units",
            "query": request.GET.urlencode(),
        },
    )


@require_GET
def campaign_gantt(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_for(request.user, pk)
    focus = selectors.focus_for(request.user, campaign, request.GET.get("unit"))
    number = paging.page_number(request)
    chart = selectors.gantt(request.user, campaign, focus, page=number)
    paging.check(number, chart.pages)
    return render(
        request,
        "campaigns/gantt.html",
        {
            "campaign": campaign,
            "chart": chart,
            "data": {
                "rows": [r.as_json() for r in chart.rows],
                "phases": chart.phases,
                "window": [campaign.start.isoformat(), campaign.end.isoformat()],
                "milestone": chart.milestone_name,
                "labels": {
                    "actual": _("实际"),
                    "counts": _("{units} 个单位，已开始 {started}，推迟开始 {late}"),
                },
            },
            "breadcrumb": selectors.focus_breadcrumb(request.user, campaign, focus),
            "can_manage": selectors.can_manage(request.user, campaign),
            "tab": "gantt",
        },
    )


@require_GET
def campaign_export_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    campaign = selectors.campaign_for(request.user, pk)
    qs = selectors.participations(request.user, campaign, "export")
    params = {k: v for k, v in request.GET.items() if k != "page"}
    if params:
        qs = ParticipationFilter(params, queryset=qs, campaign=campaign).qs
    response = StreamingHttpResponse(iter_csv(campaign, qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="plan-{campaign.pk}.csv"'
    return response


@require_POST
def campaign_export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_for(request.user, pk)
    if scope_paths(request.user, "export") == []:
        raise PermissionDenied(_("您没有导出的权限。"))
    job = jobs.submit(
        kind="campaigns.export_plan",
        title=_("导出计划：%(name)s") % {"name": campaign.name},
        actor=request.user,
        params={"campaign": campaign.pk},
        unit_path=campaign.path,
    )
    return redirect("jobs:detail", pk=job.pk)


# ---------------------------------------------------------------------------------------------------------
# A unit's plan
# ---------------------------------------------------------------------------------------------------------


def _unit_context(request: HttpRequest, pk: int, code: str) -> dict[str, Any]:
    campaign = selectors.campaign_for(request.user, pk)
    participation = selectors.participation_for(request.user, campaign, code)
    participation.campaign = campaign
    spec = campaign.spec
    category = spec.category_of(participation.kind)
    return {
        "campaign": campaign,
        "participation": participation,
        "unit": participation.unit,
        "phases": selectors.unit_plan(participation),
        "level_label": selectors.level_label(spec, participation.level),
        "kind_label": selectors.kind_label(participation.kind),
        "category": category,
        "can_record": services.can_record(request.user, participation) and campaign.status != Status.DRAFT,
    }


def _breadcrumb(request: HttpRequest, context: dict[str, Any]) -> list[Any]:
    """The unit's ancestors inside the campaign (each has its own plan page)."""
    campaign = context["campaign"]
    return [
        u for u in org_selectors.breadcrumb(request.user, context["unit"]) if u.path.startswith(campaign.path)
    ]


def unit_plan(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    context = _unit_context(request, pk, code)
    context["form"] = ActualForm(campaign=context["campaign"], initial={"start": timezone.localdate()})
    context["breadcrumb"] = _breadcrumb(request, context)
    return render(request, "campaigns/unit_plan.html", context)


@require_POST
def unit_actual(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    context = _unit_context(request, pk, code)
    participation = context["participation"]
    if not services.can_record(request.user, participation):
        raise PermissionDenied(_("您不能为这个单位记录进度。"))
    form = ActualForm(request.POST, campaign=context["campaign"])
    if form.is_valid():
        data = form.cleaned_data
        done = attempt(
            request,
            lambda: services.phase_actual_record(
                actor=request.user,
                participation=participation,
                phase_key=data["phase"],
                start=data["start"],
                end=data["end"],
                note=data["note"],
            ),
            success=_("已记录实际进度。"),
            form=form,
        )
        if done.ok:
            return redirect("campaigns:unit_plan", pk=pk, code=code)
    context["form"] = form
    context["breadcrumb"] = _breadcrumb(request, context)
    return render(request, "campaigns/unit_plan.html", context, status=400)


@require_GET
def unit_ical(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    context = _unit_context(request, pk, code)
    campaign, unit = context["campaign"], context["unit"]
    host = request.get_host().split(":")[0] or "echelon"
    events: list[ical.Event] = []
    for phase in context["phases"]:
        if phase.planned is None:
            continue
        actions = "；".join(a.name for a in phase.actions)
        description = _("%(campaign)s · %(unit)s") % {"campaign": campaign.name, "unit": unit.name}
        if actions:
            description += "\n" + _("规定动作：%(actions)s") % {"actions": actions}
        if phase.gate:
            description += "\n" + _("本环节以督导验收结束（%(checks)s）。") % {
                "checks": "、".join(phase.checks)
            }
        events.append(
            ical.Event(
                uid=f"campaign-{campaign.pk}-unit-{unit.code}-phase-{phase.key}@{host}",
                summary=f"{phase.name}（{unit.name}）",
                start=phase.planned[0],
                end=phase.planned[1],
                description=description,
                categories=campaign.name,
            )
        )
        if phase.milestone:
            day: date = phase.milestone["date"]
            events.append(
                ical.Event(
                    uid=f"campaign-{campaign.pk}-unit-{unit.code}-milestone-{phase.milestone['key']}@{host}",
                    summary=f"{phase.milestone['name']}（{unit.name}）",
                    start=day,
                    end=day,
                    description=campaign.name,
                    categories=campaign.name,
                )
            )
    body = ical.calendar(f"{campaign.name} · {unit.name}", events)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}-{unit.code}.ics"'
    return response


@require_GET
def unit_print(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    context = _unit_context(request, pk, code)
    context["printed_at"] = timezone.localtime()
    finished = done.done_actions(context["participation"])
    context["rows"] = [
        (phase, [(action, (phase.index, action.key) in finished) for action in phase.actions])
        for phase in context["phases"]
    ]
    return render(request, "campaigns/unit_print.html", context)


@require_GET
def unit_campaigns(request: HttpRequest, code: str) -> HttpResponse:
    """The campaigns a unit takes part in (the registry's "活动安排" tab); one → straight to its plan."""
    unit = org_selectors.unit_for(request.user, code)
    rows = list(selectors.unit_campaigns(request.user, unit)[: PER_PAGE + 1])
    if len(rows) == 1:
        return redirect("campaigns:unit_plan", pk=rows[0].campaign_id, code=unit.code)
    return render(
        request,
        "campaigns/unit_campaigns.html",
        {
            "unit": unit,
            "rows": rows[:PER_PAGE],
            "breadcrumb": org_selectors.breadcrumb(request.user, unit),
            "tab": "campaigns",
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------------------


@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    stored = list(CampaignTemplate.objects.order_by("name")[:PER_PAGE])
    keys = {t.key for t in stored}
    return render(
        request,
        "campaigns/template_list.html",
        {
            "stored": stored,
            "builtins": [b for b in specs.builtins() if b.spec.key not in keys],
            "can_manage": services.can_manage_templates(request.user),
        },
    )


@require_GET
def template_detail(request: HttpRequest, key: str) -> HttpResponse:
    template = get_object_or_404(CampaignTemplate, key=key)
    spec = template.spec
    # Each phase with its required actions by unit category.
    phases = [(p, [(c, p.actions_for(c.key)) for c in spec.categories]) for p in spec.phases]
    return render(
        request,
        "campaigns/template_detail.html",
        {
            "template": template,
            "spec": spec,
            "phases": phases,
            "can_manage": services.can_manage_templates(request.user),
            "evidence": specs.EVIDENCE,
        },
    )


def _require_templates(request: HttpRequest) -> None:
    if not services.can_manage_templates(request.user):
        raise PermissionDenied(_("只有自治区领导小组办公室可以管理活动模板。"))


def template_edit(request: HttpRequest, key: str | None = None) -> HttpResponse:
    _require_templates(request)
    template = get_object_or_404(CampaignTemplate, key=key) if key else None
    initial = {"text": template.text if template else specs.builtin_files()[0].read_text(encoding="utf-8")}
    form = TemplateForm(request.POST or None, initial=initial)
    done = None
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: services.template_save(
                actor=request.user, text=form.cleaned_data["text"], template=template
            ),
            success=lambda saved: _("已保存模板“%(name)s”。") % {"name": saved.name},
            show=False,  # the template's problems are listed above the text, one a line
        )
        if done.value is not None:
            return redirect("campaigns:template_detail", key=done.value.key)
    errors = done.errors if done else []
    return render(
        request,
        "campaigns/template_form.html",
        {"form": form, "template": template, "errors": errors},
        status=400 if errors else 200,
    )


@require_POST
def template_load(request: HttpRequest) -> HttpResponse:
    _require_templates(request)
    template = attempt(
        request,
        lambda: services.template_load_builtin(actor=request.user, name=request.POST.get("name", "")),
        success=lambda t: _("已载入内置模板“%(name)s”。") % {"name": t.name},
    ).value
    if template is None:
        return redirect("campaigns:templates")
    return redirect("campaigns:template_detail", key=template.key)
