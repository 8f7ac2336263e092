"""The ledger's staff pages through the test client, as the personas of echelon/conftest.py: each page for the
people it is for (404 for outsiders), each write through its page leaving its audit verb, the wrong role
refused, text shown as text, and the lists' query counts flat."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from echelon.core.models import AuditEvent
from echelon.core.tests.test_query_counts import MORE, assert_flat
from echelon.ledger import services
from echelon.ledger.models import (
    Escalation,
    EscalationState,
    Handover,
    HandoverState,
    Opinion,
    OpinionStatus,
    Problem,
    ProblemStatus,
    Task,
    TaskStatus,
)
from echelon.ledger.views.story import verifiable_tasks
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

DEADLINE = date(2014, 8, 30)


@pytest.fixture
def campaign(tree):
    return make_campaign(tree.region)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(user: Any, name: str, *args: Any, expect: int = 200, **params: Any) -> str:
    response = client_for(user).get(reverse(name, args=args), params)
    assert response.status_code == expect, (name, args, response.status_code)
    return response.content.decode()


def opinion(tree: Any, text: str = "村里低保评定不公开，希望张榜公示。", unit: Any = None) -> Opinion:
    unit = unit or tree.village
    return services.opinion_submit_public(actor=AnonymousUser(), unit_code=unit.code, text=text)


def problem(personas: Any, tree: Any, who: str = "village_secretary", unit: Any = None, **kw: Any) -> Problem:
    fields = {"title": "办事要跑好几趟", "category": "bureaucratism", "source": "public", **kw}
    return services.problem_create(actor=personas[who], unit=unit or tree.village, **fields)


def task(personas: Any, p: Problem, who: str = "village_secretary", **kw: Any) -> Task:
    fields = {"measure": "公开办事流程", "responsible": "李书记", "deadline": DEADLINE, **kw}
    return services.task_add(actor=personas[who], problem=p, **fields)


LEDGER_VERBS = ("opinion.", "problem.", "task.", "handover.", "institution.")


def verbs() -> list[str]:
    """The ledger's audit verbs so far, oldest first (the tree and the campaign wrote theirs before)."""
    every = AuditEvent.objects.order_by("id").values_list("verb", flat=True)
    return [v for v in every if v.startswith(LEDGER_VERBS)]


# --- the ledger's home -------------------------------------------------------------------------------------


def test_the_home_is_each_callers_part(tree, personas, campaign):
    problem(personas, tree)
    for who in ("region_office", "league_office", "county_office", "village_secretary", "liaison_leader"):
        html = page(personas[who], "ledger:index")
        assert 'data-testid="problem-total">1<' in html, who
    # the village secretary's home is the village: one problem, no unit above in sight
    html = page(personas["village_secretary"], "ledger:index")
    assert 'data-testid="ledger-unit">东土城村<' in html and "可可以力更镇" not in html
    outsider = page(personas["outsider"], "ledger:index")
    assert "包头市" in outsider and "东土城村" not in outsider and "办事要跑好几趟" not in outsider
    page(personas["outsider"], "ledger:index", expect=404, under=tree.village.code)
    page(personas["village_secretary"], "ledger:index", expect=404, under=tree.township.code)


def test_the_home_drills_down_one_level_at_a_time(tree, personas, campaign):
    problem(personas, tree)
    problem(personas, tree, who="county_office", unit=tree.community, title="会议太多", category="formalism")
    html = page(personas["county_office"], "ledger:index", under=tree.county.code)
    children = html.split('data-testid="children"')[1]
    assert "可可以力更镇" in children and "城关街道" in children and "东土城村" not in children
    assert f"?under={tree.township.code}" in children
    html = page(personas["county_office"], "ledger:index", under=tree.township.code)
    assert "东土城村" in html.split('data-testid="children"')[1]
    assert 'data-testid="problem-total">1<' in html


def test_the_unit_page_has_a_ledger_tab(tree, personas, campaign):
    problem(personas, tree)
    tab = reverse("ledger:unit", args=[tree.township.code])
    assert tab in page(personas["county_office"], "orgs:unit", tree.township.code)
    html = page(personas["county_office"], "ledger:unit", tree.township.code)
    assert 'data-testid="summary"' in html and "东土城村" in html
    page(personas["outsider"], "ledger:unit", tree.township.code, expect=404)


def test_what_waits_for_whom(tree, personas, campaign):
    o = opinion(tree)
    p = problem(personas, tree, title="路灯坏了没人修")
    t = task(personas, p, measure="三天内修好路灯")
    services.task_claim(actor=personas["village_secretary"], task=t, note="已修好")
    up = problem(personas, tree, title="低保评定不公开")
    services.problem_escalate(
        actor=personas["village_secretary"], problem=up, to_unit=tree.township, reason="需镇统筹"
    )
    first = problem(personas, tree, who="region_office", unit=tree.region, title="惠民资金发放缩水")
    offered = task(personas, first, who="region_office", measure="核查惠民资金台账")
    services.handover_offer(
        actor=personas["region_office"], task=offered, to_unit=tree.county, receiver=personas["county_office"]
    )

    secretary = page(personas["village_secretary"], "ledger:index")
    assert o.text in secretary.split('data-testid="waiting-opinions"')[1]
    assert 'data-testid="waiting-tasks"' not in secretary  # a claim is never checked by who made it
    township = page(personas["township_operator"], "ledger:index")
    assert "低保评定不公开" in township.split('data-testid="waiting-escalations"')[1]
    county = page(personas["county_office"], "ledger:index")
    assert "三天内修好路灯" in county.split('data-testid="waiting-tasks"')[1]
    assert "核查惠民资金台账" in county.split('data-testid="waiting-handovers"')[1]
    leader = page(personas["liaison_leader"], "ledger:index")
    assert 'data-testid="waiting-' not in leader  # a leader looks, decides nothing

    # the query behind "待您验收" is the rule of services.verifier_error, for everyone
    claimed = list(Task.objects.filter(status=TaskStatus.CLAIMED))
    for who, user in personas.items():
        expected = {x.pk for x in claimed if services.verifier_error(user, x) is None}
        assert set(verifiable_tasks(user).values_list("pk", flat=True)) == expected, who


# --- opinions --------------------------------------------------------------------------------------------


def test_opinions_are_seen_by_their_units_and_the_contact_by_the_office_only(tree, personas, campaign):
    o = services.opinion_submit_public(
        actor=AnonymousUser(), unit_code=tree.village.code, text="村道路灯坏了三个月", contact="13800001111"
    )
    for who in ("village_secretary", "county_office", "liaison_leader"):
        assert o.tracking_code in page(personas[who], "ledger:opinions"), who
    assert o.tracking_code not in page(personas["outsider"], "ledger:opinions")
    page(personas["outsider"], "ledger:opinion", o.pk, expect=404)
    assert "13800001111" in page(personas["village_secretary"], "ledger:opinion", o.pk)
    for who in ("liaison_leader", "county_supervisor"):
        html = page(personas[who], "ledger:opinion", o.pk)
        assert "13800001111" not in html and 'data-testid="triage"' not in html, who
    # filters: status, channel, unit and text (two characters, and the tracking code)
    user = personas["county_office"]
    assert o.tracking_code in page(user, "ledger:opinions", q="路灯")
    assert o.tracking_code in page(user, "ledger:opinions", q=o.tracking_code.lower())
    assert o.tracking_code not in page(user, "ledger:opinions", q="低保")
    assert o.tracking_code in page(user, "ledger:opinions", under=tree.township.code, channel="web")
    assert o.tracking_code not in page(user, "ledger:opinions", under=tree.community_township.code)
    assert o.tracking_code not in page(user, "ledger:opinions", under="NO-SUCH-UNIT")


def test_staff_enter_opinions_one_by_one(tree, personas, campaign):
    secretary = client_for(personas["village_secretary"])
    html = secretary.get(reverse("ledger:opinion_new")).content.decode()
    assert 'data-testid="picked-unit">东土城村<' in html  # their only unit is chosen for them
    data = {
        "unit": tree.village.code,
        "channel": "forum",
        "received_on": "2014-03-05",
        "text": "座谈会上群众反映村务公开不及时",
        "contact": "",
    }
    response = secretary.post(reverse("ledger:opinion_new"), data)
    assert response.status_code == 302 and response["Location"].endswith(f"?unit={tree.village.code}")
    recorded = Opinion.objects.get()
    assert recorded.channel == "forum" and recorded.received_on == date(2014, 3, 5)
    assert verbs() == ["opinion.record"]
    # the county office finds the unit by name; a leader may not record
    county = page(personas["county_office"], "ledger:opinion_new", find="东土城")
    assert 'data-testid="picked-unit">东土城村<' in county
    assert tree.village.code in page(personas["county_office"], "ledger:opinion_new", find="150125")
    response = client_for(personas["liaison_leader"]).post(reverse("ledger:opinion_new"), data)
    assert response.status_code == 403 and Opinion.objects.count() == 1  # a leader records nothing
    response = client_for(personas["outsider"]).post(reverse("ledger:opinion_new"), data)
    assert response.status_code == 404 and Opinion.objects.count() == 1  # another league's village
    # the service's refusal shows on the form, nothing written
    response = secretary.post(reverse("ledger:opinion_new"), {**data, "text": "短"})
    assert response.status_code == 200 and "太短" in response.content.decode()
    assert Opinion.objects.count() == 1


def test_triage_reply_merge_close(tree, personas, campaign):
    first = opinion(tree, "村道路灯坏了三个月没人修")
    duplicate = opinion(tree, "路灯坏了好久，晚上出门不方便")
    other = opinion(tree, "希望多组织文艺活动")
    secretary = client_for(personas["village_secretary"])

    response = secretary.post(
        reverse("ledger:opinion_reply", args=[first.pk]), {"reply": "已报修，本周内修好。"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == OpinionStatus.REPLIED and first.public_reply == "已报修，本周内修好。"

    secretary.post(reverse("ledger:opinion_merge", args=[duplicate.pk]), {"into": "NOSUCHCODE"})
    assert Opinion.objects.get(pk=duplicate.pk).status == OpinionStatus.NEW
    code = f"{first.tracking_code[:5]}-{first.tracking_code[5:].lower()}"  # as typed from paper
    secretary.post(reverse("ledger:opinion_merge", args=[duplicate.pk]), {"into": code})
    duplicate.refresh_from_db()
    assert duplicate.status == OpinionStatus.MERGED and duplicate.merged_into_id == first.pk

    secretary.post(reverse("ledger:opinion_close", args=[other.pk]), {"reason": "不属于本次活动范围"})
    assert Opinion.objects.get(pk=other.pk).status == OpinionStatus.CLOSED
    assert verbs()[-3:] == ["opinion.reply", "opinion.merge", "opinion.close"]

    story = page(personas["village_secretary"], "ledger:opinion", first.pk).split('data-testid="story"')[1]
    assert "群众（匿名）" in story and "公开答复：已报修，本周内修好。" in story and "{" not in story

    leader = client_for(personas["liaison_leader"])
    assert leader.post(reverse("ledger:opinion_reply", args=[other.pk]), {"reply": "x"}).status_code == 403
    outsider = client_for(personas["outsider"])
    assert outsider.post(reverse("ledger:opinion_close", args=[first.pk]), {"reason": "x"}).status_code == 404
    assert len(verbs()) == 6  # three submissions and three triage steps, nothing from the refusals


def test_opinions_of_one_unit_become_one_problem(tree, personas, campaign):
    a, b = opinion(tree, "低保评定不公开"), opinion(tree, "低保名单没有张榜公示")
    secretary = client_for(personas["village_secretary"])
    url = reverse("ledger:problem_new")
    html = secretary.get(url, {"opinion": [a.pk, b.pk]}).content.decode()
    assert a.tracking_code in html and b.tracking_code in html and 'value="低保评定不公开"' in html
    response = secretary.post(
        url,
        {
            "opinion": [a.pk, b.pk],
            "title": "低保评定不公开",
            "source": "public",
            "category": "bureaucratism",
            "item": "policies_shrunk",
            "tags": ["delivery"],
            "severity": "serious",
            "found_on": "2014-03-10",
            "description": "",
            "owner": "",
            "phase": "",
        },
    )
    created = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "ledger:problem", args=[created.pk]
    )
    assert set(created.opinions.values_list("pk", flat=True)) == {a.pk, b.pk}
    assert created.tags == ["delivery"] and created.severity == "serious"
    assert verbs()[-3:] == ["opinion.to_problem", "opinion.to_problem", "problem.create"]
    html = page(personas["village_secretary"], "ledger:problem", created.pk)
    assert a.tracking_code in html.split('data-testid="linked-opinions"')[1]
    # opinions of two units never make one problem; a handled opinion is not offered again
    c = opinion(tree, "社区停车难", unit=tree.community)
    d = opinion(tree, "村里垃圾没人清运")
    response = client_for(personas["county_office"]).get(url, {"opinion": [c.pk, d.pk]})
    assert response.status_code == 302 and response["Location"] == reverse("ledger:opinions")
    assert secretary.get(url, {"opinion": [a.pk]}).status_code == 404


# --- problems --------------------------------------------------------------------------------------------


def test_the_problem_list_filters_and_searches(tree, personas, campaign):
    trips = problem(personas, tree)
    meetings = problem(
        personas, tree, who="county_office", unit=tree.community, title="会议太多", category="formalism"
    )
    late = problem(personas, tree, title="村务公开不及时", source="self", item="meetings")
    task(personas, late, deadline=date(2014, 3, 1))  # long past
    user = personas["county_office"]

    def titles(**params: Any) -> set[str]:
        html = page(user, "ledger:problems", **params).split('data-testid="problems"')[1]
        return {p.title for p in (trips, meetings, late) if p.title in html}

    assert titles() == {"办事要跑好几趟", "会议太多", "村务公开不及时"}
    assert titles(category="formalism") == {"会议太多"}
    assert titles(q="趟") == {"办事要跑好几趟"}  # one character
    assert titles(q="会议") == {"会议太多"}  # two
    assert titles(source="self") == {"村务公开不及时"}
    assert titles(item="meetings") == {"村务公开不及时"}
    assert titles(overdue="yes") == {"村务公开不及时"}
    assert titles(status="done") == set()
    assert titles(under=tree.township.code) == {"办事要跑好几趟", "村务公开不及时"}
    assert titles(level="5", category="formalism") == {"会议太多"}
    assert titles(level="4") == set()
    html = page(user, "ledger:problems")
    assert "官僚主义" in html and "群众提" in html and trips.number in html and "超期 1" in html
    assert "办事要跑好几趟" not in page(personas["outsider"], "ledger:problems")
    page(user, "ledger:problems", expect=404, page="x")


def test_script_in_a_title_is_shown_as_text(tree, personas, campaign):
    p = problem(personas, tree, title="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>")
    for name, args in (("ledger:problems", ()), ("ledger:problem", (p.pk,)), ("ledger:index", ())):
        html = page(personas["county_office"], name, *args)
        assert "<script>alert(1)" not in html and "<img src=x" not in html, name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page(personas["county_office"], "ledger:problem", p.pk)


def test_new_problem_and_edit(tree, personas, campaign):
    secretary = client_for(personas["village_secretary"])
    html = secretary.get(reverse("ledger:problem_new")).content.decode()
    assert "官僚主义" in html and "集体议" in html and "惠民政策落实中“缩水走样”" in html
    data = {
        "unit": tree.village.code,
        "title": "办事要跑好几趟",
        "source": "self",
        "category": "bureaucratism",
        "severity": "general",
        "found_on": "2014-03-10",
        "phase": "1",
    }
    response = secretary.post(reverse("ledger:problem_new"), data)
    created = Problem.objects.get()
    assert response.status_code == 302 and created.phase == 1 and verbs() == ["problem.create"]
    response = secretary.post(reverse("ledger:problem_new"), {**data, "category": "nonsense"})
    assert response.status_code == 200 and Problem.objects.count() == 1
    leader = client_for(personas["liaison_leader"])
    assert leader.post(reverse("ledger:problem_new"), data).status_code == 403
    assert client_for(personas["outsider"]).post(reverse("ledger:problem_new"), data).status_code == 404
    assert Problem.objects.count() == 1

    edit = reverse("ledger:problem_edit", args=[created.pk])
    assert "办事要跑好几趟" in secretary.get(edit).content.decode()
    response = secretary.post(edit, {**data, "title": "群众办事要跑好几趟", "item": "hard_to_do"})
    created.refresh_from_db()
    assert (
        response.status_code == 302 and created.title == "群众办事要跑好几趟" and created.item == "hard_to_do"
    )
    assert verbs()[-1] == "problem.update"
    assert leader.get(edit).status_code == 403
    assert client_for(personas["outsider"]).get(edit).status_code == 404
    assert leader.post(edit, {**data, "title": "改掉"}).status_code == 403
    assert Problem.objects.get().title == "群众办事要跑好几趟"


def test_rectification_through_the_pages(tree, personas, campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = problem(personas, tree)
    secretary = client_for(personas["village_secretary"])
    secretary.post(
        reverse("ledger:task_add", args=[p.pk]),
        {"measure": "公开办事流程，一次告知", "responsible": "李书记", "deadline": "2014-06-30"},
    )
    t = Task.objects.get()
    pdf = SimpleUploadedFile("流程公示.pdf", b"%PDF-1.4\n% proof\n", content_type="application/pdf")
    secretary.post(reverse("ledger:task_evidence", args=[t.pk]), {"file": pdf})
    evidence = t.evidence.get()
    download = reverse("ledger:evidence", args=[evidence.pk])
    assert client_for(personas["county_office"]).get(download).status_code == 200
    assert client_for(personas["outsider"]).get(download).status_code == 404
    secretary.post(reverse("ledger:task_claim", args=[t.pk]), {"note": "已在村务公开栏公示"})
    assert Task.objects.get().status == TaskStatus.CLAIMED
    assert verbs()[-3:] == ["task.create", "task.evidence", "task.claim"]

    # who sees the verdict form: the level above and never the village itself
    assert 'data-testid="verify"' not in page(personas["village_secretary"], "ledger:problem", p.pk)
    assert 'data-testid="verify"' not in page(personas["township_operator"], "ledger:problem", p.pk)
    assert 'data-testid="verify"' in page(personas["county_office"], "ledger:problem", p.pk)
    decide = reverse("ledger:task_decide", args=[t.pk])
    assert secretary.post(decide, {"decision": "accept", "note": ""}).status_code == 403
    assert client_for(personas["outsider"]).post(decide, {"decision": "accept"}).status_code == 404
    assert "task.verify" not in verbs()

    county = client_for(personas["county_office"])
    county.post(decide, {"decision": "return", "note": "公示内容不全"})
    assert Task.objects.get().status == TaskStatus.OPEN
    secretary.post(reverse("ledger:task_claim", args=[t.pk]), {"note": "已补全公示内容"})
    county.post(decide, {"decision": "accept", "note": "核实属实"})
    assert (
        Task.objects.get().status == TaskStatus.VERIFIED
        and Problem.objects.get().status == ProblemStatus.DONE
    )
    county.post(reverse("ledger:task_reopen", args=[t.pk]), {"reason": "群众反映又不公开了"})
    assert Task.objects.get().status == TaskStatus.OPEN and Problem.objects.get().status == ProblemStatus.OPEN
    secretary.post(reverse("ledger:task_claim", args=[t.pk]), {"note": "需资金建公示屏"})
    county.post(decide, {"decision": "defer", "note": "等资金", "new_deadline": "2014-09-30"})
    t.refresh_from_db()
    assert t.status == TaskStatus.DEFERRED and t.deadline == date(2014, 9, 30)
    assert verbs()[-6:] == [
        "task.return",
        "task.claim",
        "task.verify",
        "task.reopen",
        "task.claim",
        "task.defer",
    ]
    story = page(personas["village_secretary"], "ledger:problem", p.pk).split('data-testid="story"')[1]
    for sentence in (
        "验收通过，予以销号。验收意见：核实属实",
        "退回重新整改，理由：公示内容不全",
        "重新打开任务",
    ):
        assert sentence in story


def test_escalation_through_the_pages(tree, personas, campaign):
    p = problem(personas, tree)
    html = page(personas["village_secretary"], "ledger:problem", p.pk)
    escalate_form = html.split('data-testid="escalate"')[1]
    assert f'value="{tree.township.code}"' in escalate_form and f'value="{tree.region.code}"' in escalate_form
    secretary = client_for(personas["village_secretary"])
    url = reverse("ledger:problem_escalate", args=[p.pk])
    secretary.post(url, {"to": tree.sibling_county.code, "reason": "想交给别的县"})
    assert not Escalation.objects.exists()  # outside the chain: refused, nothing written
    secretary.post(url, {"to": tree.township.code, "reason": "需镇里统筹"})
    up = Escalation.objects.get()
    assert Problem.objects.get().status == ProblemStatus.ESCALATED

    decide = reverse("ledger:escalation_decide", args=[up.pk])
    assert 'data-testid="escalation-decide"' not in page(
        personas["village_secretary"], "ledger:problem", p.pk
    )
    assert 'data-testid="escalation-decide"' in page(personas["township_operator"], "ledger:problem", p.pk)
    assert secretary.post(decide, {"decision": "accept"}).status_code == 403
    township = client_for(personas["township_operator"])
    township.post(decide, {"decision": "return", "answer": ""})  # a return needs its reason
    assert Escalation.objects.get().state == EscalationState.PENDING
    township.post(decide, {"decision": "return", "answer": "本村可以自行解决"})
    assert Escalation.objects.get().state == EscalationState.RETURNED
    sent = page(personas["village_secretary"], "ledger:escalations").split('data-testid="sent"')[1]
    assert "本村可以自行解决" in sent and "已退回" in sent

    secretary.post(url, {"to": tree.township.code, "reason": "确实解决不了"})
    again = Escalation.objects.get(state=EscalationState.PENDING)
    pending = page(personas["township_operator"], "ledger:escalations").split('data-testid="pending"')[1]
    assert "办事要跑好几趟" in pending
    township.post(reverse("ledger:escalation_decide", args=[again.pk]), {"decision": "accept", "answer": ""})
    p.refresh_from_db()
    assert p.unit_id == tree.township.pk and p.status == ProblemStatus.OPEN
    assert [v for v in verbs() if v.startswith("problem.")] == [
        "problem.create",
        "problem.escalate",
        "problem.return",
        "problem.escalate",
        "problem.accept",
    ]
    # the village still sees what became of it, and can no longer change it
    html = page(personas["village_secretary"], "ledger:problem", p.pk)
    assert 'data-testid="origin-unit">东土城村<' in html and 'data-testid="task-add"' not in html


def test_handover_through_the_pages(tree, personas, campaign):
    first = problem(personas, tree, who="region_office", unit=tree.region, title="惠民资金发放缩水")
    t = task(personas, first, who="region_office", measure="核查惠民资金台账")
    html = page(personas["region_office"], "ledger:problem", first.pk, handover=t.pk, to=tree.county.code)
    assert 'value="county_office"' in html and 'value="village_secretary"' not in html
    region = client_for(personas["region_office"])
    url = reverse("ledger:handover_offer", args=[t.pk])
    region.post(url, {"to": tree.county.code, "receiver": "no-such-user", "note": ""})
    assert not Handover.objects.exists()
    region.post(url, {"to": tree.county.code, "receiver": "county_office", "note": "请县里接续"})
    handover = Handover.objects.get()
    assert verbs()[-1] == "handover.offer"

    waiting = page(personas["county_office"], "ledger:handovers").split('data-testid="waiting"')[1]
    assert "核查惠民资金台账" in waiting and "请县里接续" in waiting
    accept = reverse("ledger:handover_accept", args=[handover.pk])
    assert client_for(personas["village_secretary"]).post(accept, {}).status_code == 404
    assert client_for(personas["county_operator"]).post(accept, {}).status_code == 403  # not the named one
    response = client_for(personas["county_office"]).post(accept, {"deadline": "2014-07-31"})
    handover.refresh_from_db()
    assert handover.state == HandoverState.ACCEPTED and handover.follow_task.deadline == date(2014, 7, 31)
    assert response["Location"].startswith(reverse("ledger:problem", args=[handover.follow_task.problem_id]))
    assert verbs()[-1] == "handover.accept"
    # the batch-one owner sees the follow-through
    html = page(personas["region_office"], "ledger:problem", first.pk).split('data-testid="handovers"')[1]
    assert "武川县" in html and "已承接" in html
    assert (
        "核查惠民资金台账"
        in page(personas["region_office"], "ledger:handovers").split('data-testid="offered"')[1]
    )


# --- query counts ----------------------------------------------------------------------------------------


def _problems(personas: Any, tree: Any, start: int = 0) -> Any:
    def add() -> list[str]:
        titles = []
        units = [tree.village, tree.community, tree.township, tree.organ]
        for i in range(MORE):
            p = problem(
                personas, tree, who="county_office", unit=units[i % 4], title=f"测试问题{start + i}号"
            )
            task(personas, p, who="county_office", deadline=date(2014, 3, 1) + timedelta(days=i))
            titles.append(p.title)
        return titles

    return add


def _opinions(tree: Any) -> Any:
    def add() -> list[str]:
        texts = [f"第{i}条群众意见：村里的事情要公开" for i in range(MORE)]
        for text in texts:
            opinion(tree, text, unit=tree.village if len(text) % 2 else tree.community)
        return texts

    return add


def _escalations(personas: Any, tree: Any) -> Any:
    def add() -> list[str]:
        titles = []
        for i in range(MORE):
            p = problem(personas, tree, title=f"上报问题{i}号")
            services.problem_escalate(
                actor=personas["village_secretary"], problem=p, to_unit=tree.township, reason="需统筹"
            )
            titles.append(p.title)
        return titles

    return add


@pytest.mark.parametrize(
    ("route", "persona", "kind"),
    [
        ("ledger:problems", "county_office", "problems"),
        ("ledger:problems", "region_office", "problems"),
        ("ledger:opinions", "county_office", "opinions"),
        ("ledger:index", "county_office", "opinions"),
        ("ledger:escalations", "township_operator", "escalations"),
    ],
)
def test_the_lists_query_counts_are_flat(tree, personas, campaign, route, persona, kind):
    _problems(personas, tree, start=100)()  # the lists are not empty to begin with
    opinion(tree, "已经有的一条意见：希望公开村务")
    add = {
        "problems": _problems(personas, tree),
        "opinions": _opinions(tree),
        "escalations": _escalations(personas, tree),
    }[kind]
    assert_flat(client_for(personas[persona]), reverse(route), add)


def test_the_problem_page_query_count_does_not_grow_with_its_tasks(tree, personas, campaign):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    p = problem(personas, tree)
    client = client_for(personas["county_office"])
    url = reverse("ledger:problem", args=[p.pk])

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def add(n: int) -> None:
        for i in range(n):
            t = task(personas, p, measure=f"措施{n}-{i}")
            services.task_claim(actor=personas["village_secretary"], task=t, note="已完成")

    add(1)
    before = count()
    add(MORE)
    assert count() == before


def test_problem_list_keeps_the_newest_problems_escalated_out(tree, personas, campaign, monkeypatch):
    """Problems raised in the village and accepted above it stay on the village's list (the newest
    ELSEWHERE of them): found by the path indexes, newest first, whatever the database's plan."""
    from echelon.ledger.views import problems as problem_views

    titles = ["村道坑洼无人修", "饮水工程迟迟不通", "合作社分红不公开"]
    made = [problem(personas, tree, title=t) for t in titles]
    for p in made[:2]:
        up = services.problem_escalate(
            actor=personas["village_secretary"], problem=p, to_unit=tree.township, reason="需镇里统筹"
        )
        services.escalation_decide(actor=personas["township_operator"], escalation=up, accept=True)
    html = page(personas["village_secretary"], "ledger:problems")
    assert all(t in html for t in titles)
    monkeypatch.setattr(problem_views, "ELSEWHERE", 1)
    html = page(personas["village_secretary"], "ledger:problems")
    assert "饮水工程迟迟不通" in html and "村道坑洼无人修" not in html and "合作社分红不公开" in html
