"""The ledger's staff API: every endpoint for the allowed and the refused personas (outside the scope 404,
the wrong role 403), the audit verb each write leaves, bad input refused in Chinese with nothing written,
409 for a decision already made, the summary at once after a village writes, and the schema."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from echelon.core.models import AuditEvent
from echelon.ledger import services
from echelon.ledger.api import views as api_views
from echelon.ledger.models import (
    Escalation,
    Evidence,
    Handover,
    Institution,
    Opinion,
    OpinionStatus,
    Problem,
    ProblemStatus,
    Task,
    TaskStatus,
)
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

API = "/api/v1/ledger"
PDF = b"%PDF-1.4\n% ledger evidence\n"


@pytest.fixture
def campaign(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return make_campaign(tree.region)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def get(user, url, **params):
    return client_for(user).get(url, params)


def post(user, url, data):
    return client_for(user).post(url, json.dumps(data, default=str), content_type="application/json")


def patch(user, url, data):
    return client_for(user).patch(url, json.dumps(data, default=str), content_type="application/json")


def verbs() -> list[str]:
    """The audit trail's verbs, oldest first, without the logins of the test clients."""
    events = AuditEvent.objects.exclude(verb="user.login").order_by("id")
    return list(events.values_list("verb", flat=True))


def detail(response) -> str:
    """Every refusal message of a 4xx answer, joined (field errors and `detail`)."""
    body = response.json()
    if isinstance(body.get("detail"), str):
        return body["detail"]
    return " ".join(
        str(m) for messages in body.values() for m in (messages if isinstance(messages, list) else [messages])
    )


def make_problem(personas, tree, **kw) -> Problem:
    fields = {"title": "办事要跑好几趟", "category": "bureaucratism", "source": "public", **kw}
    actor = fields.pop("actor", personas["village_secretary"])
    unit = fields.pop("unit", tree.village)
    return services.problem_create(actor=actor, unit=unit, **fields)


def make_task(personas, problem, actor="village_secretary", **kw) -> Task:
    fields = {"measure": "公开办事流程", "responsible": "李书记", "deadline": date(2014, 6, 30), **kw}
    return services.task_add(actor=personas[actor], problem=problem, **fields)


# ---------------------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------------------


def test_summary_shows_a_village_write_at_once_in_the_region(tree, personas, campaign):
    assert reverse("api:ledger-summary") == f"{API}/summary/"
    region = personas["region_office"]
    before = get(region, f"{API}/summary/", under=tree.region.code)
    assert before.status_code == 200, before.content
    assert before.json()["problems"]["total"] == 0 and before.json()["under"]["code"] == tree.region.code

    r = post(
        personas["village_secretary"],
        f"{API}/problems/",
        {"unit": tree.village.code, "title": "会议太多", "category": "formalism", "source": "self"},
    )
    assert r.status_code == 201, r.content
    problem = Problem.objects.get(pk=r.json()["id"])
    make_task(personas, problem)

    body = get(region, f"{API}/summary/", under=tree.region.code).json()
    assert body["problems"]["total"] == 1
    assert body["problems"]["by_category"] == {"formalism": {"open": 1}}
    assert body["problems"]["by_status"] == {"open": 1}
    assert body["tasks"]["total"] == 1 and body["tasks"]["by_status"] == {"open": 1}
    assert body["tasks"]["overdue"] == 1  # 2014-06-30 has passed
    assert set(body) == {"under", "problems", "tasks", "opinions"}

    # no `under`: the caller's top unit
    own = get(personas["county_office"], f"{API}/summary/").json()
    assert own["under"]["code"] == tree.county.code and own["problems"]["total"] == 1
    # a unit above the caller's grants: only the caller's part of it
    assert (
        get(personas["outsider"], f"{API}/summary/", under=tree.region.code).json()["problems"]["total"] == 0
    )
    village_part = get(personas["village_secretary"], f"{API}/summary/", under=tree.region.code).json()
    assert village_part["under"]["code"] == tree.region.code and village_part["problems"]["total"] == 1


def test_summary_refuses_unknown_and_foreign_units(tree, personas, campaign):
    for who, code in (
        ("outsider", tree.county.code),
        ("county_office", "no-such-code"),
        ("village_secretary", tree.sibling_county.code),
    ):
        r = get(personas[who], f"{API}/summary/", under=code)
        assert r.status_code == 404 and r.json() == {"detail": "未找到。"}, (who, code)
    assert Client().get(f"{API}/summary/").status_code in (401, 403)


# ---------------------------------------------------------------------------------------------------------
# Opinions
# ---------------------------------------------------------------------------------------------------------


def _opinion(**kw):
    return {
        "unit": "150125100201",
        "text": "村里低保评定不公开，希望张榜公示。",
        "channel": "forum",
        "contact": "13800000000",
        **kw,
    }


def test_opinion_intake_contact_and_refusals(tree, personas, campaign):
    office = personas["county_office"]
    r = post(office, f"{API}/opinions/", _opinion(received_on="2014-03-01"))
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["channel"] == "forum" and body["contact"] == "13800000000" and len(body["tracking_code"]) == 10
    )
    assert body["unit_code"] == tree.village.code and body["status"] == "new"
    assert verbs()[-1] == "opinion.record"
    url = f"{API}/opinions/{body['id']}/"
    # the contact is for who may change the receiving unit only
    assert get(personas["village_secretary"], url).json()["contact"] == "13800000000"
    assert get(personas["county_supervisor"], url).json()["contact"] is None
    assert get(personas["liaison_leader"], url).json()["contact"] is None
    listed = get(personas["county_supervisor"], f"{API}/opinions/").json()
    assert listed["count"] == 1 and listed["results"][0]["contact"] is None and listed["count_exact"] is True
    assert get(personas["outsider"], url).status_code == 404

    events = len(verbs())
    # the wrong role: a leader may see, not record
    r = post(personas["liaison_leader"], f"{API}/opinions/", _opinion(text="另一条意见内容比较长"))
    assert r.status_code == 403 and "联络员" in r.json()["detail"]
    # a supervisor sees the village but records nothing there
    r = post(personas["county_supervisor"], f"{API}/opinions/", _opinion(text="另一条意见内容比较长"))
    assert r.status_code == 403
    # an unknown unit, a unit outside the scope, a bad channel, a 1 MB text, a duplicate
    for data, field, message in (
        (_opinion(unit="999999"), "unit", "找不到组织"),
        (_opinion(unit=tree.sibling_village.code, text="别人的村子的意见"), "unit", "找不到组织"),
        (_opinion(channel="telepathy", text="第三条意见内容"), "channel", ""),
        (_opinion(text="长" * 1_000_000), "text", "2000"),
        (_opinion(text="村里低保评定不公开 希望张榜公示"), "detail", "相同内容"),
        (_opinion(received_on="1999-01-01", text="很久以前的意见内容"), "detail", "不在活动的时间范围内"),
    ):
        r = post(office, f"{API}/opinions/", data)
        assert r.status_code == 400 and field in r.json(), (field, r.content[:300])
        assert message in detail(r) and not detail(r).isascii()
    assert Opinion.objects.count() == 1 and len(verbs()) == events

    # text is stored and returned as text, never interpreted
    script = '<script>alert(1)</script><img src=x onerror="alert(2)">群众意见'
    r = post(office, f"{API}/opinions/", _opinion(text=script))
    assert r.status_code == 201 and r["Content-Type"].startswith("application/json")
    assert r.json()["text"] == script and Opinion.objects.get(pk=r.json()["id"]).text == script


def test_opinion_triage_reply_close_merge(tree, personas, campaign):
    secretary = personas["village_secretary"]
    first = services.opinion_record(actor=secretary, unit=tree.village, text="路灯坏了没人修", channel="box")
    second = services.opinion_record(
        actor=secretary, unit=tree.village, text="村口路灯一直不亮", channel="visit"
    )
    third = services.opinion_record(
        actor=secretary, unit=tree.village, text="希望多开党员大会", channel="forum"
    )

    r = post(personas["county_supervisor"], f"{API}/opinions/{first.pk}/reply/", {"reply": "已安排维修"})
    assert r.status_code == 403
    assert post(personas["outsider"], f"{API}/opinions/{first.pk}/reply/", {"reply": "x"}).status_code == 404
    assert post(secretary, f"{API}/opinions/{first.pk}/reply/", {"reply": ""}).status_code == 400
    r = post(secretary, f"{API}/opinions/{first.pk}/reply/", {"reply": "已安排维修"})
    assert (
        r.status_code == 200 and r.json()["status"] == "replied" and r.json()["public_reply"] == "已安排维修"
    )
    assert verbs()[-1] == "opinion.reply"

    r = post(secretary, f"{API}/opinions/{second.pk}/merge/", {"into": first.tracking_code.lower()})
    assert r.status_code == 200 and r.json()["status"] == "merged" and r.json()["merged_into"] == first.pk
    assert verbs()[-1] == "opinion.merge"
    for into in ("NOSUCHCODE", "9" * 20, "²³"):
        r = post(secretary, f"{API}/opinions/{third.pk}/merge/", {"into": into})
        assert r.status_code == 400 and "into" in r.json(), into

    r = post(secretary, f"{API}/opinions/{third.pk}/close/", {"reason": "已在党员大会上说明"})
    assert r.status_code == 200 and r.json()["status"] == "closed" and verbs()[-1] == "opinion.close"
    r = post(secretary, f"{API}/opinions/{third.pk}/close/", {"reason": "再关一次"})
    assert r.status_code == 400 and "只有待处理或已答复" in detail(r)

    listed = get(personas["county_office"], f"{API}/opinions/", status="merged").json()
    assert [o["id"] for o in listed["results"]] == [second.pk]
    assert get(secretary, f"{API}/opinions/", channel="forum").json()["count"] == 1
    assert get(secretary, f"{API}/opinions/", under=tree.village.code).json()["count"] == 3
    assert get(secretary, f"{API}/opinions/", under=tree.sibling_village.code).status_code == 404
    r = get(secretary, f"{API}/opinions/", status="bogus")
    assert r.status_code == 400 and not detail(r).isascii()


# ---------------------------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------------------------


def test_problem_create_from_opinions_and_bad_input(tree, personas, campaign):
    secretary = personas["village_secretary"]
    opinion = services.opinion_record(
        actor=secretary, unit=tree.village, text="低保评定不公开", channel="box"
    )
    data = {
        "unit": tree.village.code,
        "title": "低保评定不公开",
        "category": "bureaucratism",
        "source": "public",
        "item": "policies_shrunk",
        "tags": ["delivery"],
        "phase": "rectify",
        "opinions": [opinion.tracking_code],
    }
    events = len(verbs())
    for bad, field, message in (
        ({"category": "laziness"}, "detail", "类别"),
        ({"unit": "999999"}, "unit", "找不到组织"),
        ({"unit": tree.sibling_village.code}, "unit", "找不到组织"),
        ({"opinions": ["NOSUCHCODE"]}, "opinions", "找不到这些意见"),
        ({"phase": "nap"}, "phase", "环节"),
        ({"title": "题" * 101}, "title", "100"),
        ({"description": "长" * 1_000_000}, "description", "2000"),
    ):
        r = post(secretary, f"{API}/problems/", {**data, **bad})
        assert r.status_code == 400 and field in r.json(), (bad, r.content[:300])
        assert message in detail(r)
    assert not Problem.objects.exists() and len(verbs()) == events
    assert Opinion.objects.get(pk=opinion.pk).status == OpinionStatus.NEW
    assert post(personas["county_supervisor"], f"{API}/problems/", data).status_code == 403
    assert post(personas["liaison_leader"], f"{API}/problems/", data).status_code == 403

    r = post(secretary, f"{API}/problems/", data)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("W") and body["phase"] == "rectify" and body["tags"] == ["delivery"]
    assert body["names"]["category"] == "官僚主义" and body["origin_unit_code"] == tree.village.code
    assert Opinion.objects.get(pk=opinion.pk).status == OpinionStatus.PROBLEM
    assert verbs()[-2:] == ["opinion.to_problem", "problem.create"]
    # the opinion is used: a second problem from it is refused
    r = post(secretary, f"{API}/problems/", {**data, "title": "同一条意见再用"})
    assert r.status_code == 400 and "已处理" in detail(r) and Problem.objects.count() == 1


def test_problem_update_retrieve_and_escalation_chain(tree, personas, campaign):
    secretary = personas["village_secretary"]
    problem = make_problem(personas, tree)
    make_task(personas, problem)
    url = f"{API}/problems/{problem.pk}/"

    r = get(personas["county_supervisor"], url)
    assert r.status_code == 200 and [t["measure"] for t in r.json()["tasks"]] == ["公开办事流程"]
    assert get(personas["outsider"], url).status_code == 404

    r = patch(secretary, url, {"title": "群众办事跑多趟", "severity": "serious"})
    assert r.status_code == 200 and r.json()["title"] == "群众办事跑多趟" and verbs()[-1] == "problem.update"
    for bad in ({"unit": tree.township.code}, {"category": "laziness"}, {"title": ""}):
        r = patch(secretary, url, bad)
        assert r.status_code == 400 and not detail(r).isascii(), bad
    assert patch(personas["county_supervisor"], url, {"title": "改"}).status_code == 403
    assert patch(personas["outsider"], url, {"title": "改"}).status_code == 404
    assert client_for(secretary).put(url, "{}", content_type="application/json").status_code == 405
    assert Problem.objects.get(pk=problem.pk).title == "群众办事跑多趟"

    targets = [t["code"] for t in get(secretary, f"{url}targets/").json()]
    assert targets[:4] == [tree.township.code, tree.county.code, tree.league.code, tree.region.code]
    # routing outside the chain: refused, nothing written
    events = len(verbs())
    for to in (tree.sibling_county.code, tree.community_township.code):
        r = post(secretary, f"{url}escalate/", {"to": to, "reason": "需要统筹"})
        assert r.status_code == 400 and "上级组织" in detail(r)
    r = post(secretary, f"{url}escalate/", {"to": "999999", "reason": "需要统筹"})
    assert r.status_code == 400 and "to" in r.json()
    assert not Escalation.objects.exists() and len(verbs()) == events
    assert (
        post(
            personas["county_supervisor"], f"{url}escalate/", {"to": tree.township.code, "reason": "x"}
        ).status_code
        == 403
    )

    r = post(secretary, f"{url}escalate/", {"to": tree.township.code, "reason": "需镇里统筹"})
    assert r.status_code == 201 and r.json()["to_unit_code"] == tree.township.code
    assert verbs()[-1] == "problem.escalate"
    esc = r.json()["id"]
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.ESCALATED

    inbox = get(personas["township_operator"], f"{API}/escalations/", direction="in").json()
    assert [e["id"] for e in inbox["results"]] == [esc]
    assert get(secretary, f"{API}/escalations/", direction="in").json()["count"] == 0
    assert get(secretary, f"{API}/escalations/", direction="out").json()["count"] == 1
    decide = f"{API}/escalations/{esc}/decide/"
    assert post(personas["outsider"], decide, {"accept": True}).status_code == 404
    assert post(secretary, decide, {"accept": True}).status_code == 403  # the sender cannot take it
    r = post(personas["township_operator"], decide, {"accept": False})
    assert r.status_code == 400 and "退回理由" in detail(r)
    r = post(personas["township_operator"], decide, {"accept": True, "answer": "镇里统筹解决"})
    assert r.status_code == 200 and r.json()["state"] == "accepted" and verbs()[-1] == "problem.accept"
    r = post(personas["township_operator"], decide, {"accept": False, "answer": "改主意了"})
    assert r.status_code == 409 and "已被其他人处理" in detail(r)
    problem.refresh_from_db()
    assert problem.unit_id == tree.township.pk and problem.status == ProblemStatus.OPEN
    # the village still sees the problem it raised
    assert get(secretary, url).status_code == 200


# ---------------------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------------------


def test_task_create_evidence_claim_decide_reopen(tree, personas, campaign, settings):
    secretary = personas["village_secretary"]
    problem = make_problem(personas, tree)
    data = {
        "problem": problem.pk,
        "measure": "公开办事流程",
        "responsible": "李书记",
        "deadline": "2014-06-30",
    }
    assert post(personas["county_supervisor"], f"{API}/tasks/", data).status_code == 403
    for bad, field in (
        ({"problem": 999999}, "problem"),
        ({"problem": 10**30}, "problem"),
        ({"deadline": "2099-01-01"}, "detail"),
        ({"measure": ""}, "measure"),
    ):
        r = post(secretary, f"{API}/tasks/", {**data, **bad})
        assert r.status_code == 400 and field in r.json() and not detail(r).isascii(), bad
    sibling = make_problem(personas, tree, actor=personas["outsider"], unit=tree.sibling_village)
    r = post(secretary, f"{API}/tasks/", {**data, "problem": sibling.pk})
    assert r.status_code == 400 and "problem" in r.json()
    assert not Task.objects.filter(problem=problem).exists()

    r = post(secretary, f"{API}/tasks/", data)
    assert r.status_code == 201 and r.json()["overdue"] is True and verbs()[-1] == "task.create"
    url = f"{API}/tasks/{r.json()['id']}/"

    # evidence: checked by content; a text file named .pdf is refused and nothing is kept
    upload = client_for(secretary)
    fake = SimpleUploadedFile("整改报告.pdf", b"just some text", content_type="application/pdf")
    r = upload.post(f"{url}evidence/", {"file": fake})
    assert r.status_code == 400 and "不支持的文件类型" in detail(r)
    assert not Evidence.objects.exists() and not list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    assert post(secretary, f"{url}evidence/", {"file": "x"}).status_code == 415
    outsider = client_for(personas["outsider"])
    assert outsider.post(f"{url}evidence/", {"file": SimpleUploadedFile("a.pdf", PDF)}).status_code == 404
    r = upload.post(f"{url}evidence/", {"file": SimpleUploadedFile("整改报告.pdf", PDF)})
    assert r.status_code == 201 and r.json()["version"] == 1 and r.json()["file_type"] == "pdf"
    assert verbs()[-1] == "task.evidence"
    assert [e["version"] for e in get(secretary, url).json()["evidence"]] == [1]

    # a decision before the claim: nothing to decide
    r = post(personas["county_supervisor"], f"{url}decide/", {"decision": "accept"})
    assert r.status_code == 409
    assert post(personas["county_supervisor"], f"{url}claim/", {"note": "已完成"}).status_code == 403
    r = post(secretary, f"{url}claim/", {"note": "已在村务公开栏公开"})
    assert r.status_code == 200 and r.json()["status"] == "claimed" and verbs()[-1] == "task.claim"

    # a verification by someone who is not the level above (or the unit's group): 403, nothing written
    events = len(verbs())
    for who in ("village_secretary", "township_operator", "liaison_leader"):
        r = post(personas[who], f"{url}decide/", {"decision": "accept"})
        assert r.status_code == 403 and not detail(r).isascii(), who
    assert post(personas["outsider"], f"{url}decide/", {"decision": "accept"}).status_code == 404
    r = post(personas["county_supervisor"], f"{url}decide/", {"decision": "return"})
    assert r.status_code == 400 and "理由" in detail(r)
    r = post(personas["county_supervisor"], f"{url}decide/", {"decision": "approve"})
    assert r.status_code == 400 and "decision" in r.json()
    assert len(verbs()) == events and problem.tasks.get().status == TaskStatus.CLAIMED

    r = post(personas["county_supervisor"], f"{url}decide/", {"decision": "accept", "note": "核实属实"})
    assert (
        r.status_code == 200
        and r.json()["status"] == "verified"
        and r.json()["verified_by"] == "county_supervisor"
    )
    assert verbs()[-1] == "task.verify"
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.DONE
    # decided already: 409, nothing changes
    events = len(verbs())
    r = post(personas["county_office"], f"{url}decide/", {"decision": "return", "note": "不同意"})
    assert r.status_code == 409 and "已被其他人处理" in detail(r) and len(verbs()) == events
    assert problem.tasks.get().status == TaskStatus.VERIFIED

    assert post(secretary, f"{url}reopen/", {"reason": "问题反弹"}).status_code == 403
    r = post(personas["county_supervisor"], f"{url}reopen/", {"reason": "问题反弹"})
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["reopened"] == 1
    assert verbs()[-1] == "task.reopen"


def test_task_defer_and_lists(tree, personas, campaign):
    problem = make_problem(personas, tree, item="meetings")
    late = make_task(personas, problem)
    later = make_task(personas, problem, measure="精简会议", deadline=date(date.today().year + 1, 1, 1))
    services.task_claim(actor=personas["village_secretary"], task=later, note="已精简")
    r = post(
        personas["county_office"], f"{API}/tasks/{later.pk}/decide/", {"decision": "defer", "note": "需资金"}
    )
    assert r.status_code == 400 and "新的完成时限" in detail(r)
    r = post(
        personas["county_office"],
        f"{API}/tasks/{later.pk}/decide/",
        {"decision": "defer", "note": "需资金", "new_deadline": f"{date.today().year + 1}-06-30"},
    )
    assert r.status_code == 200 and r.json()["status"] == "deferred" and verbs()[-1] == "task.defer"

    region = personas["region_office"]
    assert [t["id"] for t in get(region, f"{API}/tasks/", overdue="true").json()["results"]] == [late.pk]
    assert [t["id"] for t in get(region, f"{API}/tasks/", overdue="false").json()["results"]] == [later.pk]
    assert get(region, f"{API}/tasks/", status="deferred").json()["count"] == 1
    assert get(region, f"{API}/tasks/", item="meetings", under=tree.county.code).json()["count"] == 2
    assert get(personas["outsider"], f"{API}/tasks/").json()["count"] == 0
    assert get(personas["outsider"], f"{API}/tasks/{late.pk}/").status_code == 404
    overdue = get(region, f"{API}/problems/", overdue="true").json()
    assert [p["id"] for p in overdue["results"]] == [problem.pk]


# ---------------------------------------------------------------------------------------------------------
# Hand-overs
# ---------------------------------------------------------------------------------------------------------


def test_handover_from_batch_one_to_batch_two(tree, personas, campaign):
    region = personas["region_office"]
    problem = make_problem(personas, tree, actor=region, unit=tree.region, title="审批环节多")
    task = make_task(personas, problem, actor="region_office", measure="精简审批")
    data = {"task": task.pk, "to_unit": tree.league.code, "receiver": "league_office", "note": "请承接"}
    events = len(verbs())
    for bad, field, message in (
        ({"receiver": "nobody"}, "receiver", "没有用户"),
        ({"receiver": "outsider"}, "detail", "承接人"),
        ({"to_unit": "999999"}, "to_unit", "找不到组织"),
        ({"to_unit": tree.region.code}, "detail", "后一批次"),
        ({"task": 999999}, "task", "找不到该任务"),
    ):
        r = post(region, f"{API}/handovers/", {**data, **bad})
        assert r.status_code == 400 and field in r.json() and message in detail(r), bad
    assert not Handover.objects.exists() and len(verbs()) == events
    assert post(personas["liaison_leader"], f"{API}/handovers/", data).status_code == 403

    r = post(region, f"{API}/handovers/", data)
    assert r.status_code == 201 and r.json()["state"] == "offered" and verbs()[-1] == "handover.offer"
    accept = f"{API}/handovers/{r.json()['id']}/accept/"
    assert get(personas["league_office"], f"{API}/handovers/", direction="in").json()["count"] == 1
    assert post(personas["county_office"], accept, {}).status_code == 404  # not theirs to see
    assert post(region, accept, {}).status_code == 403  # sees it, but is not the named receiver
    r = post(personas["league_office"], accept, {"deadline": f"{date.today().year + 1}-03-31"})
    assert r.status_code == 200 and r.json()["state"] == "accepted" and verbs()[-1] == "handover.accept"
    follow = Task.objects.get(pk=r.json()["follow_task"])
    assert follow.unit_id == tree.league.pk and follow.measure == "精简审批"
    assert post(personas["league_office"], accept, {}).status_code == 409


# ---------------------------------------------------------------------------------------------------------
# Institutions
# ---------------------------------------------------------------------------------------------------------


def test_institution_with_document_problems_and_partners(tree, personas, campaign, settings):
    office = personas["county_office"]
    problem = make_problem(personas, tree)
    foreign = make_problem(personas, tree, actor=personas["outsider"], unit=tree.sibling_village)
    c = client_for(office)
    base = {
        "unit": tree.county.code,
        "title": "武川县会议管理办法",
        "action": "made",
        "adopted_on": "2014-07-01",
        "problems": [problem.pk],
        "partners": [tree.organ.code],
    }
    events = len(verbs())
    for bad, field, message in (
        ({"document": SimpleUploadedFile("办法.pdf", b"plain text")}, "detail", "不支持的文件类型"),
        ({"problems": [foreign.pk]}, "problems", "找不到这些问题"),
        ({"partners": ["999999"]}, "partners", "找不到组织"),
        ({"partners": [tree.sibling_county.code]}, "detail", "管理范围"),
        ({"action": "invented"}, "action", ""),
        ({"unit": tree.sibling_county.code}, "unit", "找不到组织"),
    ):
        r = c.post(f"{API}/institutions/", {**base, **bad})
        assert r.status_code == 400 and field in r.json() and message in detail(r), (bad, r.content[:300])
    assert not Institution.objects.exists() and len(verbs()) == events
    assert not list(Path(settings.MEDIA_ROOT).rglob("办法*"))
    assert post(personas["county_supervisor"], f"{API}/institutions/", base).status_code == 403

    r = c.post(f"{API}/institutions/", {**base, "document": SimpleUploadedFile("办法.pdf", PDF)})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["problems"] == [problem.pk] and body["partners"] == [tree.organ.code] and body["has_document"]
    assert verbs()[-1] == "institution.record"
    r = post(office, f"{API}/institutions/", {**base, "title": "武川县调研制度", "partners": []})
    assert r.status_code == 201 and r.json()["has_document"] is False
    assert get(office, f"{API}/institutions/", problem=problem.pk).json()["count"] == 2
    assert get(personas["outsider"], f"{API}/institutions/").json()["count"] == 0
    assert get(personas["outsider"], f"{API}/institutions/{body['id']}/").status_code == 404


# ---------------------------------------------------------------------------------------------------------
# Lists: scoped, filtered, paginated, no query per row; the schema
# ---------------------------------------------------------------------------------------------------------


def test_problem_list_is_scoped_filtered_and_paginated(tree, personas, campaign, monkeypatch):
    make_problem(personas, tree, title="会议多", category="formalism")
    make_problem(personas, tree, title="门难进脸难看")
    make_problem(
        personas,
        tree,
        actor=personas["outsider"],
        unit=tree.sibling_village,
        title="公车私用",
        category="extravagance",
    )
    region, url = personas["region_office"], f"{API}/problems/"

    assert get(region, url).json()["count"] == 3
    assert [p["title"] for p in get(personas["outsider"], url).json()["results"]] == ["公车私用"]
    assert get(personas["county_office"], url).json()["count"] == 2
    assert get(region, url, category="formalism").json()["count"] == 1
    assert get(region, url, status="open", source="public").json()["count"] == 3
    assert get(region, url, under=tree.sibling_league.code).json()["count"] == 1
    assert [p["title"] for p in get(region, url, q="多").json()["results"]] == ["会议多"]  # one character
    assert get(region, url, q="难看").json()["count"] == 1
    assert get(personas["county_office"], url, under=tree.sibling_league.code).status_code == 404

    page = get(region, url, limit=2).json()
    assert page["count"] == 3 and page["count_exact"] and page["next"] and len(page["results"]) == 2
    past = get(region, url, offset=100).json()
    assert past["count"] == 3 and past["results"] == [] and not past["next"]
    # the count stops COUNT_AHEAD rows past the offset; paging on still works
    monkeypatch.setattr(api_views, "COUNT_AHEAD", 2)
    monkeypatch.setattr(api_views, "IDS_AHEAD", 0)
    page = get(region, url, limit=1).json()
    assert page["count"] == 2 and page["count_exact"] is False and page["next"]
    page = get(region, url, limit=1, offset=2).json()
    assert (
        page["count"] == 3 and page["count_exact"] is True and not page["next"] and len(page["results"]) == 1
    )


def test_lists_do_not_query_per_row(tree, personas, campaign):
    problem = make_problem(personas, tree)
    make_task(personas, problem)
    services.opinion_record(
        actor=personas["village_secretary"], unit=tree.village, text="意见内容一", channel="box"
    )

    def queries(path: str) -> int:
        c = client_for(personas["region_office"])
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(path).status_code == 200
        return len(ctx)

    paths = [
        f"{API}/problems/",
        f"{API}/tasks/",
        f"{API}/opinions/",
        f"{API}/escalations/",
        f"{API}/handovers/",
        f"{API}/institutions/",
    ]
    few = {p: queries(p) for p in paths}
    for n in range(6):
        p = make_problem(personas, tree, title=f"问题{n}")
        make_task(personas, p, measure=f"措施{n}")
        services.opinion_record(
            actor=personas["village_secretary"], unit=tree.village, text=f"意见内容{n}号", channel="box"
        )
    assert {p: queries(p) for p in paths} == few


def test_schema_lists_the_ledger_paths(personas):
    r = client_for(personas["county_office"]).get("/api/schema/")
    assert r.status_code == 200
    text = r.content.decode()
    for path in (
        "/api/v1/ledger/summary/",
        "/api/v1/ledger/opinions/{id}/merge/",
        "/api/v1/ledger/problems/{id}/escalate/",
        "/api/v1/ledger/tasks/{id}/decide/",
        "/api/v1/ledger/tasks/{id}/evidence/",
        "/api/v1/ledger/escalations/{id}/decide/",
        "/api/v1/ledger/handovers/{id}/accept/",
        "/api/v1/ledger/institutions/",
    ):
        assert path in text, path


def test_a_wide_scope_reads_along_the_ids_with_the_same_answers(tree, personas, campaign, monkeypatch):
    """A region's list is read backwards along the primary key (``id > 0``) and counted there: the same
    rows, in the same order, as through the subtree's index."""
    for n in range(7):
        unit = (tree.village, tree.community, tree.sibling_village)[n % 3]
        actor = personas["outsider"] if unit == tree.sibling_village else personas["county_office"]
        make_problem(
            personas,
            tree,
            actor=actor,
            unit=unit,
            title=f"问题{n}",
            category=("formalism", "hedonism")[n % 2],
        )
    region, url = personas["region_office"], f"{API}/problems/"
    queries: list[dict[str, object]] = [
        {},
        {"category": "formalism"},
        {"q": "问题3"},
        {"limit": 2, "offset": 2},
        {"under": tree.county.code},
    ]
    narrow = [get(region, url, **q).json() for q in queries]
    # the wide way, whatever the table's ids (PostgreSQL's sequences do not restart between tests)
    monkeypatch.setattr(api_views, "_wide", lambda base, top: True)
    with CaptureQueriesContext(connection) as ctx:
        wide = [get(region, url, **q).json() for q in queries]
    assert wide == narrow
    assert any('"ledger_problem"."id" > 0' in q["sql"] for q in ctx.captured_queries)
    assert [p["title"] for p in wide[0]["results"]] == [f"问题{n}" for n in reversed(range(7))]
    assert wide[3]["count"] == 7 and [p["title"] for p in wide[3]["results"]] == ["问题4", "问题3"]


def test_an_escalation_returned_with_its_reason(tree, personas, campaign):
    problem = make_problem(personas, tree)
    up = services.problem_escalate(
        actor=personas["village_secretary"], problem=problem, to_unit=tree.township, reason="能力不足"
    )
    r = post(
        personas["township_operator"],
        f"{API}/escalations/{up.pk}/decide/",
        {"accept": False, "answer": "本村可以自行解决"},
    )
    assert r.status_code == 200 and r.json()["state"] == "returned" and verbs()[-1] == "problem.return"
    assert r.json()["answer"] == "本村可以自行解决"
    problem.refresh_from_db()
    assert problem.unit_id == tree.village.pk and problem.status == ProblemStatus.OPEN
    sent = get(personas["village_secretary"], f"{API}/escalations/", direction="out", state="returned")
    assert [e["id"] for e in sent.json()["results"]] == [up.pk]
