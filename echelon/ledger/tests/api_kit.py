"""The ledger API's routes for core's access kit (echelon/core/tests/test_access.py): the objects they act
on, built once per test through the services, and their declarations.

In test_access.py: ``from echelon.ledger.tests import api_kit``, then
``DECLARED.update(api_kit.declarations(D))`` after ``DECLARED``.

Every write is refused (403) to the personas who look at the village without changing it (its county's
supervisor, the liaison leader, the township's leader); a verification to the unit's own operators and to
those who may not verify; an escalation's decision to the sender; a hand-over to anyone but its receiver.
"""

from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from echelon.campaigns.models import Campaign
from echelon.ledger import services
from echelon.ledger.models import Escalation, Evidence, Handover, Institution, Opinion, Problem, Task
from echelon.supervision.tests.helpers import make_campaign

# the village's work, seen but not changed by: its county's supervisor, the liaison leader (county), the
# township's leader
VILLAGE_WORK = ("county_supervisor", "liaison_leader", "township_leader")
# a verification (销号) of the village's task: its own operator (who claimed it), the operator above it,
# and people who may not verify at all
VERIFY = ("village_secretary", "township_operator", "liaison_leader", "township_leader")
# the township's answer to the village's escalation: the sender, and who sees the township without
# changing it
RECEIVE = ("village_secretary", "county_supervisor", "liaison_leader", "township_leader")
PDF = b"%PDF-1.4\n% kit evidence\n"


def world(ctx: Any) -> SimpleNamespace:
    """The ledger's objects for one test (cached on the kit's context)."""
    cached = getattr(ctx, "_ledger_api", None)
    if cached is not None:
        return cached
    tree, p = ctx.tree, ctx.personas
    secretary, office = p["village_secretary"], p["county_office"]
    campaign = Campaign.objects.filter(root=tree.region).first() or make_campaign(tree.region)
    w = SimpleNamespace(campaign=campaign)
    w.opinion = services.opinion_record(
        actor=secretary, unit=tree.village, text="村里路灯坏了没人修", channel="box"
    )
    w.duplicate = services.opinion_record(
        actor=secretary, unit=tree.village, text="村口路灯一直不亮", channel="visit"
    )

    def problem(actor: Any, unit: Any, title: str) -> Problem:
        return services.problem_create(
            actor=actor, unit=unit, title=title, category="bureaucratism", source="public"
        )

    def task(actor: Any, problem: Problem, measure: str) -> Task:
        deadline = date(date.today().year + 1, 6, 30)
        return services.task_add(
            actor=actor, problem=problem, measure=measure, responsible="李书记", deadline=deadline
        )

    w.problem = problem(secretary, tree.village, "办事要跑好几趟")
    w.task = task(secretary, w.problem, "公开办事流程")
    w.evidence = services.evidence_upload(  # the evidence download page's file
        actor=secretary, task=w.task, fileobj=io.BytesIO(PDF), name="办事流程公开照片.pdf"
    )
    w.claimed = task(secretary, w.problem, "精简材料")
    services.task_claim(actor=secretary, task=w.claimed, note="已精简")
    w.verified = task(secretary, w.problem, "一次告知")
    services.task_claim(actor=secretary, task=w.verified, note="已一次告知")
    services.task_decide(actor=office, task=w.verified, decision="accept", note="属实")
    w.raised = problem(secretary, tree.village, "道路年久失修")
    w.escalation = services.problem_escalate(
        actor=secretary, problem=w.raised, to_unit=tree.township, reason="需镇里统筹资金"
    )
    region = p["region_office"]
    w.region_problem = problem(region, tree.region, "审批环节多")
    w.region_task = task(region, w.region_problem, "精简审批")
    w.region_other = task(region, w.region_problem, "下放审批权限")
    w.handover = services.handover_offer(
        actor=region, task=w.region_task, to_unit=tree.league, receiver=p["league_office"], note="请承接"
    )
    w.institution = services.institution_record(
        actor=secretary,
        unit=tree.village,
        title="东土城村便民服务制度",
        action="made",
        adopted_on=date(2014, 7, 1),
        problems=[w.problem],
        fileobj=io.BytesIO(PDF),  # the institution document page's file
        name="便民服务制度.pdf",
    )
    ctx._ledger_api = w
    return w


def _built(c: Any) -> dict[str, Any]:
    """No URL kwargs; the objects exist (a list must show the outsider none of them)."""
    world(c)
    return {}


def _pk(attr: str) -> Any:
    return lambda c: {"pk": getattr(world(c), attr).pk}


def _field(model: type, attr: str, field: str) -> Any:
    def read(c: Any) -> Any:
        rows = model._default_manager.filter(pk=getattr(world(c), attr).pk)  # type: ignore[attr-defined]
        return rows.values_list(field, flat=True).first()

    return read


def _count(model: type) -> Any:
    def count(c: Any) -> int:
        world(c)
        return int(model._default_manager.count())  # type: ignore[attr-defined]

    return count


def _village(c: Any) -> str:
    return str(c.tree.village.code)


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of the ledger API's routes; ``D`` is the kit's ``Declared``."""
    village = _village
    return {
        # reads: lists are the caller's part (empty for the outsider), objects 404 outside the scope
        "api:ledger-summary": D(kwargs=_built, outsider="empty"),
        "api:ledger-opinion-list": D(kwargs=_built, outsider="empty"),
        "api:ledger-opinion-detail": D(kwargs=_pk("opinion")),
        "api:ledger-problem-list": D(kwargs=_built, outsider="empty"),
        "api:ledger-problem-detail": D(kwargs=_pk("problem")),
        "api:ledger-problem-targets": D(kwargs=_pk("problem")),
        "api:ledger-task-list": D(kwargs=_built, outsider="empty"),
        "api:ledger-task-detail": D(kwargs=_pk("task")),
        "api:ledger-escalation-list": D(kwargs=_built, outsider="empty"),
        "api:ledger-escalation-detail": D(kwargs=_pk("escalation")),
        "api:ledger-handover-list": D(kwargs=_built, outsider="empty"),
        "api:ledger-handover-detail": D(kwargs=_pk("handover"), allowed="league_office"),
        "api:ledger-institution-list": D(kwargs=_built, outsider="empty"),
        "api:ledger-institution-detail": D(kwargs=_pk("institution")),
        # writes
        "api:ledger-opinion-list POST": D(
            method="POST",
            data=lambda c: {"unit": village(c), "text": "希望村务公开更及时", "channel": "forum"},
            ok=(201,),
            effect=_count(Opinion),
            verb="opinion.record",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-opinion-reply POST": D(
            kwargs=_pk("opinion"),
            method="POST",
            data=lambda c: {"reply": "已安排维修，三日内修好。"},
            effect=_field(Opinion, "opinion", "public_reply"),
            verb="opinion.reply",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-opinion-close POST": D(
            kwargs=_pk("opinion"),
            method="POST",
            data=lambda c: {"reason": "已当面答复"},
            effect=_field(Opinion, "opinion", "status"),
            verb="opinion.close",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-opinion-merge POST": D(
            kwargs=_pk("duplicate"),
            method="POST",
            data=lambda c: {"into": world(c).opinion.tracking_code},
            effect=_field(Opinion, "duplicate", "status"),
            verb="opinion.merge",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-problem-list POST": D(
            method="POST",
            data=lambda c: {
                "unit": village(c),
                "title": "会议太多",
                "category": "formalism",
                "source": "self",
                "opinions": [world(c).opinion.tracking_code],
            },
            ok=(201,),
            effect=_count(Problem),
            verb="problem.create",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-problem-detail PATCH": D(
            kwargs=_pk("problem"),
            method="PATCH",
            data=lambda c: {"title": "群众办事跑多趟", "severity": "serious"},
            effect=_field(Problem, "problem", "title"),
            verb="problem.update",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-problem-escalate POST": D(
            kwargs=_pk("problem"),
            method="POST",
            data=lambda c: {"to": c.tree.township.code, "reason": "需镇里统筹"},
            ok=(201,),
            effect=_field(Problem, "problem", "status"),
            verb="problem.escalate",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-escalation-decide POST": D(
            kwargs=_pk("escalation"),
            allowed="township_operator",
            method="POST",
            data=lambda c: {"accept": True, "answer": "镇里统筹解决"},
            effect=_field(Escalation, "escalation", "state"),
            verb="problem.accept",
            refused=RECEIVE,
            refusal=(403,),
        ),
        "api:ledger-task-list POST": D(
            method="POST",
            data=lambda c: {
                "problem": world(c).problem.pk,
                "measure": "设立便民服务窗口",
                "responsible": "王主任",
                "deadline": f"{date.today().year + 1}-03-31",
            },
            ok=(201,),
            effect=_count(Task),
            verb="task.create",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-task-claim POST": D(
            kwargs=_pk("task"),
            method="POST",
            data=lambda c: {"note": "已在村务公开栏公开"},
            effect=_field(Task, "task", "status"),
            verb="task.claim",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-task-evidence POST": D(
            kwargs=_pk("task"),
            method="POST",
            multipart=True,
            data=lambda c: {"file": SimpleUploadedFile("整改报告.pdf", PDF, content_type="application/pdf")},
            ok=(201,),
            effect=_count(Evidence),
            verb="task.evidence",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-task-decide POST": D(
            kwargs=_pk("claimed"),
            allowed="county_office",
            method="POST",
            data=lambda c: {"decision": "accept", "note": "核实属实"},
            effect=_field(Task, "claimed", "status"),
            verb="task.verify",
            refused=VERIFY,
            refusal=(403,),
        ),
        "api:ledger-task-reopen POST": D(
            kwargs=_pk("verified"),
            allowed="county_office",
            method="POST",
            data=lambda c: {"reason": "问题反弹"},
            effect=_field(Task, "verified", "status"),
            verb="task.reopen",
            refused=VERIFY,
            refusal=(403,),
        ),
        "api:ledger-handover-list POST": D(
            allowed="region_office",
            method="POST",
            data=lambda c: {
                "task": world(c).region_other.pk,
                "to_unit": c.tree.league.code,
                "receiver": "league_office",
                "note": "请承接",
            },
            ok=(201,),
            effect=_count(Handover),
            verb="handover.offer",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:ledger-handover-accept POST": D(
            kwargs=_pk("handover"),
            allowed="league_office",
            method="POST",
            data=lambda c: {},
            effect=_field(Handover, "handover", "state"),
            verb="handover.accept",
            refused=("region_office",),
            refusal=(403,),
        ),
        "api:ledger-institution-list POST": D(
            method="POST",
            data=lambda c: {
                "unit": village(c),
                "title": "东土城村议事规则",
                "action": "made",
                "adopted_on": "2014-07-01",
                "problems": [world(c).problem.pk],
            },
            ok=(201,),
            effect=_count(Institution),
            verb="institution.record",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
    }
