"""The ledger's part of 我的待办 (``core.todo``): opinions to triage, claims to verify (销号), escalations
and hand-overs waiting for the user, overdue tasks in their part. Counts are capped or read from the
rollup counters: this is the home page."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.core.actors import Person
from echelon.core.querysets import scope_paths
from echelon.core.todo import Item, capped_count
from echelon.core.tree import collapse, subtree_q
from echelon.ledger.models import CountKind, LedgerCount, OpinionStatus, Task
from echelon.ledger.views.story import escalations_to, handovers_for, verifiable_tasks
from echelon.orgs.models import Unit


def _new_opinions(user: Person) -> int:
    """New opinions in the subtrees the user may change: the rollup counters of those subtrees."""
    paths = scope_paths(user, "change")
    if paths is None:
        paths = list(Unit.objects.filter(parent__isnull=True).values_list("path", flat=True))
    if not paths:
        return 0
    counters = LedgerCount.objects.filter(
        path__in=collapse(paths), kind=CountKind.OPINION, status=OpinionStatus.NEW
    )
    return sum(counters.values_list("n", flat=True))


def items(user: Person) -> list[Item]:
    out: list[Item] = []
    if handovers := capped_count(handovers_for(user)):
        out.append(Item(_("指定由您承接的整改任务"), reverse("ledger:handovers"), handovers, tone="warning"))
    if escalations := capped_count(escalations_to(user)):
        out.append(
            Item(_("上报给本单位、待接收的问题"), reverse("ledger:escalations"), escalations, tone="warning")
        )
    if claims := capped_count(verifiable_tasks(user)):
        out.append(Item(_("待您验收（销号）的整改任务"), reverse("ledger:index"), claims, tone="warning"))
    if opinions := _new_opinions(user):
        out.append(Item(_("待处理的群众意见"), reverse("ledger:opinions") + "?status=new", opinions))
    paths = scope_paths(user, "change")
    if paths != []:
        tasks = Task.objects.overdue(timezone.localdate())
        if paths is not None:
            tasks = tasks.filter(subtree_q("path", paths))
        if overdue := capped_count(tasks):
            out.append(
                Item(
                    _("超过完成时限的整改任务"),
                    reverse("ledger:problems") + "?overdue=yes",
                    overdue,
                    tone="danger",
                )
            )
    return out
