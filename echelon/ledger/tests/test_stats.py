"""`echelon stats` gains the ledger's totals through core's registry (core names no app, ADR 13)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from echelon.core import stats
from echelon.ledger import services
from echelon.supervision.tests.helpers import make_campaign


def _stats(*args: str) -> str:
    out = io.StringIO()
    call_command("stats", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_stats_json_has_opinion_problem_and_task_totals(tree, personas):
    make_campaign(tree.region)
    empty = json.loads(_stats("--json"))
    assert (empty["opinions"], empty["problems"], empty["tasks"], empty["tasks_overdue"]) == (0, 0, 0, 0)
    assert empty["total_units"] == len(tree.units)  # the registry's figures are still there

    secretary = personas["village_secretary"]
    first = services.opinion_record(actor=secretary, unit=tree.village, text="路灯坏了没人修", channel="box")
    services.opinion_record(actor=secretary, unit=tree.village, text="希望多开党员大会", channel="forum")
    problem = services.problem_create(
        actor=secretary,
        unit=tree.village,
        title="路灯",
        category="bureaucratism",
        source="public",
        opinions=[first],
    )
    services.task_add(
        actor=secretary, problem=problem, measure="修路灯", responsible="李", deadline=date(2014, 6, 1)
    )
    data = json.loads(_stats("--json"))
    assert (data["opinions"], data["problems"], data["tasks"], data["tasks_overdue"]) == (2, 1, 1, 1)
    assert data["opinions_by_status"] == {"new": 1, "problem": 1, "replied": 0, "merged": 0, "closed": 0}
    assert data["problems_by_status"] == {"open": 1, "escalated": 0, "done": 0}
    assert data["tasks_by_status"] == {"open": 1, "claimed": 0, "verified": 0, "deferred": 0}

    text = _stats()
    assert "组织总数" in text
    assert "意见 2（待处理 1，已转为问题 1，已答复 0，已合并 0，已关闭 0）" in text
    assert "问题 1（" in text and "整改任务 1（" in text and "逾期整改任务 1" in text


def test_registry_merges_sources_in_order_and_refuses_a_repeated_key():
    try:
        stats.register("zz_test_b", lambda: {"b": 2}, order=2, text=lambda d: [f"b={d['b']}"])
        stats.register("zz_test_a", lambda: {"a": 1}, order=1)
        names = [s.name for s in stats.sources()]
        assert names.index("zz_test_a") < names.index("zz_test_b")
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(
                stats, "_sources", {k: v for k, v in stats._sources.items() if k.startswith("zz_test")}
            )
            assert stats.collect() == {"a": 1, "b": 2}
            assert stats.text_lines({"a": 1, "b": 2}) == ["b=2"]
            stats.register("zz_test_c", lambda: {"a": 3})
            with pytest.raises(ValueError, match="repeats"):
                stats.collect()
    finally:
        for name in ("zz_test_a", "zz_test_b", "zz_test_c"):
            stats.unregister(name)
    assert "ledger" in {s.name for s in stats.sources()}  # registered in LedgerConfig.ready()
