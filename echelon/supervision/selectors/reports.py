"""The supervision report (督导工作报告) of a group over a period: what it decided and where its targets
stand (the Word document is ``supervision/reports.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.core.text import clause
from echelon.supervision.models import Decision, GroupAssignment, Review, ReviewState, SupervisionGroup


@dataclass
class ReportData:
    group: SupervisionGroup
    start: date
    end: date
    members: list[str]
    targets: list[dict[str, str]]  # unit, code, level, phase, status
    submissions: int
    by_decision: dict[str, int]  # decision label -> count, in the period
    open_now: int
    measures: list[dict[str, str]]  # returns, interviews and redos in the period
    problems: list[dict[str, str]]  # failed checks in the period
    awaiting: list[dict[str, str]]  # returned work not resubmitted yet
    not_submitted: int


def report_data(group: SupervisionGroup, start: date, end: date) -> ReportData:
    """What the group did between ``start`` and ``end`` (decisions by their date), and where its targets
    stand now. Only the group's own targets and reviews: the caller has checked the group is visible."""
    campaign = group.campaign
    phases = [p.name for p in campaign.spec.phases]

    def phase_label(k: int) -> str:
        return phases[k] if 0 <= k < len(phases) else _("全部完成")

    members = [
        str(u) + (_("（组长）") if u.pk == group.leader_id else "")
        for u in group.members.order_by("username")
    ]
    if group.leader is not None and group.leader_id not in {u.pk for u in group.members.all()}:
        members.insert(0, str(group.leader) + _("（组长）"))
    reviews = Review.objects.filter(group=group).select_related("unit")
    last: dict[int, Review] = {}
    for r in reviews.order_by("submitted_at", "id"):
        last[r.participation_id] = r
    targets = []
    rows = (
        GroupAssignment.objects.filter(group=group).select_related("unit", "participation").order_by("path")
    )
    for a in rows:
        r = last.get(a.participation_id)
        status = (
            _("待审核")
            if r is not None and r.state == ReviewState.OPEN
            else (str(r.get_decision_display()) if r is not None else _("尚未提交"))
        )
        targets.append(
            {
                "unit": a.unit.name,
                "code": a.unit.code,
                "level": str(a.unit.get_level_display()),
                "phase": phase_label(a.participation.current_phase),
                "status": status,
            }
        )
    decided = list(
        reviews.filter(
            state=ReviewState.DECIDED, decided_at__date__gte=start, decided_at__date__lte=end
        ).order_by("decided_at", "id")
    )
    by_decision = {str(label): 0 for value, label in Decision.choices}
    for r in decided:
        by_decision[str(r.get_decision_display())] += 1
    measures, problems = [], []
    for r in decided:
        if r.decision != Decision.PASS:
            reason = clause(r.comment) or "；".join(
                clause(c.get("comment", "")) for c in r.checks if clause(c.get("comment", ""))
            )
            extra = ""
            if r.decision == Decision.INTERVIEW:
                extra = _("约谈%(who)s（%(when)s），要求：%(what)s") % {
                    "who": r.interview_who,
                    "when": r.interview_at or "",
                    "what": r.interview_required,
                }
            elif r.deadline:
                extra = _("限期 %(d)s 前完成") % {"d": r.deadline.isoformat()}
            measures.append(
                {
                    "unit": r.unit.name,
                    "phase": phase_label(r.phase),
                    "decision": str(r.get_decision_display()),
                    "date": timezone.localtime(r.decided_at).date().isoformat() if r.decided_at else "",
                    "reason": reason,
                    "extra": extra,
                }
            )
        for c in r.checks:
            if not c.get("passed"):
                problems.append(
                    {
                        "unit": r.unit.name,
                        "phase": phase_label(r.phase),
                        "check": c.get("name", c.get("key", "")),
                        "comment": c.get("comment", "") or r.comment,
                    }
                )
    newer = Review.objects.filter(
        participation=OuterRef("participation"),
        phase=OuterRef("phase"),
        submitted_at__gt=OuterRef("submitted_at"),
    )
    awaiting = [
        {
            "unit": r.unit.name,
            "phase": phase_label(r.phase),
            "decision": str(r.get_decision_display()),
            "deadline": r.deadline.isoformat() if r.deadline else "",
        }
        for r in reviews.filter(state=ReviewState.DECIDED)
        .exclude(decision=Decision.PASS)
        .filter(~Exists(newer))
        .order_by("deadline", "id")
    ]
    submissions = reviews.filter(submitted_at__date__gte=start, submitted_at__date__lte=end).count()
    return ReportData(
        group=group,
        start=start,
        end=end,
        members=members,
        targets=targets,
        submissions=submissions,
        by_decision=by_decision,
        open_now=reviews.filter(state=ReviewState.OPEN).count(),
        measures=measures,
        problems=problems,
        awaiting=awaiting,
        not_submitted=sum(1 for t in targets if t["status"] == _("尚未提交")),
    )
