"""The command center's part of 我的待办 (``core.todo``), registered from ``DashboardsConfig.ready()``. Counts
are capped and read on indexed ranges: this is the home page.

- ``warning_items``: for an office (a user who may ``plan`` somewhere), per early-warning rule, the units
  found in their part of the tree and how many are new (found today or yesterday), linking to the warnings
  page of their outermost unit; the daily notice of new warnings links through ``notice_url``.
- ``dispatch_items``: the open action items of dispatch meetings assigned to the user's own units (the
  overdue first), and for an office the items of its own meetings that are past their deadline.
- ``report_items``: the information reports waiting for the user's approval (their own units' and the
  units directly below), and the user's drafts that were returned.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.campaigns.models import Batch, Status
from echelon.campaigns.specs import WARNING_RULES
from echelon.core.actors import Person
from echelon.core.querysets import scope_paths
from echelon.core.todo import Item, capped_count
from echelon.core.tree import subtree_q
from echelon.dashboards import selectors
from echelon.dashboards.models import Alert, DispatchItem, ItemStatus
from echelon.dashboards.services.dispatch import items_of
from echelon.dashboards.services.reports import returned_to, waiting_for
from echelon.dashboards.services.warnings import NEW_DAYS
from echelon.orgs.models import Unit


def warnings_url(unit: Unit, rule: str = "", batch: Batch | None = None, new: bool = False) -> str:
    """The warnings page of ``unit`` (of one rule, of one batch, only the new ones)."""
    if rule:
        url = reverse("dashboards:warnings_rule", args=[unit.code, rule])
    else:
        url = reverse("dashboards:warnings", args=[unit.code])
    query = "&".join(p for p in (f"batch={batch.pk}" if batch else "", "new=1" if new else "") if p)
    return f"{url}?{query}" if query else url


def notice_url(unit: Unit) -> str:
    """Where the daily notice of new warnings links (``notifications.register_target(Unit, notice_url)``)."""
    return warnings_url(unit)


def warning_items(user: Person) -> list[Item]:
    paths = scope_paths(user, "plan")
    if paths == []:
        return []
    batches = list(Batch.objects.filter(campaign__status=Status.PUBLISHED).select_related("campaign"))
    if not batches:
        return []
    today = timezone.localdate()
    qs = Alert.objects.filter(batch__in=batches)
    if paths is not None:
        qs = qs.filter(subtree_q("path", paths))
    rows = (
        qs.values("batch_id", "rule")
        .annotate(n=Count("id"), new=Count("id", filter=Q(since__gte=today - timedelta(days=NEW_DAYS))))
        .order_by()
    )
    found = [r for r in rows if r["n"]]
    if not found:
        return []
    top = selectors.top_unit(user)
    by_batch = {b.pk: b for b in batches}
    names: dict[tuple[int, str], str] = {}
    for b in {r["batch_id"] for r in found}:
        for w in by_batch[b].campaign.spec.warnings:
            names[(b, w.key)] = str(w.name)
    order = list(WARNING_RULES)
    several = len({r["batch_id"] for r in found}) > 1
    out = []
    for r in sorted(
        found, key=lambda r: (r["batch_id"], order.index(r["rule"]) if r["rule"] in order else 99)
    ):
        batch = by_batch[r["batch_id"]]
        title = names.get((batch.pk, r["rule"]), r["rule"])
        if several:
            title = f"{title}（{batch.name}）"
        out.append(
            Item(
                _("预警：%(rule)s") % {"rule": title},
                warnings_url(top, r["rule"], batch),
                r["n"],
                detail=_("今天和昨天新增 %(n)d 个单位") % {"n": r["new"]} if r["new"] else "",
                tone="danger" if r["new"] else "warning",
            )
        )
    return out


def dispatch_items(user: Person) -> list[Item]:
    today = timezone.localdate()
    mine = items_of(user, mine=True).filter(status=ItemStatus.OPEN)
    url = reverse("dashboards:items") + "?status=open"
    out: list[Item] = []
    if late := capped_count(mine.filter(deadline__lt=today)):
        out.append(Item(_("逾期未办结的调度会交办事项"), url, late, tone="danger"))
    if pending := capped_count(mine.filter(deadline__gte=today)):
        first = (
            mine.filter(deadline__gte=today).order_by("deadline").values_list("deadline", flat=True).first()
        )
        detail = _("最近的时限：%(day)s") % {"day": first} if first else ""
        out.append(Item(_("待办理的调度会交办事项"), url, pending, detail=detail, tone="warning"))
    plan = scope_paths(user, "plan")
    if plan:  # an office: its own meetings' items past their deadline (not a superuser: everything)
        held = DispatchItem.objects.filter(
            Q(meeting__path__in=plan), status=ItemStatus.OPEN, deadline__lt=today
        ).exclude(Q(path__in=plan))
        if overdue := capped_count(held):
            out.append(
                Item(
                    _("本单位调度会交办、已逾期的事项"),
                    reverse("dashboards:items") + "?scope=all&status=open",
                    overdue,
                    tone="secondary",
                )
            )
    return out


def report_items(user: Person) -> list[Item]:
    out: list[Item] = []
    if waiting := capped_count(waiting_for(user)):
        out.append(Item(_("待您审核报送的信息"), reverse("dashboards:info_reports"), waiting, tone="warning"))
    returned = list(returned_to(user).only("pk", "title").order_by("-id")[:2])
    if returned:
        url = (
            reverse("dashboards:info_report", args=[returned[0].pk])
            if len(returned) == 1
            else reverse("dashboards:info_reports")
        )
        out.append(
            Item(
                _("被退回、待修改的信息"),
                url,
                capped_count(returned_to(user)),
                detail=returned[0].title if len(returned) == 1 else "",
                tone="danger",
            )
        )
    return out
