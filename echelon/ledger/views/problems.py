"""Problems (问题清单): the filtered list, the new and edit forms (the selects from the unit's campaign
taxonomy) and the detail, where the whole rectification happens: tasks, evidence, claim, verification,
escalation, hand-over, and the story."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_tables2 import LazyPaginator

from echelon.accounts.models import Grant, user_of
from echelon.accounts.roles import roles_with
from echelon.core import paging
from echelon.core.actors import Actor
from echelon.core.pages import attempt
from echelon.core.permissions import allowed, require_somewhere
from echelon.core.querysets import scope_paths, scoped_object
from echelon.core.tree import ancestor_ids, subtree_q
from echelon.ledger import filters, selectors, services
from echelon.ledger.filters import ProblemFilter
from echelon.ledger.forms import (
    ClaimForm,
    DecideForm,
    EscalateForm,
    EscalationAnswerForm,
    EvidenceForm,
    HandoverForm,
    ProblemForm,
    ReopenForm,
    TaskForm,
)
from echelon.ledger.models import (
    EscalationState,
    Evidence,
    Handover,
    Opinion,
    OpinionStatus,
    Problem,
    ProblemStatus,
    Task,
    TaskStatus,
)
from echelon.ledger.services.common import campaign_of
from echelon.ledger.views.opinions import RECORDERS_ONLY, Picked, pick_unit
from echelon.ledger.views.story import Terms, story, terms_by_campaign, verifiable_tasks, whole_tree
from echelon.orgs import selectors as org_selectors
from echelon.orgs.models import Level, Unit

PER_PAGE = 50
ELSEWHERE = 5_000  # problems raised in the caller's part and escalated above it, listed at most
MAX_OPINIONS = 50  # opinions turned into one problem at once


def _list_unit(request: HttpRequest) -> Unit | None:
    """The unit whose campaign gives the list's filter choices: the one filtered on, else the caller's
    first."""
    code = request.GET.get("under", "").strip()[:32]
    unit = Unit.objects.visible_to(request.user).filter(code=code).first() if code else None
    return unit or org_selectors.top_units(request.user).first()


def listed_problems(actor: Actor) -> QuerySet[Problem]:
    """The rows of ``selectors.problems_for`` (owned in the caller's part, raised there, or pending there),
    written so that the database walks one path range: the owned rows, plus the few raised or pending in
    the part but owned above it (escalated out of it), found first by id. An OR of three ranges makes
    SQLite gather and sort every row of all three (0.7 s for the region at 200,000 problems)."""
    paths = scope_paths(actor, "view")
    if whole_tree(paths):  # every row: read the newest by id, no range to gather and sort
        return Problem.objects.all()
    if not paths:
        return Problem.objects.none()
    owned = subtree_q("path", paths)
    # The newest ELSEWHERE, chosen here: with ORDER BY id LIMIT in the query PostgreSQL walks the primary
    # key backwards hoping to meet them soon and, as they are few, reads every problem (0.8 s for a
    # league at 200,000); without, the two path indexes find them (found by `make load`).
    elsewhere = sorted(
        Problem.objects.filter(subtree_q("origin_path", paths) | subtree_q("pending_path", paths))
        .exclude(owned)
        .order_by()
        .values_list("pk", flat=True),
        reverse=True,
    )[:ELSEWHERE]
    return Problem.objects.filter(owned | Q(pk__in=elsewhere)) if elsewhere else Problem.objects.filter(owned)


@require_GET
def problem_list(request: HttpRequest) -> HttpResponse:
    unit = _list_unit(request)
    campaign = campaign_of(unit) if unit is not None else None
    base = listed_problems(request.user).prefetch_related("unit__parent").order_by("-id")
    filterset = ProblemFilter(request.GET, queryset=base, campaign=campaign)
    page = paging.get_page(LazyPaginator(filterset.qs, PER_PAGE), request)
    rows: list[Any] = list(page.object_list)  # decorated below with what the row shows
    today = timezone.localdate()
    counts = {
        r["problem_id"]: r
        for r in Task.objects.filter(problem_id__in=[p.pk for p in rows])
        .values("problem_id")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status=TaskStatus.VERIFIED)),
            claimed=Count("id", filter=Q(status=TaskStatus.CLAIMED)),
            overdue=Count("id", filter=Q(status__in=selectors.TASK_OPEN, deadline__lt=today)),
        )
        .order_by()
    }
    terms = terms_by_campaign(p.campaign_id for p in rows)
    empty = Terms({}, {}, {}, {})
    for p in rows:
        c = counts.get(p.pk, {})
        p.tasks_total, p.tasks_done = c.get("total", 0), c.get("done", 0)
        p.tasks_claimed, p.tasks_overdue = c.get("claimed", 0), c.get("overdue", 0)
        t = terms.get(p.campaign_id, empty)
        p.category_name = t.categories.get(p.category, p.category)
        p.source_name = t.sources.get(p.source, p.source)
        p.item_name = t.items.get(p.item, p.item)
        p.tag_names = [t.tags.get(k, k) for k in p.tags or ()]  # badges: the carriers (ADR 18)
    page.object_list = rows
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ledger/problem_list.html",
        {
            "filter": filterset,
            "filters_active": filters.active(filterset),
            "page": page,
            "query": query.urlencode(),
            "unit": unit,
        },
    )


def _opinion_ids(request: HttpRequest) -> list[int]:
    raw = request.POST.getlist("opinion") if request.method == "POST" else request.GET.getlist("opinion")
    return sorted({int(v) for v in raw[:MAX_OPINIONS] if v.isascii() and v.isdigit() and len(v) < 12})


def _prefill(opinions: list[Opinion], campaign: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {"found_on": timezone.localdate()}
    if opinions:
        first = opinions[0].text.strip().splitlines()[0]
        initial["title"] = first[:40]
        initial["description"] = "\n".join(f"{o.tracking_code}：{o.text}" for o in opinions)[:2000]
        sources = [t.key for t in campaign.spec.ledger.sources]
        if "public" in sources:
            initial["source"] = "public"
    return initial


@require_http_methods(["GET", "POST"])
def problem_new(request: HttpRequest) -> HttpResponse:
    """A problem of a unit the caller may change; made from opinions (``?opinion=…``, all of one unit)
    when they are given."""
    require_somewhere(request.user, "change", str(RECORDERS_ONLY))
    ids = _opinion_ids(request)
    opinions: list[Opinion] = []
    if ids:
        opinions = list(
            Opinion.objects.visible_to(request.user, "change")
            .filter(pk__in=ids, status__in=(OpinionStatus.NEW, OpinionStatus.REPLIED))
            .select_related("unit")
            .order_by("id")
        )
        if not opinions:
            raise Http404
        if len({o.unit_id for o in opinions}) > 1:
            messages.error(request, _("只能把同一单位的意见转为一个问题，请按单位分别选择。"))
            return redirect("ledger:opinions")
        picked = Picked(opinions[0].unit)
    else:
        picked = pick_unit(request)
    unit = picked.unit
    campaign = campaign_of(unit) if unit is not None else None
    form = None
    if campaign is not None:
        form = ProblemForm(request.POST or None, campaign=campaign, initial=_prefill(opinions, campaign))
    if request.method == "POST" and unit is not None and form is not None and form.is_valid():
        data = form.cleaned_data
        outcome = attempt(
            request,
            lambda: services.problem_create(
                actor=request.user,
                unit=unit,
                campaign=campaign,
                title=data["title"],
                description=data["description"],
                source=data["source"],
                category=data["category"],
                item=data.get("item") or "",
                tags=data.get("tags") or [],
                severity=data["severity"],
                owner=data["owner"],
                found_on=data["found_on"],
                phase=data["phase"],
                opinions=opinions,
            ),
            success=lambda p: _("问题 %(n)s 已登记，请制定整改措施。") % {"n": p.number},
            form=form,
        )
        if outcome.ok and outcome.value is not None:
            return redirect("ledger:problem", pk=outcome.value.pk)
    return render(
        request,
        "ledger/problem_form.html",
        {"form": form, "picked": picked, "unit": unit, "campaign": campaign, "opinions": opinions},
    )


@require_http_methods(["GET", "POST"])
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    problem = scoped_object(request.user, Problem.objects.select_related("unit", "campaign"), pk=pk)
    if not allowed(request.user, "change", problem.path):
        raise PermissionDenied(_("只有问题所在单位的办公室或联络员可以修改。"))
    current = {
        "title": problem.title,
        "description": problem.description,
        "source": problem.source,
        "category": problem.category,
        "item": problem.item,
        "tags": problem.tags,
        "severity": problem.severity,
        "owner": problem.owner,
    }
    form = ProblemForm(request.POST or None, campaign=problem.campaign, editing=True, initial=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {k: data.get(k, current[k]) or ("" if k != "tags" else []) for k in current}
        outcome = attempt(
            request,
            lambda: services.problem_update(actor=request.user, problem=problem, **changes),
            success=_("已保存。"),
            form=form,
        )
        if outcome.ok:
            return redirect("ledger:problem", pk=problem.pk)
    return render(
        request,
        "ledger/problem_form.html",
        {
            "form": form,
            "problem": problem,
            "unit": problem.unit,
            "campaign": problem.campaign,
            "editing": True,
        },
    )


def _receivers(task: Task, unit: Unit) -> list[Any]:
    """Who may take a task over at ``unit``: users allowed to change it by a grant at the unit or at an
    ancestor it does not share with the task's unit (the receiving side, not the whole chain above)."""
    shared = set(ancestor_ids(task.path))
    ids = [i for i in ancestor_ids(unit.path) if i not in shared]
    grants = (
        Grant.objects.filter(
            unit_id__in=ids,
            role__in=roles_with("change"),
            user__is_active=True,
        )
        .select_related("user", "unit")
        .order_by("-unit__level", "user__username")[:50]
    )
    seen: dict[int, Any] = {}
    for g in grants:
        seen.setdefault(g.user_id, g)
    return list(seen.values())


def _handover_target(request: HttpRequest, tasks: list[Task]) -> dict[str, Any]:
    """``?handover=<task>&to=<code>``: the unit a task is to be handed over to, and who may receive it."""
    raw, code = request.GET.get("handover", ""), request.GET.get("to", "").strip()[:32]
    task = next((t for t in tasks if str(t.pk) == raw), None)
    if task is None or not code:
        return {}
    unit = Unit.objects.visible_to(request.user).filter(code=code, is_active=True).first()
    if unit is None:
        return {"task_id": task.pk, "code": code, "missing": True}
    return {"task_id": task.pk, "code": code, "unit": unit, "receivers": _receivers(task, unit)}


@require_GET
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = scoped_object(
        request.user, Problem.objects.select_related("unit__parent", "origin_unit", "campaign"), pk=pk
    )
    user = user_of(request.user)
    today = timezone.localdate()
    can_change = allowed(request.user, "change", problem.path)
    tasks = list(
        problem.tasks.select_related("claimed_by", "verified_by").prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.order_by("-version")),
            Prefetch(
                "handovers",
                queryset=Handover.objects.select_related("to_unit", "receiver", "follow_task").order_by("id"),
            ),
        )
    )
    decided = (TaskStatus.CLAIMED, TaskStatus.VERIFIED)
    verifiable: set[int] = set()
    if any(t.status in decided for t in tasks):
        verifiable = set(
            verifiable_tasks(request.user, decided).filter(problem=problem).values_list("pk", flat=True)
        )
    for t in tasks:
        t.overdue = t.status in selectors.TASK_OPEN and t.deadline < today
        t.can_claim = can_change and t.status in selectors.TASK_OPEN
        t.can_evidence = can_change and t.status != TaskStatus.VERIFIED
        t.can_handover = can_change and t.status != TaskStatus.VERIFIED
        t.can_verify = t.pk in verifiable
    escalations = list(
        problem.escalations.select_related("from_unit", "to_unit", "sent_by", "decided_by").order_by("id")
    )
    pending = next((e for e in escalations if e.state == EscalationState.PENDING), None)
    can_decide = (
        pending is not None
        and allowed(request.user, "change", pending.to_path)
        and not (
            user is not None
            and pending.sent_by_id == user.pk
            and allowed(request.user, "change", pending.from_path)
        )
    )
    targets: list[tuple[str, str]] = []
    if can_change and problem.status == ProblemStatus.OPEN:
        targets = [
            (u.code, f"{u.name}（{Level(u.level).label if u.level in Level.values else u.level}）")
            for u in services.escalation_targets(problem.unit)[:30]
        ]
    terms = Terms.of(problem.campaign)
    handover_ids = [h.pk for t in tasks for h in t.handovers.all()]
    return render(
        request,
        "ledger/problem_detail.html",
        {
            "problem": problem,
            "terms": terms,
            "category_name": terms.categories.get(problem.category, problem.category),
            "source_name": terms.sources.get(problem.source, problem.source),
            "item_name": terms.items.get(problem.item, problem.item),
            "tag_names": [terms.tags.get(t, t) for t in problem.tags],
            "phase_name": _phase_name(problem),
            "opinions": list(problem.opinions.order_by("id")[:50]),
            "tasks": tasks,
            "escalations": escalations,
            "pending": pending,
            "can_change": can_change,
            "can_decide": can_decide,
            "task_form": TaskForm(),
            "evidence_form": EvidenceForm(),
            "claim_form": ClaimForm(),
            "decide_form": DecideForm(),
            "reopen_form": ReopenForm(),
            "escalate_form": EscalateForm(targets=targets) if targets else None,
            "answer_form": EscalationAnswerForm(),
            "handover_form": HandoverForm(),
            "handover": _handover_target(request, tasks),
            "story": story(
                [
                    ("ledger.problem", [problem.pk]),
                    ("ledger.task", [t.pk for t in tasks]),
                    ("ledger.handover", handover_ids),
                ]
            ),
        },
    )


def _phase_name(problem: Problem) -> str:
    phases = problem.campaign.spec.phases
    if problem.phase is None or not 0 <= problem.phase < len(phases):
        return ""
    return phases[problem.phase].name
