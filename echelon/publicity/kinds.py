"""What a unit can publish (公示): a small registry of kinds. Each kind checks what the unit typed
(``clean``), builds the frozen public copy (``freeze``: only public facts, personal data masked) and names
the template that shows that copy on the public page and on the printed notice.

The built-in kinds read the ledger (the problem list with the rectification progress, and the results)
and the evaluation (the latest satisfaction evaluation's result).
Another app adds its own kind with ``register`` (e.g. the evaluation result: ``evaluation``, built from the
evaluation app's public result of the unit) without touching the services or the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from echelon.core.text import within_length
from echelon.evaluation.selectors import public_result
from echelon.ledger.models import Opinion, Problem, ProblemStatus, Task, TaskStatus
from echelon.publicity.masking import mask, names_in_contacts

if TYPE_CHECKING:
    from echelon.publicity.models import Publication

PROMISES_MAX = 30
PROMISE_MAX = 300
ITEMS_MAX = 300  # problems in one notice: a village's list is a few dozen


@dataclass(frozen=True)
class Kind:
    key: str
    label: str | Promise
    template: str  # the public copy's partial, rendered with ``snapshot`` (and ``publication``)
    freeze: Callable[[Publication], dict[str, Any]]
    clean: Callable[[Mapping[str, Any]], dict[str, Any]] = lambda content: {}
    order: int = 50


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.key] = kind
    return kind


def get(key: str) -> Kind:
    """The kind ``key``; ValidationError in Chinese when there is none."""
    kind = KINDS.get(str(key or ""))
    if kind is None:
        raise ValidationError(
            _("未知的公示内容“%(kind)s”，可选：%(choices)s。")
            % {"kind": str(key)[:20], "choices": "、".join(f"{k.key}（{k.label}）" for k in ordered())}
        )
    return kind


def ordered() -> list[Kind]:
    return sorted(KINDS.values(), key=lambda k: (k.order, k.key))


def choices() -> list[tuple[str, str]]:
    return [(k.key, str(k.label)) for k in ordered()]


# --- promises ------------------------------------------------------------------------------------------


def clean_promises(content: Mapping[str, Any]) -> dict[str, Any]:
    """A list of short texts (what the unit promises: 承诺事项), one per line or as a list."""
    items = content.get("items", []) if isinstance(content, Mapping) else None
    if isinstance(items, str):
        items = items.splitlines()
    if not isinstance(items, list | tuple):
        raise ValidationError(_("承诺事项须是一条一条的文字。"))
    texts = [within_length(str(t).strip(), PROMISE_MAX, _("承诺事项")) for t in items if str(t).strip()]
    if not texts:
        raise ValidationError(_("请至少填写一条承诺事项。"))
    if len(texts) > PROMISES_MAX:
        raise ValidationError(_("承诺事项最多 %(n)d 条。") % {"n": PROMISES_MAX})
    return {"items": texts}


def freeze_promises(publication: Publication) -> dict[str, Any]:
    items = clean_promises(publication.content or {})["items"]
    return {"items": [mask(text) for text in items]}


# --- the ledger: problems with progress, results --------------------------------------------------------


def _names(ids: list[int]) -> set[str]:
    """The names opinion givers left with the opinions these problems answer (never shown; masked)."""
    contacts = (
        Opinion.objects.filter(problem_id__in=ids).exclude(contact="").values_list("contact", flat=True)
    )
    return names_in_contacts(contacts)


def _category_names(publication: Publication) -> dict[str, str]:
    if publication.campaign is None:
        return {}
    ledger = publication.campaign.spec.ledger
    return ledger.names(ledger.categories)


def _task_rows(problem_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows: dict[int, list[dict[str, Any]]] = {}
    fields = ("problem_id", "measure", "deadline", "status", "claim_note")
    for row in Task.objects.filter(problem_id__in=problem_ids).order_by("deadline", "id").values(*fields):
        rows.setdefault(row["problem_id"], []).append(row)
    return rows


def problems_copy(
    problems: list[dict[str, Any]],
    tasks: Mapping[int, list[dict[str, Any]]],
    names: set[str],
    categories: Mapping[str, str],
) -> dict[str, Any]:
    """The public copy of a problem list with its measures' progress (never who is responsible), from
    plain rows (``Problem``'s id, title, description, category, status, found_on, done_on; ``Task``'s
    measure, deadline, status): the service for one unit, the demo for thousands at once."""
    items: list[dict[str, Any]] = []
    task_total = task_done = 0
    for p in problems:
        measures = [
            {
                "measure": mask(t["measure"], names),
                "deadline": t["deadline"].isoformat(),
                "status": t["status"],
            }
            for t in tasks.get(p["id"], [])
        ]
        task_total += len(measures)
        task_done += sum(1 for t in measures if t["status"] == TaskStatus.VERIFIED)
        items.append(
            {
                "number": f"W{p['id']:07d}",
                "title": mask(p["title"], names),
                "description": mask(p["description"], names),
                "category": categories.get(p["category"], p["category"]),
                "status": "done" if p["status"] == ProblemStatus.DONE else "open",
                "found_on": p["found_on"].isoformat(),
                "done_on": p["done_on"].isoformat() if p["done_on"] else None,
                "tasks": measures,
            }
        )
    done = sum(1 for i in items if i["status"] == "done")
    counts = {"problems": len(items), "done": done, "tasks": task_total, "tasks_done": task_done}
    return {"items": items, "counts": counts}


def results_copy(
    problems: list[dict[str, Any]], tasks: Mapping[int, list[dict[str, Any]]], names: set[str]
) -> dict[str, Any]:
    """What the rectification achieved: the problems ticked off (销号) with what was done for each (the
    verified measures' completion notes), and the counts; from plain rows like ``problems_copy``."""
    done = [p for p in problems if p["status"] == ProblemStatus.DONE]
    items = [
        {
            "number": f"W{p['id']:07d}",
            "title": mask(p["title"], names),
            "done_on": p["done_on"].isoformat() if p["done_on"] else None,
            "results": [
                mask(t["claim_note"] or t["measure"], names)
                for t in tasks.get(p["id"], [])
                if t["status"] == TaskStatus.VERIFIED
            ],
        }
        for p in done
    ]
    return {"items": items, "counts": {"problems": len(problems), "done": len(done)}}


PROBLEM_FIELDS = ("id", "title", "description", "category", "status", "found_on", "done_on")


def _problem_rows(publication: Publication) -> list[dict[str, Any]]:
    qs = Problem.objects.filter(unit_id=publication.unit_id, path=publication.path)
    if publication.campaign_id:
        qs = qs.filter(campaign_id=publication.campaign_id)
    return list(qs.order_by("found_on", "id").values(*PROBLEM_FIELDS)[:ITEMS_MAX])


def freeze_problems(publication: Publication) -> dict[str, Any]:
    """The unit's problem list, each problem with its measures' progress."""
    problems = _problem_rows(publication)
    ids = [p["id"] for p in problems]
    return problems_copy(problems, _task_rows(ids), _names(ids), _category_names(publication))


def freeze_results(publication: Publication) -> dict[str, Any]:
    problems = _problem_rows(publication)
    ids = [p["id"] for p in problems]
    return results_copy(problems, _task_rows(ids), _names(ids))


# --- the satisfaction evaluation's result ---------------------------------------------------------------


def freeze_evaluation(publication: Publication) -> dict[str, Any]:
    """The unit's latest closed evaluation (counts and shares only: ballots are anonymous, tallies name
    no one); refused in Chinese when the unit has not been evaluated yet."""
    result = public_result(publication.unit)
    if result is None:
        raise ValidationError(_("本单位还没有结束的满意度测评，不能公示测评结果。"))
    return result


def register_builtins() -> None:
    register(
        Kind(
            "promises",
            gettext_lazy("承诺事项"),
            "publicity/kinds/promises.html",
            freeze_promises,
            clean_promises,
            order=10,
        )
    )
    register(
        Kind(
            "problems",
            gettext_lazy("问题清单和整改进展"),
            "publicity/kinds/problems.html",
            freeze_problems,
            order=20,
        )
    )
    register(
        Kind("results", gettext_lazy("整改结果"), "publicity/kinds/results.html", freeze_results, order=30)
    )
    register(
        Kind(
            "evaluation",
            gettext_lazy("群众满意度测评结果"),
            "publicity/kinds/evaluation.html",
            freeze_evaluation,
            order=40,
        )
    )


# The built-in kinds are there as soon as anything asks for a kind (the module is imported then, not when
# the app starts: a cold command need not load the ledger's and the evaluation's selectors).
register_builtins()
