"""The appraisal's subtree totals (``AppraisalTotal``): per unit and campaign, the recorded appraisals of
its whole subtree, the members they rated and the count per grade, so a region's summary reads a handful
of rows per league instead of summing every branch's counts (ADR 17).

``add`` moves the totals of every ancestor of a finalised appraisal in the same transaction (a recorded
appraisal never changes again); ``rebuild`` recomputes a campaign's totals from the appraisals after a bulk
load (the demo). ``test_totals.py`` checks that the totals kept by the services equal a rebuild.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import Length

from echelon.appraisal.models import Appraisal, AppraisalTotal, GradeCount, State
from echelon.core.tree import SEGMENT_WIDTH, ancestor_paths, depth_of

RECORDED, RATED, GRADE = "recorded", "rated", "grade:"


def add(appraisal: Appraisal, counts: Mapping[str, int]) -> None:
    """A finalised appraisal joins the totals of its unit and every unit above it."""
    figures = {RECORDED: 1, RATED: sum(counts.values())} | {GRADE + g: n for g, n in counts.items() if n}
    rows = [
        (appraisal.campaign_id, path, depth_of(path), key, n)
        for path in ancestor_paths(appraisal.path)
        for key, n in figures.items()
    ]
    table, key = AppraisalTotal._meta.db_table, connection.ops.quote_name("key")
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (campaign_id, path, depth, {key}, count) VALUES (%s, %s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (campaign_id, path, {key}) DO UPDATE SET count = {table}.count + excluded.count",
            rows,
        )


def rebuild(campaign_id: int) -> int:
    """Recompute the campaign's totals from its recorded appraisals and their counts, set-based (one
    statement per depth and figure). Returns the rows written."""
    total = AppraisalTotal._meta.db_table
    appraisal, grades = Appraisal._meta.db_table, GradeCount._meta.db_table
    key = connection.ops.quote_name("key")
    longest = Appraisal.objects.filter(campaign_id=campaign_id).aggregate(n=Max(Length("path")))["n"]
    deepest = int(longest or 0) // SEGMENT_WIDTH
    with transaction.atomic(), connection.cursor() as cursor:
        AppraisalTotal.objects.filter(campaign_id=campaign_id).delete()
        for depth in range(1, deepest + 1):
            width = depth * SEGMENT_WIDTH
            for figure, value in ((RECORDED, "COUNT(*)"), (RATED, "SUM(a.rated)")):
                cursor.execute(
                    f"INSERT INTO {total} (campaign_id, path, depth, {key}, count) "  # noqa: S608
                    f"SELECT a.campaign_id, SUBSTR(a.path, 1, {width}), {depth}, %s, {value} "
                    f"FROM {appraisal} a "
                    f"WHERE a.campaign_id = %s AND a.state = %s AND LENGTH(a.path) >= {width} "
                    f"GROUP BY a.campaign_id, SUBSTR(a.path, 1, {width})",
                    [figure, campaign_id, State.RECORDED],
                )
            cursor.execute(
                f"INSERT INTO {total} (campaign_id, path, depth, {key}, count) "  # noqa: S608
                f"SELECT g.campaign_id, SUBSTR(g.path, 1, {width}), {depth}, %s || g.grade, SUM(g.count) "
                f"FROM {grades} g WHERE g.campaign_id = %s AND LENGTH(g.path) >= {width} AND g.count > 0 "
                f"GROUP BY g.campaign_id, SUBSTR(g.path, 1, {width}), g.grade",
                [GRADE, campaign_id],
            )
    return AppraisalTotal.objects.filter(campaign_id=campaign_id).count()
