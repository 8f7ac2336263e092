"""Which campaign, batch and unit a dashboard shows, for whom (ADR 16)."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from echelon.campaigns.models import Batch, Campaign, Participation, Status
from echelon.campaigns.selectors import campaigns_for, focus_breadcrumb
from echelon.core.actors import Actor
from echelon.core.tree import UPPER_BOUND, is_within
from echelon.orgs.models import Unit
from echelon.orgs.selectors import top_units


def top_unit(user: Actor) -> Unit:
    """The outermost unit the user sees (the shallowest of ``orgs``' top units); 404 for nobody."""
    tops = sorted(top_units(user), key=lambda u: (len(u.path), u.path))
    if not tops:
        raise Http404
    return tops[0]


def unit_for(user: Actor, code: str) -> Unit:
    """A unit the user sees, by code; 404 outside their part of the tree."""
    return get_object_or_404(Unit.objects.visible_to(user), code=code)


def batches_for(user: Actor, unit: Unit) -> list[Batch]:
    """The batches of the published (or scheduled) campaigns covering ``unit``, latest campaign first."""
    campaigns = [c for c in campaigns_for(user).exclude(status=Status.DRAFT) if is_within(unit.path, c.path)]
    return [b for c in campaigns for b in sorted(c.batches.all(), key=lambda b: b.ordinal)]


def batch_for(
    user: Actor,
    unit: Unit,
    batch_id: str | int | None,
    today: date | None = None,
    batches: list[Batch] | None = None,
) -> Batch | None:
    """The batch asked for (404 if it is not one of the unit's), else, of the batches with units under
    ``unit``: the one running today (the later one when two run), else the last to have started, else the
    first to come; None when there is no campaign yet. ``batches``: ``batches_for`` when the caller has it."""
    batches = batches_for(user, unit) if batches is None else batches
    if batch_id not in (None, ""):
        for b in batches:
            if str(b.pk) == str(batch_id):
                return b
        raise Http404
    today = today or timezone.localdate()
    with_units = [b for b in batches if takes_part(b, unit)]
    started = [b for b in with_units if b.window_start <= today]
    running = [b for b in started if today <= b.window_end]
    # running today, else the last to have started, else the first to come; the later batch when two run
    pick = max(running or started, key=lambda b: (b.window_start, b.ordinal), default=None)
    return pick or min(with_units, key=lambda b: b.window_start, default=None)


def takes_part(batch: Batch, unit: Unit) -> bool:
    return Participation.objects.filter(
        Q(path__gte=unit.path, path__lt=unit.path + UPPER_BOUND), batch=batch
    ).exists()


def breadcrumb(user: Actor, campaign: Campaign, unit: Unit) -> list[Unit]:
    return focus_breadcrumb(user, campaign, unit)


def participation_of(batch: Batch, unit: Unit) -> Participation | None:
    return (
        Participation.objects.filter(batch=batch, unit=unit)
        .select_related("unit", "campaign", "batch")
        .first()
    )


def get_batch(pk: int) -> Batch:
    return get_object_or_404(Batch.objects.select_related("campaign"), pk=pk)
