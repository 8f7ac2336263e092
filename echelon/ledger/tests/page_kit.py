"""The ledger's pages (``ledger:*``) and its public side (``public:*``, ``api:public-*``) for core's access
kit (echelon/core/tests/test_access.py). The objects are the API kit's world (``api_kit.world``).

In test_access.py: ``from echelon.ledger.tests import page_kit``, then
``DECLARED.update(page_kit.declarations(D))`` after ``DECLARED``.

Who is refused a page write (the wrong role at the right place, ADR 11):
- the village's own work (record, triage, problems, tasks, institutions, imports): the county's supervisor,
  the liaison leader and the township's leader, who see the village without changing it (403);
- a verification (销号) or a reopening: the village secretary who claimed, the township operator (an
  operator above it records, never verifies), the liaison leader and the township leader (403);
- an escalation's decision: its sender and who sees the township without changing it (403);
- a hand-over: only the region is in batch one, so the region's own onlookers (a supervisor and a leader
  granted at the region, built here as ``kit_region_*``) may not offer it; only the named receiver may
  accept it, not its sender nor an operator of the receiving league who was not named (403).

The public pages need no login (``public=True, allowed=None``); the public opinion is audited without an
actor (``opinion.submit`` by nobody: ``anonymous=True``).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from echelon.accounts import services as account_services
from echelon.accounts.models import User
from echelon.ledger import throttle
from echelon.ledger.models import Escalation, Evidence, Handover, Institution, Opinion, Problem, Task
from echelon.ledger.tests.api_kit import (
    PDF,
    RECEIVE,
    VERIFY,
    VILLAGE_WORK,
    _built,
    _count,
    _field,
    _pk,
    world,
)

# exporting is refused to who may export nowhere (ADR 11: a supervisor may export, a leader may not)
NO_EXPORT = ("liaison_leader", "township_leader")
# who sees the region's batch-one task without changing it
REGION_ONLOOKERS = ("kit_region_supervisor", "kit_region_leader")
# who may not take over the region's task offered to the league office by name: its sender, and an
# operator of the league (who could change the league's work) who was not named
NOT_THE_RECEIVER = ("region_office", "kit_league_operator")


def _user(c: Any, username: str, attr: str, role: str) -> None:
    """A user granted ``role`` at the tree's unit ``attr`` (once per test)."""
    if User.objects.filter(username=username).exists():
        return
    user = account_services.user_create(actor=None, username=username, password=None, display_name=username)
    account_services.grant_add(actor=None, user=user, unit=getattr(c.tree, attr), role=role)


def _village(c: Any) -> dict[str, str]:
    world(c)
    return {"code": c.tree.village.code}


def _offered(c: Any) -> dict[str, Any]:
    """The region's second task (not yet offered), with the region's onlookers."""
    _user(c, "kit_region_supervisor", "region", "supervisor")
    _user(c, "kit_region_leader", "region", "leader")
    return {"pk": world(c).region_other.pk}


def _handover(c: Any) -> dict[str, Any]:
    """The region's task offered to the league office by name, and a league operator not named."""
    _user(c, "kit_league_operator", "league", "operator")
    return {"pk": world(c).handover.pk}


def _tracking(c: Any) -> dict[str, str]:
    return {"code": world(c).opinion.tracking_code}


def _next_year(month_day: str) -> str:
    return f"{date.today().year + 1}-{month_day}"


def _opinion_new(c: Any) -> dict[str, Any]:
    return {
        "unit": c.tree.village.code,
        "channel": "visit",
        "received_on": "2014-03-05",
        "text": "入户走访时群众反映村卫生室常年关门",
        "contact": "",
    }


def _problem_new(c: Any) -> dict[str, Any]:
    return {
        "unit": c.tree.village.code,
        "opinion": [str(world(c).opinion.pk)],
        "title": "路灯坏了没人修",
        "description": "群众反映路灯坏了三个月",
        "source": "public",
        "category": "bureaucratism",
        "item": "",
        "severity": "general",
        "owner": "李书记",
        "found_on": "2014-03-10",
        "phase": "",
    }


def _problem_edit(c: Any) -> dict[str, Any]:
    return {
        "title": "群众办事要跑好几趟",
        "description": "办事材料多、流程不清",
        "source": "public",
        "category": "bureaucratism",
        "item": "",
        "severity": "serious",
        "owner": "李书记",
    }


def _opinion_file(c: Any) -> dict[str, Any]:
    body = "\ufeff渠道,收到日期,意见内容\n问卷,2014-05-20,希望增加村里的文化活动场所\n".encode()
    return {
        "unit": c.tree.village.code,
        "file": SimpleUploadedFile("意见.csv", body, content_type="text/csv"),
    }


def _institution_new(c: Any) -> dict[str, Any]:
    return {
        "unit": c.tree.village.code,
        "title": "东土城村村务公开制度",
        "action": "made",
        "adopted_on": "2014-07-01",
        "summary": "每月公开一次村务",
        "problems": [str(world(c).problem.pk)],
        "partners": "",
        "document": SimpleUploadedFile("村务公开制度.pdf", PDF, content_type="application/pdf"),
    }


def _public_form(c: Any) -> dict[str, str]:
    """What the unit page's form posts, shown ten seconds ago (the minimum fill time is a few seconds)."""
    code = c.tree.village.code
    return {
        "text": "希望村里多组织文化活动，丰富群众生活。",
        "contact": "",
        "website": "",
        "started": throttle.form_token(code, now=time.time() - 10),
    }


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of the ledger's pages and public routes; ``D`` is the kit's ``Declared``."""
    return {
        # --- reads: the caller's part (the outsider's own, without ours), objects 404 outside the scope
        "ledger:index": D(kwargs=_built, outsider="empty"),
        "ledger:unit": D(kwargs=_village),
        "ledger:opinions": D(kwargs=_built, outsider="empty"),
        "ledger:opinion_new": D(kwargs=_built, outsider="empty"),
        "ledger:opinion": D(kwargs=_pk("opinion")),
        "ledger:problems": D(kwargs=_built, outsider="empty"),
        "ledger:problem_new": D(kwargs=_built, outsider="empty"),
        "ledger:problem": D(kwargs=_pk("problem")),
        "ledger:problem_edit": D(kwargs=_pk("problem")),
        "ledger:evidence": D(kwargs=_pk("evidence")),
        "ledger:escalations": D(kwargs=_built, outsider="empty"),
        "ledger:handovers": D(kwargs=_built, outsider="empty"),
        "ledger:opinion_import": D(kwargs=_built, outsider="empty"),
        "ledger:opinion_template": D(kwargs=_built, outsider="empty"),
        "ledger:exports": D(kwargs=_built, outsider="empty"),
        "ledger:export_unit": D(kwargs=lambda c: {**_village(c), "fmt": "xlsx"}),
        "ledger:export_unit docx": D(kwargs=lambda c: {**_village(c), "fmt": "docx"}),
        "ledger:export_rollup": D(
            kwargs=lambda c: {**_built(c), "code": c.tree.county.code, "fmt": "xlsx"}, allowed="county_office"
        ),
        "ledger:export_rollup docx": D(
            kwargs=lambda c: {**_built(c), "code": c.tree.county.code, "fmt": "docx"}, allowed="county_office"
        ),
        "ledger:export_problems": D(kwargs=_built, outsider="empty"),
        "ledger:institutions": D(kwargs=_built, outsider="empty"),
        "ledger:institution_new": D(kwargs=_built, outsider="empty"),
        "ledger:institution": D(kwargs=_pk("institution")),
        "ledger:institution_document": D(kwargs=_pk("institution")),
        "ledger:special": D(kwargs=_built, outsider="empty"),
        # --- the village's own work
        "ledger:opinion_new POST": D(
            kwargs=_built,
            method="POST",
            data=_opinion_new,
            ok=(302,),
            effect=_count(Opinion),
            verb="opinion.record",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:opinion_reply": D(
            kwargs=_pk("opinion"),
            method="POST",
            data=lambda c: {"reply": "已安排维修，三日内修好。"},
            ok=(302,),
            effect=_field(Opinion, "opinion", "public_reply"),
            verb="opinion.reply",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:opinion_close": D(
            kwargs=_pk("opinion"),
            method="POST",
            data=lambda c: {"reason": "已当面答复"},
            ok=(302,),
            effect=_field(Opinion, "opinion", "status"),
            verb="opinion.close",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:opinion_merge": D(
            kwargs=_pk("duplicate"),
            method="POST",
            data=lambda c: {"into": world(c).opinion.tracking_code},
            ok=(302,),
            effect=_field(Opinion, "duplicate", "status"),
            verb="opinion.merge",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:opinion_import POST": D(
            kwargs=_built,
            method="POST",
            data=_opinion_file,
            effect=_count(Opinion),
            verb="opinion.import",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:problem_new POST": D(
            kwargs=_built,
            method="POST",
            data=_problem_new,
            ok=(302,),
            effect=_count(Problem),
            verb="problem.create",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:problem_edit POST": D(
            kwargs=_pk("problem"),
            method="POST",
            data=_problem_edit,
            ok=(302,),
            effect=_field(Problem, "problem", "title"),
            verb="problem.update",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:task_add": D(
            kwargs=_pk("problem"),
            method="POST",
            data=lambda c: {
                "measure": "设立便民服务窗口",
                "responsible": "王主任",
                "deadline": _next_year("03-31"),
            },
            ok=(302,),
            effect=_count(Task),
            verb="task.create",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:problem_escalate": D(
            kwargs=_pk("problem"),
            method="POST",
            data=lambda c: {"to": c.tree.township.code, "reason": "需镇里统筹"},
            ok=(302,),
            effect=_field(Problem, "problem", "status"),
            verb="problem.escalate",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:task_evidence": D(
            kwargs=_pk("task"),
            method="POST",
            data=lambda c: {"file": SimpleUploadedFile("整改报告.pdf", PDF, content_type="application/pdf")},
            ok=(302,),
            effect=_count(Evidence),
            verb="task.evidence",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:task_claim": D(
            kwargs=_pk("task"),
            method="POST",
            data=lambda c: {"note": "已在村务公开栏公开"},
            ok=(302,),
            effect=_field(Task, "task", "status"),
            verb="task.claim",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "ledger:institution_new POST": D(
            kwargs=_built,
            method="POST",
            data=_institution_new,
            ok=(302,),
            effect=_count(Institution),
            verb="institution.record",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        # --- verification (销号) by the county office, a level above the village
        "ledger:task_decide": D(
            kwargs=_pk("claimed"),
            allowed="county_office",
            method="POST",
            data=lambda c: {"decision": "accept", "note": "核实属实", "new_deadline": ""},
            ok=(302,),
            effect=_field(Task, "claimed", "status"),
            verb="task.verify",
            refused=VERIFY,
            refusal=(403,),
        ),
        "ledger:task_reopen": D(
            kwargs=_pk("verified"),
            allowed="county_office",
            method="POST",
            data=lambda c: {"reason": "问题反弹"},
            ok=(302,),
            effect=_field(Task, "verified", "status"),
            verb="task.reopen",
            refused=VERIFY,
            refusal=(403,),
        ),
        # --- the township's answer to the village's escalation
        "ledger:escalation_decide": D(
            kwargs=_pk("escalation"),
            allowed="township_operator",
            method="POST",
            data=lambda c: {"decision": "accept", "answer": "镇里统筹解决"},
            ok=(302,),
            effect=_field(Escalation, "escalation", "state"),
            verb="problem.accept",
            refused=RECEIVE,
            refusal=(403,),
        ),
        # --- hand-over of the region's batch-one task to the league (batch two)
        "ledger:handover_offer": D(
            kwargs=_offered,
            allowed="region_office",
            method="POST",
            data=lambda c: {"to": c.tree.league.code, "receiver": "league_office", "note": "请承接"},
            ok=(302,),
            effect=_count(Handover),
            verb="handover.offer",
            refused=REGION_ONLOOKERS,
            refusal=(403,),
        ),
        "ledger:handover_accept": D(
            kwargs=_handover,
            allowed="league_office",
            method="POST",
            data=lambda c: {"deadline": ""},
            ok=(302,),
            effect=_field(Handover, "handover", "state"),
            verb="handover.accept",
            refused=NOT_THE_RECEIVER,
            refusal=(403,),
        ),
        # --- the problem list as Excel: a few rows come at once, for a POST as for a GET
        "ledger:export_problems POST": D(
            kwargs=_built,
            method="POST",
            outsider="empty",
            no_effect=(
                "up to ledger.exports.SYNC_PROBLEMS problems the POST answers the file at once, as the GET "
                "does (a bigger list submits a background job: not reached with the kit's few rows)"
            ),
            refused=NO_EXPORT,
            refusal=(403,),
        ),
        # --- the public side: no login
        "public:unit": D(kwargs=_village, allowed=None, public=True),
        "public:unit POST": D(
            kwargs=_village,
            allowed=None,
            public=True,
            method="POST",
            data=_public_form,
            ok=(302,),
            effect=_count(Opinion),
            verb="opinion.submit",
            anonymous=True,
        ),
        "public:poster": D(kwargs=_village, allowed=None, public=True),
        "public:receipt": D(kwargs=_tracking, allowed=None, public=True),
        "public:track_form": D(allowed=None, public=True),
        "public:track": D(kwargs=_tracking, allowed=None, public=True),
        "api:public-opinions POST": D(
            kwargs=_built,
            allowed=None,
            public=True,
            method="POST",
            data=lambda c: {"unit": c.tree.village.code, "text": "希望村里多组织文化活动，丰富群众生活。"},
            ok=(201,),
            effect=_count(Opinion),
            verb="opinion.submit",
            anonymous=True,
        ),
        "api:public-opinion": D(
            kwargs=lambda c: {"tracking_code": world(c).opinion.tracking_code}, allowed=None, public=True
        ),
    }
