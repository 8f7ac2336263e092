"""Coverage: gaps and overlaps with drill-down, default groups and the balanced proposal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from echelon.core.pages import attempt
from echelon.core.permissions import allowed
from echelon.core.querysets import scope_paths
from echelon.orgs import selectors as org_selectors
from echelon.supervision import selectors, services
from echelon.supervision.models import SupervisionGroup
from echelon.supervision.views.common import campaign_of, level_label


@require_GET
def coverage_page(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_of(request, pk)
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
    totals = [{"t": t, "label": level_label(t.level)} for t in (report.totals if report else [])]
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
    campaign = campaign_of(request, pk)
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
