"""The early warnings (预警) of a unit's subtree: the campaign's rules with how many units each found in the
caller's part of it, and, per rule, those units (paged), each with why, linking to its dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from echelon.campaigns.models import Batch
from echelon.core.actors import Actor
from echelon.core.paging import get_page
from echelon.core.replica import replica_eligible
from echelon.core.tree import UPPER_BOUND
from echelon.dashboards import selectors, trends
from echelon.dashboards.models import Alert
from echelon.dashboards.services.warnings import NEW_DAYS, describe, explain
from echelon.orgs.models import Unit

PER_PAGE = 50
# The warnings page's trend lines (from the daily snapshots): the warnings and the figures most behind them.
TREND_KEYS = ("alerts", "overdue", "return", "tasks_overdue")


def alerts_under(user: Actor, batch: Batch, unit: Unit) -> QuerySet[Alert]:
    """The batch's alerts in ``unit``'s subtree that ``user`` sees."""
    return Alert.objects.visible_to(user).filter(
        batch=batch, path__gte=unit.path, path__lt=unit.path + UPPER_BOUND
    )


def rule_url(unit: Unit, batch: Batch, rule: str, **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"batch": batch.pk, **params}.items() if v not in (None, ""))
    return f"{reverse('dashboards:warnings_rule', args=[unit.code, rule])}?{query}"


def _context(request: HttpRequest, code: str) -> dict[str, Any]:
    user = request.user
    unit = selectors.unit_for(user, code)
    today = timezone.localdate()
    batch = selectors.batch_for(user, unit, request.GET.get("batch"), today)
    context: dict[str, Any] = {"unit": unit, "batch": batch, "today": today}
    if batch is not None:
        context.update(
            batches=selectors.batches_for(user, unit),
            breadcrumb=selectors.breadcrumb(user, batch.campaign, unit),
            board_url=f"{reverse('dashboards:unit', args=[unit.code])}?batch={batch.pk}",
            found_at=Alert.objects.filter(batch=batch).order_by().values_list("found_at", flat=True).first(),
        )
    return context


@replica_eligible
@require_GET
def index(request: HttpRequest, code: str) -> HttpResponse:
    """The rules the campaign runs, each with the units it found in the caller's part of the subtree (and
    how many of them are new)."""
    context = _context(request, code)
    batch, unit, today = context["batch"], context["unit"], context["today"]
    if batch is not None:
        spec = batch.campaign.spec
        counts = {
            r["rule"]: r
            for r in alerts_under(request.user, batch, unit)
            .values("rule")
            .annotate(n=Count("id"), new=Count("id", filter=Q(since__gte=today - timedelta(days=NEW_DAYS))))
            .order_by()
        }
        context["rules"] = [
            {
                "key": rule.key,
                "name": rule.name,
                "explain": explain(rule, spec),
                "n": counts.get(rule.key, {}).get("n", 0),
                "new": counts.get(rule.key, {}).get("new", 0),
                "url": rule_url(unit, batch, rule.key),
            }
            for rule in spec.warnings
        ]
        context["trend"] = trends.chart(batch, unit, TREND_KEYS, today=today)
    return render(request, "dashboards/warnings.html", context)


@replica_eligible
@require_GET
def rule(request: HttpRequest, code: str, rule: str) -> HttpResponse:
    """The units one rule found (``new=1``: only those found today or yesterday), by path, 50 a page."""
    context = _context(request, code)
    batch, unit, today = context["batch"], context["unit"], context["today"]
    if batch is None:
        raise Http404
    spec = batch.campaign.spec
    found = spec.warning(rule)
    if found is None:
        raise Http404
    only_new = request.GET.get("new") == "1"
    qs = alerts_under(request.user, batch, unit).filter(rule=rule)
    if only_new:
        qs = qs.filter(since__gte=today - timedelta(days=NEW_DAYS))
    page = get_page(Paginator(qs.select_related("unit").order_by("path"), PER_PAGE), request)
    rows = [
        {
            "alert": a,
            "text": describe(rule, a.detail, today),
            "url": f"{reverse('dashboards:unit', args=[a.unit.code])}?batch={batch.pk}",
            "new": a.since >= today - timedelta(days=NEW_DAYS),
        }
        for a in page
    ]
    context.update(
        rule={"key": found.key, "name": found.name, "explain": explain(found, spec)},
        page=page,
        rows=rows,
        only_new=only_new,
        query=f"batch={batch.pk}" + ("&new=1" if only_new else ""),
        all_url=rule_url(unit, batch, rule),
        new_url=rule_url(unit, batch, rule, new=1),
        back=f"{reverse('dashboards:warnings', args=[unit.code])}?batch={batch.pk}",
    )
    return render(request, "dashboards/warnings_rule.html", context)
