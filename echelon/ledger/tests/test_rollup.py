"""The rollup counters kept by the services equal a rebuild from the rows, after every kind of write."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser

from echelon.ledger import rollup, selectors, services
from echelon.ledger.models import LedgerCount
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db


def _counters() -> set[tuple[str, str, str, str, int]]:
    return {(c.path, c.kind, c.category, c.status, c.n) for c in LedgerCount.objects.filter(n__gt=0)}


def test_counters_follow_every_write_and_equal_a_rebuild(tree, personas):
    make_campaign(tree.region)
    p = personas
    opinion = services.opinion_submit_public(
        actor=AnonymousUser(), unit_code=tree.village.code, text="村里的水井坏了很久没人管"
    )
    other = services.opinion_record(
        actor=p["village_secretary"], unit=tree.village, text="希望公开村务账目明细", channel="forum"
    )
    services.opinion_close(actor=p["village_secretary"], opinion=other, reason="已当面解释")
    problem = services.problem_create(
        actor=p["village_secretary"],
        unit=tree.village,
        title="水井失修",
        category="formalism",
        source="public",
        opinions=[opinion],
    )
    task = services.task_add(
        actor=p["village_secretary"],
        problem=problem,
        measure="修井",
        responsible="李",
        deadline=date(2014, 5, 1),
    )
    services.problem_update(actor=p["village_secretary"], problem=problem, category="bureaucratism")
    services.task_claim(actor=p["village_secretary"], task=task, note="修好了")
    services.task_decide(actor=p["county_supervisor"], task=task, decision="accept", note="")
    services.task_reopen(actor=p["county_supervisor"], task=task, reason="又坏了")
    second = services.problem_create(
        actor=p["village_secretary"], unit=tree.village, title="道路失修", category="formalism", source="self"
    )
    up = services.problem_escalate(
        actor=p["village_secretary"], problem=second, to_unit=tree.township, reason="钱"
    )
    services.escalation_decide(actor=p["township_operator"], escalation=up, accept=True)
    kept = _counters()
    rollup.rebuild()
    assert kept == _counters()
    region = selectors.summary(p["region_office"], tree.region, today=date(2014, 6, 1))
    assert region.problem_total == 2 and region.task_status == {"open": 1} and region.overdue == 1
    assert region.problems["bureaucratism"] == {"open": 1}
    assert region.opinions == {"problem": 1, "closed": 1}
    township = selectors.summary(p["township_operator"], tree.township)
    assert township.problem_total == 2  # the village's own and the one it sent up, now the township's
    village = selectors.summary(p["village_secretary"], tree.region)
    assert village.problem_total == 1  # the caller's part: the village only


def test_the_rows_per_child_from_the_counters_equal_the_rows(tree, personas):
    from collections import Counter

    from echelon.core.tree import subtree_q
    from echelon.ledger.models import Problem
    from echelon.ledger.views.overview import child_rows

    make_campaign(tree.region)
    p = personas
    for unit, who in ((tree.village, "village_secretary"), (tree.township, "township_operator")):
        services.problem_create(actor=p[who], unit=unit, title="问题", category="formalism", source="self")
    services.problem_create(
        actor=p["county_office"], unit=tree.county, title="县本级", category="hedonism", source="self"
    )
    services.opinion_record(actor=p["county_office"], unit=tree.county, text="县里的意见一条", channel="box")
    rows = child_rows(p["region_office"], tree.county)
    got = {(r.unit.code if r.unit else "本级"): (r.status, r.opinions) for r in rows if r.total or r.opinions}
    expected = {}
    for child in tree.county.children.all():
        counts = Counter(
            Problem.objects.filter(subtree_q("path", [child.path])).values_list("status", flat=True)
        )
        if counts:
            expected[child.code] = (dict(counts), 0)
    expected["本级"] = ({"open": 1}, 1)
    assert got == expected
