"""Time creating, scheduling and storing the built-in campaign on the full demo data.

    DATABASE_URL=sqlite:////work/main/var/bench-campaigns.sqlite3 python -m bench.campaigns

``bench_schedule_full()`` uses the database the settings point at (or ``using``), which must hold the full
seeded tree (root 150000). It creates the built-in campaign with the window 2014-01-20..2014-09-30,
schedules it, stores the plan, and returns the seconds of the store step (budget: ≤ 10 s for about 70,000
participations, ARCHITECTURE.md). The campaign it made is deleted again unless ``keep=True``.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

BUDGET_SECONDS = 10.0
ROOT_CODE = "150000"
WINDOW = (date(2014, 1, 20), date(2014, 9, 30))
TEMPLATE = "mass-line-2014-nmg"


def bench_schedule_full(using: str | None = None, *, keep: bool = False, verbose: bool = True) -> float:
    """Create + schedule + store the built-in campaign on the full tree; return the store step's seconds."""
    figures = bench_figures(using, keep=keep, verbose=verbose)
    return figures["store_seconds"]


def bench_figures(using: str | None = None, *, keep: bool = False, verbose: bool = True) -> dict[str, Any]:
    from django.db import DEFAULT_DB_ALIAS, connections

    from echelon.campaigns import services
    from echelon.campaigns.models import PlanPhase
    from echelon.orgs.models import Unit

    alias = using or DEFAULT_DB_ALIAS
    if alias != DEFAULT_DB_ALIAS:  # the services use the default connection: point it at `using`
        connections.settings[DEFAULT_DB_ALIAS] = connections.settings[alias]
        connections[DEFAULT_DB_ALIAS].close()
        del connections[DEFAULT_DB_ALIAS]
    root = Unit.objects.get(code=ROOT_CODE)
    template = services.template_for_use(actor=None, name=TEMPLATE)

    began = time.perf_counter()
    campaign = services.campaign_create(
        actor=None,
        spec=template.spec,
        root=root,
        start=WINDOW[0],
        end=WINDOW[1],
        template=template,
        name="性能测试 bench",
    )
    created = time.perf_counter()
    result = services.campaign_schedule(actor=None, campaign=campaign)
    scheduled = time.perf_counter()
    figures: dict[str, Any] = {
        "units": Unit.objects.filter(is_active=True).count(),
        "participations": campaign.participations_count,
        "phase_rows": PlanPhase.objects.filter(participation__campaign=campaign).count(),
        "feasible": result.feasible,
        "violations": len(result.violations),
        "create_seconds": created - began,
        "engine_seconds": result.engine_seconds,
        "store_seconds": result.store_seconds,
        "schedule_seconds": scheduled - created,
        "budget_seconds": BUDGET_SECONDS,
    }
    publish_began = time.perf_counter()
    if result.feasible:
        services.campaign_publish(actor=None, campaign=campaign)
    figures["publish_seconds"] = time.perf_counter() - publish_began
    if verbose:
        print(
            f"campaign schedule: {figures['units']:,} units, {figures['participations']:,} participations, "
            f"{figures['phase_rows']:,} phase rows, feasible={figures['feasible']}; "
            f"create {figures['create_seconds']:.2f} s, engine {figures['engine_seconds']:.2f} s, "
            f"store {figures['store_seconds']:.2f} s (budget {BUDGET_SECONDS:.0f} s, "
            f"{figures['store_seconds'] / BUDGET_SECONDS:.0%} of it), "
            f"publish {figures['publish_seconds']:.2f} s"
        )
    if not keep:
        _drop(campaign.pk)
    return figures


def _drop(campaign_id: int) -> None:
    """Remove the bench's campaign set-based (the ORM's cascade would load 70,000 rows first)."""
    from django.db import connection, transaction

    from echelon.campaigns.models import (
        Baseline,
        BaselinePhase,
        Batch,
        Campaign,
        Participation,
        PhaseActual,
        PlanPhase,
        ProgressCount,
        ProgressDay,
    )

    q = connection.ops.quote_name
    pa = q(Participation._meta.db_table)
    subquery = f"SELECT id FROM {pa} WHERE campaign_id = %s"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (PlanPhase, BaselinePhase, PhaseActual):
            cursor.execute(
                f"DELETE FROM {q(model._meta.db_table)} WHERE participation_id IN ({subquery})",  # noqa: S608
                [campaign_id],
            )
        batches = f"SELECT id FROM {q(Batch._meta.db_table)} WHERE campaign_id = %s"  # noqa: S608
        for rollup in (ProgressCount, ProgressDay):
            cursor.execute(
                f"DELETE FROM {q(rollup._meta.db_table)} WHERE batch_id IN ({batches})",  # noqa: S608
                [campaign_id],
            )
        for owned in (Participation, Baseline, Batch):
            cursor.execute(f"DELETE FROM {q(owned._meta.db_table)} WHERE campaign_id = %s", [campaign_id])  # noqa: S608
        cursor.execute(f"DELETE FROM {q(Campaign._meta.db_table)} WHERE id = %s", [campaign_id])  # noqa: S608


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echelon.settings")
    django.setup()
    bench_schedule_full()
