"""Trend lines (趋势) of the dashboard measures for one unit, from its daily snapshots (ADR 16).

A unit with units below it taking part is snapshotted every day (``services.snapshots``); a leaf (a village)
is not: its history is its phase actuals, which its own dashboard shows. Backfilled days
(``figures["as_of_backfill"]``) carry the progress measures only: the other measures are gaps (None) on
those days, never zeros.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.campaigns.models import Batch, Participation
from echelon.core.tree import UPPER_BOUND
from echelon.dashboards.figures import board_measures
from echelon.dashboards.models import Snapshot
from echelon.dashboards.services.snapshots import BACKFILL_MARK
from echelon.orgs.models import Unit

DEFAULT_DAYS = 90
MAX_DAYS = 800
# The measures drawn when the caller names none: progress, the gates, what is overdue.
DEFAULT_KEYS = ("started", "done", "overdue", "return", "reviews_overdue", "tasks_overdue", "alerts")


def value_of(figures: dict[str, Any], key: str) -> int | None:
    """One measure of a snapshot's ``figures``: a real day's missing measure is 0 (zeros are not stored); a
    backfilled day's missing measure is unknown (None)."""
    if key in figures:
        return int(figures[key])
    return None if figures.get(BACKFILL_MARK) else 0


def has_units_below(batch: Batch, unit: Unit) -> bool:
    return Participation.objects.filter(
        batch=batch, path__gt=unit.path, path__lt=unit.path + UPPER_BOUND
    ).exists()


def trend(
    batch: Batch,
    unit: Unit,
    keys: list[str] | tuple[str, ...] = DEFAULT_KEYS,
    days: int = DEFAULT_DAYS,
    today: date | None = None,
) -> dict[str, Any]:
    """{"days": [iso day, …], "series": {key: [number or None, …]}, "partial": [iso day, …] (backfilled
    days), "note": why there is nothing to draw ("" when there is)} of ``unit``'s last ``days`` days.
    Unknown keys are dropped (``keys_for`` says which there are)."""
    today = today or timezone.localdate()
    days = max(1, min(int(days), MAX_DAYS))
    known = set(keys_for(batch))
    keys = [k for k in keys if k in known]
    rows = list(
        Snapshot.objects.filter(batch=batch, unit=unit, day__gt=today - timedelta(days=days), day__lte=today)
        .order_by("day")
        .values_list("day", "figures")
    )
    note = ""
    if not rows:
        if not has_units_below(batch, unit):
            note = _("本单位下面没有参与活动的单位，不做每日快照；它的进展见各环节的实际日期。")
        else:
            note = _("还没有快照：每日快照由后台任务每天生成一次（或运行 echelon snapshot）。")
    return {
        "days": [d.isoformat() for d, _f in rows],
        "series": {k: [value_of(f, k) for _d, f in rows] for k in keys},
        "partial": [d.isoformat() for d, f in rows if f.get(BACKFILL_MARK)],
        "note": note,
    }


def keys_for(batch: Batch) -> list[str]:
    phases = [(p.key, p.name) for p in batch.campaign.spec.phases]
    return [m.key for m in board_measures(phases)]


def labels_for(batch: Batch) -> dict[str, str]:
    phases = [(p.key, p.name) for p in batch.campaign.spec.phases]
    return {m.key: str(m.label) for m in board_measures(phases)}


def chart(
    batch: Batch,
    unit: Unit,
    keys: list[str] | tuple[str, ...] = DEFAULT_KEYS,
    days: int = DEFAULT_DAYS,
    today: date | None = None,
) -> dict[str, Any]:
    """What ``dashboards/_trend.html`` draws (its ``trend`` context): the trend with each series' label, for
    the page's ``json_script``."""
    data = trend(batch, unit, keys, days, today)
    labels = labels_for(batch)
    series = [{"key": k, "label": labels.get(k, k), "values": v} for k, v in data["series"].items()]
    partial = set(data["partial"])
    return {
        "days": data["days"],
        "partial": data["partial"],
        "note": data["note"],
        "series": series,
        "partial_label": _("补算"),
        # the same figures as a table (the chart's text alternative), newest day first
        "rows": [
            {"day": day, "partial": day in partial, "values": [s["values"][i] for s in series]}
            for i, day in reversed(list(enumerate(data["days"])))
        ],
    }
