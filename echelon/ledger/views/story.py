"""What the ledger's pages share: an object's story told from its audit events (sentences, not JSON), the
taxonomy's names per campaign, and the rows waiting for the caller."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from echelon.accounts.models import user_of
from echelon.accounts.roles import Role
from echelon.campaigns.models import Campaign
from echelon.core.actors import Actor
from echelon.core.models import AuditEvent
from echelon.core.querysets import scope_paths
from echelon.core.tree import UPPER_BOUND, collapse, subtree_q
from echelon.ledger import verbs
from echelon.ledger.models import (
    Channel,
    Escalation,
    EscalationState,
    Handover,
    HandoverState,
    Opinion,
    OpinionStatus,
    Task,
    TaskStatus,
)
from echelon.orgs.models import Unit
from echelon.supervision.models import GroupAssignment, SupervisionGroup
from echelon.supervision.services.groups import grant_paths

# --- the taxonomy's names ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """The names of a campaign's ledger keys (sources, categories, special items, carrier tags)."""

    sources: dict[str, str]
    categories: dict[str, str]
    items: dict[str, str]
    tags: dict[str, str]

    @classmethod
    def of(cls, campaign: Campaign | None) -> Terms:
        if campaign is None:
            return cls({}, {}, {}, {})
        ledger = campaign.spec.ledger
        names = ledger.names
        return cls(names(ledger.sources), names(ledger.categories), names(ledger.items), names(ledger.tags))


def terms_by_campaign(campaign_ids: Iterable[int]) -> dict[int, Terms]:
    """Each campaign's names, read once per page (one query), never per row."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    return {c.pk: Terms.of(c) for c in Campaign.objects.filter(pk__in=ids).only("pk", "template_data")}


# --- the story ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    at: datetime
    who: str
    text: str
    verb: str


def _who(event: AuditEvent) -> str:
    if event.verb == verbs.OPINION_SUBMIT:
        return _("群众（匿名）")
    if event.actor_id is None and event.actor_name == "system":
        return _("系统")
    return event.actor_name


def _sentence(event: AuditEvent) -> str:
    a: dict[str, Any] = event.after or {}
    verb = event.verb
    if verb == verbs.OPINION_SUBMIT:
        return _("通过网上留言提交了意见。")
    if verb == verbs.OPINION_RECORD:
        channel = a.get("channel", "")
        label = Channel(channel).label if channel in Channel.values else channel
        return _("登记了意见（渠道：%(channel)s）。") % {"channel": label}
    if verb == verbs.OPINION_IMPORT:
        return _("从 Excel 导入了意见。")
    if verb == verbs.OPINION_MERGE:
        return _("将意见合并到 %(into)s。") % {"into": a.get("merged_into", "")}
    if verb == verbs.OPINION_REPLY:
        return _("公开答复：%(reply)s") % {"reply": a.get("public_reply", "")}
    if verb == verbs.OPINION_CLOSE:
        return _("关闭了意见，理由：%(reason)s") % {"reason": a.get("close_reason", "")}
    if verb == verbs.OPINION_TO_PROBLEM:
        return _("将意见转为问题“%(problem)s”。") % {"problem": a.get("problem", "")}
    if verb == verbs.PROBLEM_CREATE:
        codes = a.get("opinions") or []
        if codes:
            return _("登记了问题，来自意见 %(codes)s。") % {"codes": "、".join(codes)}
        return _("登记了问题。")
    if verb == verbs.PROBLEM_UPDATE:
        return _("修改了问题（%(fields)s）。") % {"fields": "、".join(_field_label(k) for k in a)}
    if verb == verbs.PROBLEM_ESCALATE:
        return _("上报给“%(to)s”，理由：%(reason)s") % {
            "to": a.get("to_name", ""),
            "reason": a.get("reason", ""),
        }
    if verb == verbs.PROBLEM_ACCEPT:
        answer = a.get("answer") or ""
        text = _("接收了上报（%(route)s），问题转由接收单位整改。") % {
            "route": event.object_repr.split(" · ")[0]
        }
        return f"{text}{answer}" if answer else text
    if verb == verbs.PROBLEM_RETURN:
        return _("退回了上报（%(route)s），理由：%(answer)s") % {
            "route": event.object_repr.split(" · ")[0],
            "answer": a.get("answer", ""),
        }
    if verb == verbs.TASK_CREATE:
        return _("制定整改措施“%(measure)s”，责任人 %(who)s，完成时限 %(deadline)s。") % {
            "measure": a.get("measure", ""),
            "who": a.get("responsible", ""),
            "deadline": a.get("deadline", ""),
        }
    if verb == verbs.TASK_EVIDENCE:
        return _("上传佐证材料“%(name)s”（第 %(v)s 版）。") % {
            "name": a.get("name", ""),
            "v": a.get("version", ""),
        }
    if verb == verbs.TASK_CLAIM:
        return _("申请销号：%(note)s") % {"note": a.get("note", "")}
    if verb == verbs.TASK_VERIFY:
        note = a.get("note") or ""
        if note:
            return _("验收通过，予以销号。验收意见：%(note)s") % {"note": note}
        return _("验收通过，予以销号。")
    if verb == verbs.TASK_RETURN:
        return _("退回重新整改，理由：%(note)s") % {"note": a.get("note", "")}
    if verb == verbs.TASK_DEFER:
        return _("认定暂不能解决：%(note)s；新的完成时限 %(deadline)s。") % {
            "note": a.get("note", ""),
            "deadline": a.get("deadline", ""),
        }
    if verb == verbs.TASK_REOPEN:
        return _("重新打开任务，理由：%(reason)s") % {"reason": a.get("reason", "")}
    if verb == verbs.HANDOVER_OFFER:
        return _("移交给后一批次单位（%(route)s），承接人 %(receiver)s。") % {
            "route": event.object_repr.split(" · ")[0],
            "receiver": a.get("receiver", ""),
        }
    if verb == verbs.HANDOVER_ACCEPT:
        return _("承接了移交的任务（%(route)s）。") % {"route": event.object_repr.split(" · ")[0]}
    return event.verb


FIELD_LABELS = {
    "title": gettext_lazy("问题"),
    "description": gettext_lazy("具体表现"),
    "source": gettext_lazy("来源"),
    "category": gettext_lazy("类别"),
    "item": gettext_lazy("专项整治事项"),
    "tags": gettext_lazy("载体"),
    "severity": gettext_lazy("程度"),
    "owner": gettext_lazy("责任人"),
}


def _field_label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


def story(objects: Iterable[tuple[str, Iterable[int]]], limit: int = 200) -> list[Line]:
    """The audit events of the named objects (``("ledger.task", [ids])`` …), oldest first, as sentences.
    The caller has already fetched the object through its scope: the story comes with the object (the
    unit that raised an escalated problem reads what became of it)."""
    cond = Q(pk__in=[])
    for object_type, ids in objects:
        keys = [str(i) for i in ids]
        if keys:
            cond |= Q(object_type=object_type, object_id__in=keys)
    events = AuditEvent.objects.filter(cond).order_by("at", "id")[:limit]
    return [Line(e.at, _who(e), _sentence(e), e.verb) for e in events]


# --- what waits for the caller -----------------------------------------------------------------------------


def whole_tree(paths: list[str] | None) -> bool:
    """True when ``paths`` (a scope) cover every root of the tree: a path range then covers every row, and
    the lists read the newest rows by id instead of gathering and sorting the whole range."""
    if paths is None:
        return True
    roots = set(Unit.objects.filter(parent__isnull=True).values_list("path", flat=True))
    return bool(roots) and roots <= set(paths)


def verifiable_tasks(actor: Actor, statuses: tuple[str, ...] = (TaskStatus.CLAIMED,)) -> QuerySet[Task]:
    """Tasks (claimed ones by default) ``actor`` may decide or reopen, as one query, by the rule of
    ``services.verifier_error``: a ``verify`` grant strictly above the task's unit, or a group of theirs
    assigned to the unit; never their own claim, never under an operator grant of theirs."""
    user = user_of(actor)
    if user is None:
        return Task.objects.none()
    qs = Task.objects.filter(status__in=statuses).exclude(claimed_by=user)
    paths = scope_paths(user, "verify")
    if paths is not None:
        groups = SupervisionGroup.objects.filter(Q(members=user) | Q(leader=user)).values("pk")
        assigned = set(GroupAssignment.objects.filter(group__in=groups).values_list("path", flat=True))
        if whole_tree(paths):  # everything but the roots' own tasks: no range to gather
            qs = qs.exclude(path__in=sorted(set(paths) - assigned))
        else:
            cond = Q(path__in=sorted(assigned))
            for p in collapse(paths):
                cond |= Q(path__gt=p, path__lt=p + UPPER_BOUND)
            qs = qs.filter(cond)
    operator = grant_paths(user, (Role.OPERATOR,))
    if operator:
        qs = qs.exclude(subtree_q("path", operator))
    return qs


def escalations_to(actor: Actor) -> QuerySet[Escalation]:
    """Pending escalations to units ``actor`` may change (and so accept or return)."""
    paths = scope_paths(actor, "change")
    qs = Escalation.objects.filter(state=EscalationState.PENDING)
    if paths is None:
        return qs
    return qs.filter(subtree_q("to_path", paths)) if paths else qs.none()


def escalations_from(actor: Actor) -> QuerySet[Escalation]:
    """Escalations sent from units ``actor`` may change, with their outcomes."""
    paths = scope_paths(actor, "change")
    if paths is None:
        return Escalation.objects.all()
    return Escalation.objects.filter(subtree_q("from_path", paths)) if paths else Escalation.objects.none()


def handovers_for(actor: Actor) -> QuerySet[Handover]:
    """Hand-overs offered to ``actor`` by name, waiting for them to take over."""
    user = user_of(actor)
    if user is None:
        return Handover.objects.none()
    return Handover.objects.filter(receiver=user, state=HandoverState.OFFERED)


def opinions_to_triage(actor: Actor) -> QuerySet[Opinion]:
    if whole_tree(scope_paths(actor, "change")):
        return Opinion.objects.filter(status=OpinionStatus.NEW)
    return Opinion.objects.visible_to(actor, "change").filter(status=OpinionStatus.NEW)


def listed_opinions(actor: Actor) -> QuerySet[Opinion]:
    """``Opinion.objects.visible_to(actor)``, without the path range when it is the whole tree."""
    return (
        Opinion.objects.all() if whole_tree(scope_paths(actor, "view")) else Opinion.objects.visible_to(actor)
    )
