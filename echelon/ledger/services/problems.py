"""Problems (问题清单): a unit's list by source, category (the four winds), special item and carrier tags,
all from the campaign's template (``Spec.ledger``), so another campaign uses its own taxonomy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.campaigns.models import Campaign
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.locks import locked
from echelon.core.permissions import require
from echelon.core.text import within_length
from echelon.ledger import rollup, verbs
from echelon.ledger.models import TEXT_MAX, CountKind, Opinion, Problem, ProblemStatus, Severity, Task
from echelon.ledger.services.common import campaign_of, check_date, required_text
from echelon.ledger.services.opinions import attach_to_problem
from echelon.orgs.models import Unit

TITLE_MAX = 100
OWNER_MAX = 50
EDITABLE = ("title", "description", "source", "category", "item", "tags", "severity", "owner")


def _term(value: str, allowed: dict[str, str], label: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if not value and not required:
        return ""
    if value not in allowed:
        raise ValidationError(
            _("“%(field)s”不能是“%(value)s”，可选：%(choices)s。")
            % {"field": label, "value": value[:40] or "—", "choices": "、".join(allowed.values())}
        )
    return value


def check_fields(campaign: Campaign, fields: dict[str, object]) -> dict[str, object]:
    """The problem's fields checked against the campaign's taxonomy; ValidationError in Chinese."""
    ledger = campaign.spec.ledger
    names = ledger.names
    out: dict[str, object] = {}
    out["title"] = required_text(str(fields.get("title") or ""), TITLE_MAX, _("问题"))
    out["description"] = within_length(str(fields.get("description") or "").strip(), TEXT_MAX, _("具体表现"))
    out["source"] = _term(str(fields.get("source") or ""), names(ledger.sources), _("来源"))
    out["category"] = _term(str(fields.get("category") or ""), names(ledger.categories), _("类别"))
    out["item"] = _term(str(fields.get("item") or ""), names(ledger.items), _("专项整治事项"), required=False)
    tags = fields.get("tags") or []
    if isinstance(tags, str):
        tags = [t for t in tags.replace("，", ",").split(",") if t.strip()]
    if not isinstance(tags, list | tuple):
        raise ValidationError(_("“载体”须是标签列表。"))
    allowed_tags = names(ledger.tags)
    out["tags"] = sorted({_term(str(t).strip(), allowed_tags, _("载体")) for t in tags})
    severity = str(fields.get("severity") or Severity.GENERAL)
    out["severity"] = _term(severity, {k: str(v) for k, v in Severity.choices}, _("程度"))
    out["owner"] = within_length(str(fields.get("owner") or "").strip(), OWNER_MAX, _("责任人"))
    return out


def problem_create(
    *,
    actor: Actor,
    unit: Unit,
    title: str,
    category: str,
    source: str,
    description: str = "",
    item: str = "",
    tags: Sequence[str] = (),
    severity: str = Severity.GENERAL,
    owner: str = "",
    found_on: date | None = None,
    phase: int | None = None,
    opinions: Iterable[Opinion] = (),
    campaign: Campaign | None = None,
) -> Problem:
    """A problem of ``unit``'s list; ``opinions`` (of the same unit) become this problem."""
    with transaction.atomic():
        require(actor, "change", unit.path)
        campaign = campaign or campaign_of(unit)
        if campaign is None:
            raise ValidationError(_("“%(unit)s”没有参加任何活动，不能建立问题台账。") % {"unit": unit.name})
        fields = check_fields(
            campaign,
            {
                "title": title,
                "description": description,
                "source": source,
                "category": category,
                "item": item,
                "tags": list(tags),
                "severity": severity,
                "owner": owner,
            },
        )
        found_on = check_date(found_on or timezone.localdate(), _("查摆日期"), campaign=campaign)
        if phase is not None and not 0 <= phase < len(campaign.spec.phases):
            raise ValidationError(_("环节不存在。"))
        opinions = list(opinions)
        if any(o.unit_id != unit.pk for o in opinions):
            raise ValidationError(_("只能把本单位收到的意见转为本单位的问题。"))
        problem = Problem.objects.create(
            campaign=campaign,
            unit=unit,
            path=unit.path,
            level=unit.level,
            origin_unit=unit,
            origin_path=unit.path,
            found_on=found_on,
            phase=phase,
            created_by=user_of(actor),
            **fields,
        )
        rollup.moved(CountKind.PROBLEM, None, rollup.key_of(problem))
        attach_to_problem(actor, opinions, problem)
        audit.record(
            actor=actor,
            verb=verbs.PROBLEM_CREATE,
            obj=problem,
            object_repr=f"{unit.name} · {problem.title}",
            unit_id=unit.pk,
            unit_path=unit.path,
            after={**fields, "opinions": [o.tracking_code for o in opinions]},
        )
        return problem


def problem_update(*, actor: Actor, problem: Problem, **changes: object) -> Problem:
    """Correct a problem's description and classification (not its unit: escalation moves it)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("不能修改：%(fields)s。") % {"fields": "、".join(sorted(unknown))})
    with transaction.atomic():
        problem = locked(Problem, problem.pk, "campaign", "unit")
        require(actor, "change", problem.path)
        if problem.status == ProblemStatus.DONE:
            raise ValidationError(_("问题已销号，不能再修改。"))
        current = {key: getattr(problem, key) for key in EDITABLE}
        fields = check_fields(problem.campaign, {**current, **changes})
        before, after = audit.diff(current, fields)
        counted = rollup.key_of(problem)
        for key, value in fields.items():
            setattr(problem, key, value)
        problem.save(update_fields=list(EDITABLE))
        rollup.moved(CountKind.PROBLEM, counted, rollup.key_of(problem))
        if {"category", "item"} & set(after):  # the tasks carry the problem's classification
            for task in Task.objects.select_for_update().filter(problem=problem):
                counted = rollup.key_of(task)
                task.category, task.item = problem.category, problem.item
                task.save(update_fields=["category", "item"])
                rollup.moved(CountKind.TASK, counted, rollup.key_of(task))
        audit.record(
            actor=actor,
            verb=verbs.PROBLEM_UPDATE,
            obj=problem,
            object_repr=f"{problem.unit.name} · {problem.title}",
            unit_id=problem.unit_id,
            unit_path=problem.path,
            before=before,
            after=after,
        )
        return problem
