"""The demo campaign's democratic appraisals of members (``seed_appraisal``): every branch that has passed
the template's appraisal phase (``appraisal.phase``, the examine phase of the 2014 template) held its
meeting on the day it closed that phase; its members present (all but about one in seventeen) were rated,
mostly in the best grade, about one in five in the next-to-last and one in twenty in the last; the appraisal
is recorded. A few of the members rated lowest have had their talk (帮助谈话), some followed up and closed.

Set-based, to stay fast with 1.3 million members: one ``INSERT … SELECT`` for the appraisals (members
present counted by one GROUP BY over the members), one for the ratings (over the members of those
branches), one for the counts per grade, one ``UPDATE`` for the lowest counts; the follow-ups are a few
hundred rows. One audit event summarises it. Deterministic (the member ids decide), and a branch that
already has an appraisal in the campaign is left as it is.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from echelon.appraisal import totals, verbs
from echelon.appraisal.models import (
    Appraisal,
    AppraisalTotal,
    FollowUp,
    FollowUpState,
    GradeCount,
    Rating,
    State,
)
from echelon.campaigns.models import Campaign, Participation, PhaseActual
from echelon.campaigns.specs import appraisal_settings
from echelon.core import audit, db
from echelon.core.tree import SEGMENT_WIDTH
from echelon.orgs.models import Member, Unit

ABSENT_EVERY = 17  # a member whose id is a multiple of this missed the meeting
LOWEST_EVERY = 20  # … rated in the last grade
MIDDLE_EVERY = 5  # … in the next-to-last
FOLLOWUPS = 300  # talks recorded with members rated lowest (the earliest branches first)
TALKS = [
    "支部书记与其谈心，指出在学习和参加组织生活方面的不足，提出改进要求。",
    "帮助其查找思想根源，明确整改措施，由一名支委结对帮扶。",
    "谈话中本人认识到问题，表示按期整改，接受党员群众监督。",
]
OUTCOMES = ["按期参加组织生活，群众反映有明显改进。", "整改到位，经支部党员大会评议为合格。"]


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _grade_sql(scale: list[str]) -> tuple[str, list[str]]:
    """A CASE over the member's id giving the grade, and its parameters."""
    last, middle, best = scale[-1], scale[-2] if len(scale) > 2 else scale[0], scale[0]
    return (
        f"CASE WHEN m.id %% {LOWEST_EVERY} = 0 THEN %s WHEN m.id %% {MIDDLE_EVERY} = 0 THEN %s ELSE %s END",
        [last, middle, best],
    )


def seed_appraisal(
    campaign: Campaign, today: date | None = None, *, every_branch: bool = False
) -> dict[str, int]:
    """Seed the appraisals of the branches of ``campaign`` that passed its appraisal phase by ``today``
    (see the module's docstring). Returns the counts written. ``every_branch``: as if every branch had
    (the bench's full-scale counts: 1.3M ratings; the demo keeps to the branches that have)."""
    today = today or timezone.localdate()
    settings = appraisal_settings(campaign.template_data)
    scale, lowest = list(settings["scale"]), list(settings["lowest"])
    try:
        phase = campaign.spec.phase_index(settings["phase"])
    except KeyError:
        return {"appraisals": 0, "ratings": 0, "followups": 0}
    now = timezone.now()
    appraisal, rating, count = _table(Appraisal), _table(Rating), _table(GradeCount)
    member, unit, participation, actual = (
        _table(Member),
        _table(Unit),
        _table(Participation),
        _table(PhaseActual),
    )
    q = connection.ops.quote_name
    grade_case, grade_params = _grade_sql(scale)
    with transaction.atomic(), connection.cursor() as cursor:
        before = Appraisal.objects.aggregate(top=Max("id"))["top"] or 0
        cursor.execute(
            f"""
            INSERT INTO {appraisal} (campaign_id, unit_id, path, parent_path, level, phase, meeting_date,
                present, note, state, rated, lowest, created_at, recorded_at)
            SELECT p.campaign_id, p.unit_id, u.path, SUBSTR(u.path, 1, LENGTH(u.path) - {SEGMENT_WIDTH}),
                u.level, %s, COALESCE(a.{q("end")}, %s), c.n, '', %s, c.n, 0, %s, %s
            FROM {participation} p
            JOIN {unit} u ON u.id = p.unit_id
            LEFT JOIN {actual} a ON a.participation_id = p.id AND a.phase = %s
            JOIN (SELECT m.unit_id, COUNT(*) AS n FROM {member} m WHERE m.id %% {ABSENT_EVERY} <> 0
                  GROUP BY m.unit_id) c ON c.unit_id = p.unit_id
            WHERE p.campaign_id = %s AND (%s OR (p.current_phase > %s AND a.{q("end")} IS NOT NULL
              AND a.{q("end")} <= %s))
              AND NOT EXISTS (SELECT 1 FROM {appraisal} x WHERE x.unit_id = p.unit_id AND x.campaign_id = %s)
            """,  # noqa: S608
            [
                settings["phase"],
                today,
                State.RECORDED,
                now,
                now,
                phase,
                campaign.pk,
                every_branch,
                phase,
                today,
                campaign.pk,
            ],
        )
        cursor.execute(
            f"""
            INSERT INTO {rating} (appraisal_id, member_id, grade)
            SELECT x.id, m.id, {grade_case}
            FROM {appraisal} x JOIN {member} m ON m.unit_id = x.unit_id AND m.id %% {ABSENT_EVERY} <> 0
            WHERE x.campaign_id = %s AND x.id > %s
            """,  # noqa: S608
            [*grade_params, campaign.pk, before],
        )
        ratings = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {count} (campaign_id, appraisal_id, path, grade, count)
            SELECT x.campaign_id, r.appraisal_id, x.path, r.grade, COUNT(*)
            FROM {rating} r JOIN {appraisal} x ON x.id = r.appraisal_id
            WHERE x.campaign_id = %s AND x.id > %s
            GROUP BY x.campaign_id, r.appraisal_id, x.path, r.grade
            """,  # noqa: S608
            [campaign.pk, before],
        )
        marks = ", ".join(["%s"] * len(lowest))
        cursor.execute(
            f"""
            UPDATE {appraisal} SET lowest = COALESCE((SELECT SUM(g.count) FROM {count} g
                WHERE g.appraisal_id = {appraisal}.id AND g.grade IN ({marks})), 0)
            WHERE campaign_id = %s AND id > %s
            """,  # noqa: S608
            [*lowest, campaign.pk, before],
        )
        totals.rebuild(campaign.pk)
        new = Appraisal.objects.filter(campaign=campaign, id__gt=before)
        appraisals = new.count()
        followups = _followups(new, lowest, today)
        audit.record(
            actor=None,
            verb=verbs.APPRAISAL_SEED,
            object_type="appraisal.appraisal",
            object_repr=campaign.name[:255],
            unit_id=campaign.root_id,
            unit_path=campaign.path,
            after={"campaign": campaign.pk, "units": appraisals, "count": ratings, "rows": followups},
        )
    db.analyze_postgresql(m._meta.db_table for m in (Appraisal, Rating, GradeCount, AppraisalTotal, FollowUp))
    return {"appraisals": appraisals, "ratings": ratings, "followups": followups}


def _followups(new: Any, lowest: list[str], today: date) -> int:
    """Talks with the first members rated lowest (a few hundred rows); those past their deadline closed."""
    rows = list(
        Rating.objects.filter(appraisal__in=new.values("pk"), grade__in=lowest)
        .select_related("appraisal")
        .order_by("appraisal__meeting_date", "id")[:FOLLOWUPS]
    )
    made = []
    for n, r in enumerate(rows):
        talk_date = min(r.appraisal.meeting_date + timedelta(days=3 + n % 5), today)
        deadline = talk_date + timedelta(days=60)
        closed = deadline < today and n % 3 != 0
        made.append(
            FollowUp(
                rating=r,
                path=r.appraisal.path,
                talk_date=talk_date,
                talk=TALKS[n % len(TALKS)],
                deadline=deadline,
                outcome=OUTCOMES[n % len(OUTCOMES)] if closed else "",
                state=FollowUpState.CLOSED if closed else FollowUpState.OPEN,
                closed_at=timezone.now() if closed else None,
            )
        )
    FollowUp.objects.bulk_create(made, batch_size=500)
    return len(made)
