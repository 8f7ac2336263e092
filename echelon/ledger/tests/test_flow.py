"""The ledger's story through its services: a villager's anonymous opinion becomes a problem of the
village, goes up to the township and on to the county, is fixed there, verified by the level above, ticked
off, and its tracking code shows the public reply."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from echelon.core.errors import Conflict
from echelon.core.models import AuditEvent
from echelon.ledger import selectors, services
from echelon.ledger.models import OpinionStatus, Problem, ProblemStatus, TaskStatus
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(tree):
    return make_campaign(tree.region)


def _problem(personas, tree, **kw):
    fields = {"title": "办事要跑好几趟", "category": "bureaucratism", "source": "public"}
    return services.problem_create(actor=personas["village_secretary"], unit=tree.village, **{**fields, **kw})


def test_opinion_to_problem_up_the_chain_fixed_verified_and_public_reply(tree, personas, campaign):
    opinion = services.opinion_submit_public(
        actor=AnonymousUser(), unit_code=tree.village.code, text="村里低保评定不公开，希望张榜公示。"
    )
    assert len(opinion.tracking_code) == 10 and opinion.campaign_id == campaign.pk
    problem = _problem(personas, tree, opinions=[opinion], item="policies_shrunk", tags=["delivery"])
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.PROBLEM and opinion.problem_id == problem.pk

    up = services.problem_escalate(
        actor=personas["village_secretary"], problem=problem, to_unit=tree.township, reason="需镇里统筹"
    )
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.ESCALATED and problem.pending_path == tree.township.path
    services.escalation_decide(actor=personas["township_operator"], escalation=up, accept=True)
    problem.refresh_from_db()
    assert problem.unit_id == tree.township.pk and problem.origin_unit_id == tree.village.pk
    # the village still sees the problem it raised
    assert selectors.problems_for(personas["village_secretary"]).filter(pk=problem.pk).exists()

    up2 = services.problem_escalate(
        actor=personas["township_operator"], problem=problem, to_unit=tree.county, reason="涉及县级政策"
    )
    services.escalation_decide(actor=personas["county_office"], escalation=up2, accept=True)
    problem.refresh_from_db()
    assert problem.unit_id == tree.county.pk

    task = services.task_add(
        actor=personas["county_office"],
        problem=problem,
        measure="低保名单张榜公示",
        responsible="王主任",
        deadline=date(2014, 6, 30),
    )
    services.task_claim(actor=personas["county_office"], task=task, note="已在各村张榜公示")
    # the county itself cannot tick off its own task; the league office (the level above) can
    with pytest.raises(PermissionDenied):
        services.task_decide(actor=personas["county_office"], task=task, decision="accept", note="")
    services.task_decide(actor=personas["league_office"], task=task, decision="accept", note="核实属实")
    task.refresh_from_db()
    problem.refresh_from_db()
    assert task.status == TaskStatus.VERIFIED and problem.status == ProblemStatus.DONE

    services.opinion_reply(
        actor=personas["village_secretary"], opinion=opinion, reply="已张榜公示，欢迎监督。"
    )
    status = selectors.public_status(opinion.tracking_code.lower())
    assert status is not None
    assert status.status == "resolved" and status.reply == "已张榜公示，欢迎监督。"
    assert not hasattr(status, "contact")
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"opinion.submit", "problem.create", "problem.escalate", "problem.accept", "task.verify"} <= verbs


def test_routing_outside_the_chain_is_refused(tree, personas, campaign):
    problem = _problem(personas, tree)
    with pytest.raises(ValidationError, match="上级组织"):
        services.problem_escalate(
            actor=personas["village_secretary"], problem=problem, to_unit=tree.sibling_county, reason="x"
        )
    with pytest.raises(ValidationError):
        services.problem_escalate(
            actor=personas["village_secretary"], problem=problem, to_unit=tree.community_township, reason="x"
        )
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.OPEN


def test_returned_escalation_comes_back_with_the_reason(tree, personas, campaign):
    problem = _problem(personas, tree)
    up = services.problem_escalate(
        actor=personas["village_secretary"], problem=problem, to_unit=tree.township, reason="能力不足"
    )
    with pytest.raises(ValidationError):
        services.escalation_decide(actor=personas["township_operator"], escalation=up, accept=False)
    services.escalation_decide(
        actor=personas["township_operator"], escalation=up, accept=False, answer="本村可以自行解决"
    )
    problem.refresh_from_db()
    assert problem.unit_id == tree.village.pk and problem.status == ProblemStatus.OPEN
    assert problem.pending_path == ""


def test_verification_only_by_the_level_above_or_the_group(tree, personas, campaign):
    problem = _problem(personas, tree)
    task = services.task_add(
        actor=personas["village_secretary"],
        problem=problem,
        measure="公开办事流程",
        responsible="李书记",
        deadline=date(2014, 6, 1),
    )
    services.task_claim(actor=personas["village_secretary"], task=task, note="已公开")
    for who in ("village_secretary", "township_operator", "outsider", "liaison_leader"):
        with pytest.raises(PermissionDenied):
            services.task_decide(actor=personas[who], task=task, decision="accept", note="")
    assert not AuditEvent.objects.filter(verb="task.verify").exists()
    services.task_decide(
        actor=personas["county_supervisor"],
        task=task,
        decision="defer",
        note="需资金",
        new_deadline=date(2014, 8, 1),
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.DEFERRED and task.deadline == date(2014, 8, 1)


def test_bad_public_input_is_refused_and_nothing_written(tree):
    from echelon.ledger.models import Opinion

    anon = AnonymousUser()
    for code, text, match in (
        ("999999", "一条正常的意见内容", "找不到"),
        (tree.village.code, "短", "太短"),
        (tree.village.code, "长" * 1_000_000, "字"),
    ):
        with pytest.raises(ValidationError, match=match):
            services.opinion_submit_public(actor=anon, unit_code=code, text=text)
    services.opinion_submit_public(
        actor=anon, unit_code=tree.village.code, text="路灯坏了没人修，晚上出行不便"
    )
    with pytest.raises(ValidationError, match="相同内容"):
        services.opinion_submit_public(
            actor=anon, unit_code=tree.village.code, text="路灯坏了 没人修。晚上出行不便！"
        )
    assert Opinion.objects.count() == 1


def test_summary_counts_the_callers_part(tree, personas, campaign):
    _problem(personas, tree)
    _problem(personas, tree, title="会议太多", category="formalism")
    s = selectors.summary(personas["region_office"], tree.region)
    assert s.problem_total == 2 and s.problems["formalism"] == {"open": 1}
    assert selectors.summary(personas["outsider"], tree.region).problem_total == 0
    assert selectors.summary(personas["village_secretary"], tree.region).problem_total == 2


@pytest.mark.django_db(transaction=True)
def test_two_verifiers_at_once_exactly_one_wins(tree, personas, campaign):
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency needs PostgreSQL")
    problem = _problem(personas, tree)
    task = services.task_add(
        actor=personas["village_secretary"],
        problem=problem,
        measure="整改",
        responsible="李",
        deadline=date(2014, 6, 1),
    )
    services.task_claim(actor=personas["village_secretary"], task=task, note="完成")
    results: list[str] = []
    barrier = threading.Barrier(2)

    def decide(who: str) -> None:
        barrier.wait()
        try:
            services.task_decide(actor=personas[who], task=task, decision="accept", note="")
            results.append("won")
        except Conflict:
            results.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(w,)) for w in ("county_office", "league_office")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["lost", "won"]


def test_a_joint_rule_is_seen_by_its_partners(tree, personas, campaign):
    from echelon.ledger.models import Institution

    rule = services.institution_record(
        actor=personas["county_office"],
        unit=tree.county,
        title="县乡两级便民服务联动制度",
        action="made",
        adopted_on=date(2014, 7, 1),
        partners=[tree.township],
    )
    seen = Institution.objects.visible_to(personas["township_operator"])
    assert list(seen) == [rule]
    assert not Institution.objects.visible_to(personas["outsider"]).exists()
    assert not Institution.objects.visible_to(personas["township_operator"], "change").exists()


def test_the_rectification_gate_needs_a_word_on_each_unverified_task(
    tree, personas, campaign, settings, tmp_path
):
    """Submitting the template's gate phase (rectify) with a task not ticked off needs an explanation per
    task; the review stores them and the group sees them on the review page."""
    from django.test import Client

    from echelon.supervision import services as sv
    from echelon.supervision.models import GroupKind
    from echelon.supervision.tests.helpers import group, part, user
    from echelon.supervision.tests.test_gates import _advance_to, _do_missing_actions

    settings.MEDIA_ROOT = tmp_path
    village, secretary = part(campaign, tree.village), personas["village_secretary"]
    instructor = user("instructor")
    g = group(campaign, tree.township, "指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR)
    sv.assign(actor=None, group=g, participation=village)
    rectify = campaign.spec.phase_index(campaign.spec.ledger.gate_phase)
    _advance_to(village, secretary, instructor, rectify, date(2014, 2, 9), go_ahead=True)
    task = services.task_add(
        actor=secretary,
        problem=_problem(personas, tree),
        measure="公开办事流程",
        responsible="李书记",
        deadline=date(2014, 6, 1),
    )
    _do_missing_actions(secretary, village)
    day = date(2014, 7, 20)
    with pytest.raises(ValidationError, match="逐项说明"):
        sv.gate_submit(actor=secretary, participation=village, day=day)
    review = sv.gate_submit(
        actor=secretary, participation=village, day=day, explanations={f"task-{task.pk}": "资金下月到位"}
    )
    assert review.explanations[0]["text"] == "资金下月到位"
    assert "公开办事流程" in review.explanations[0]["label"]
    client = Client()
    client.force_login(instructor)
    page = client.get(f"/supervision/reviews/{review.pk}/").content.decode()
    assert "资金下月到位" in page and "尚未销号" in page
