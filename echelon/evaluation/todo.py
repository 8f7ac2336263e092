"""The evaluation's part of 我的待办 (``core.todo``), registered from ``EvaluationConfig.ready()``: the redos
(补课) of the user's units still to do (overdue ones in red), and those waiting for the decision of a
supervision group the user belongs to. Counts are capped; each read is one indexed query."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.core.actors import Person
from echelon.core.todo import Item, capped_count
from echelon.evaluation.models import Redo, RedoStatus
from echelon.supervision.models import GroupAssignment, SupervisionGroup


def _url(rows: list[Redo]) -> str:
    if len(rows) == 1:
        return reverse("evaluation:redo", args=[rows[0].pk])
    return reverse("evaluation:index")


def items(user: Person) -> list[Item]:
    out: list[Item] = []
    today = timezone.localdate()
    to_do = Redo.objects.visible_to(user, "change").filter(status=RedoStatus.OPEN).order_by("deadline")
    first = list(to_do.only("pk", "deadline")[:2])
    if first:
        late = first[0].deadline < today
        out.append(
            Item(
                _("补课待完成"),
                _url(first),
                capped_count(to_do),
                _("最近期限 %(day)s") % {"day": first[0].deadline},
                "danger" if late else "warning",
            )
        )
    groups = SupervisionGroup.objects.of_member(user)
    assigned = GroupAssignment.objects.filter(group__in=groups).values("participation")
    waiting = Redo.objects.filter(status=RedoStatus.PASSED, participation__in=assigned).order_by("id")
    rows = list(waiting.only("pk")[:2])
    if rows:
        out.append(Item(_("补课待认定"), _url(rows), capped_count(waiting), _("再次测评已达标"), "warning"))
    return out
