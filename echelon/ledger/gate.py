"""The ledger at the rectification gate (ADR 15): submitting the template's ``gate_phase`` with tasks of
the unit not yet ticked off (销号) needs the unit's explanation for each; the group judges them with its
decision (``supervision.submit_checks``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from echelon.ledger.models import Task, TaskStatus
from echelon.supervision.submit_checks import Pending

MAX_LISTED = 200  # a unit with more unfinished tasks than this explains the first ones; the rest are named


def unverified_tasks(participation: Any, phase_key: str) -> list[Pending]:
    if phase_key != participation.campaign.spec.ledger.gate_phase:
        return []
    tasks = (
        Task.objects.filter(unit_id=participation.unit_id)
        .exclude(status=TaskStatus.VERIFIED)
        .order_by("deadline", "id")[:MAX_LISTED]
    )
    return [
        Pending(
            f"task-{t.pk}",
            _("%(measure)s（%(status)s，时限 %(deadline)s）")
            % {"measure": t.measure[:60], "status": t.get_status_display(), "deadline": t.deadline},
        )
        for t in tasks
    ]
