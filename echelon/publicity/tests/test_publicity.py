"""Publicity (公示, issue 12 item 4): a unit's notice is drafted, submitted (frozen, personal data masked),
approved by the level above and then public for the template's days; withdrawn with a reason; every step
audited; publication without the level above's approval refused in Chinese, with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from echelon.campaigns import specs
from echelon.core.models import AuditEvent
from echelon.ledger import services as ledger
from echelon.publicity import selectors, services
from echelon.publicity.masking import mask, names_in_contacts
from echelon.publicity.models import Publication, PublicationStatus
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

PROMISES = {"items": ["每月 5 日公开村务财务", "群众反映的问题 7 日内答复"]}


@pytest.fixture
def campaign(tree):
    return make_campaign(tree.region)


def _problem(personas, tree, **kw):
    fields = {"title": "路灯坏了没人修", "category": "bureaucratism", "source": "public"}
    return ledger.problem_create(actor=personas["village_secretary"], unit=tree.village, **{**fields, **kw})


def _published(personas, tree, kind="promises", content=None):
    secretary = personas["village_secretary"]
    content = content if content is not None else (PROMISES if kind == "promises" else None)
    p = services.publication_create(actor=secretary, unit=tree.village, kind=kind, content=content)
    services.publication_submit(actor=secretary, publication=p)
    return services.publication_approve(actor=personas["township_operator"], publication=p)


def _verbs(p: Publication) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="publicity.publication", object_id=str(p.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_draft_submit_approve_publishes_for_the_templates_days(tree, personas, campaign):
    secretary = personas["village_secretary"]
    p = services.publication_create(actor=secretary, unit=tree.village, kind="promises", content=PROMISES)
    assert p.title == "东土城村承诺事项公示" and p.status == PublicationStatus.DRAFT
    assert selectors.public_items(tree.village) == []
    services.publication_submit(actor=secretary, publication=p)
    assert selectors.public_items(tree.village) == []  # waiting for the level above: not public
    services.publication_approve(actor=personas["township_operator"], publication=p)
    p.refresh_from_db()
    today = timezone.localdate()
    assert p.status == PublicationStatus.PUBLISHED and p.days == 7  # the template's publicity.days
    assert (p.starts_on, p.ends_on) == (today, today + timedelta(days=6))
    [item] = selectors.public_items(tree.village)
    assert item.snapshot == PROMISES and item.kind_label == "承诺事项"
    # the period over: gone from the public side
    assert selectors.public_items(tree.village, today + timedelta(days=7)) == []
    assert _verbs(p) == ["publication.create", "publication.submit", "publication.approve"]


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("village_secretary", "起草或提交公示的人不能审核自己的公示"),  # the requester
        ("county_supervisor", "公示须经上一级审核同意"),  # above, but may not change
    ],
)
def test_publication_without_the_level_above_is_refused(tree, personas, campaign, who, message):
    secretary = personas["village_secretary"]
    p = services.publication_create(actor=secretary, unit=tree.village, kind="promises", content=PROMISES)
    services.publication_submit(actor=secretary, publication=p)
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied, match=message):
        services.publication_approve(actor=personas[who], publication=p)
    p.refresh_from_db()
    assert p.status == PublicationStatus.SUBMITTED and p.starts_on is None
    assert AuditEvent.objects.count() == events and selectors.public_items(tree.village) == []


def test_a_unit_never_approves_its_own_publicity(tree, personas, campaign):
    """Another person of the unit itself (not the requester) is still not the level above."""
    from echelon.accounts import services as accounts

    colleague = accounts.user_create(actor=None, username="colleague", password=None)
    accounts.grant_add(actor=None, user=colleague, unit=tree.village, role="operator")
    p = services.publication_create(
        actor=personas["village_secretary"], unit=tree.village, kind="promises", content=PROMISES
    )
    services.publication_submit(actor=personas["village_secretary"], publication=p)
    with pytest.raises(PermissionDenied, match="本单位不能自行公示"):
        services.publication_approve(actor=colleague, publication=p)


def test_a_draft_is_never_published_without_being_submitted(tree, personas, campaign):
    p = services.publication_create(
        actor=personas["village_secretary"], unit=tree.village, kind="promises", content=PROMISES
    )
    with pytest.raises(ValidationError, match="未经审核不能公示"):
        services.publication_approve(actor=personas["township_operator"], publication=p)
    p.refresh_from_db()
    assert p.status == PublicationStatus.DRAFT and selectors.public_items(tree.village) == []


def test_bad_input_is_refused_in_chinese_with_nothing_written(tree, personas, campaign):
    secretary = personas["village_secretary"]
    with pytest.raises(ValidationError, match="未知的公示内容"):
        services.publication_create(actor=secretary, unit=tree.village, kind="gossip")
    with pytest.raises(ValidationError, match="请至少填写一条承诺事项"):
        services.publication_create(
            actor=secretary, unit=tree.village, kind="promises", content={"items": [" "]}
        )
    with pytest.raises(PermissionDenied):
        services.publication_create(actor=secretary, unit=tree.township, kind="promises", content=PROMISES)
    assert not Publication.objects.exists()


def test_the_public_copy_is_frozen_at_submission(tree, personas, campaign):
    problem = _problem(personas, tree)
    secretary = personas["village_secretary"]
    p = services.publication_create(actor=secretary, unit=tree.village, kind="problems")
    services.publication_submit(actor=secretary, publication=p)
    # the ledger changes after submission: the approved notice stays what the approver read
    ledger.problem_update(actor=secretary, problem=problem, title="路灯已列入改造计划")
    _problem(personas, tree, title="新发现的问题")
    services.publication_approve(actor=personas["township_operator"], publication=p)
    [item] = selectors.public_items(tree.village)
    assert [i["title"] for i in item.snapshot["items"]] == ["路灯坏了没人修"]
    assert item.snapshot["counts"]["problems"] == 1


def test_problems_with_progress_and_results(tree, personas, campaign):
    secretary = personas["village_secretary"]
    problem = _problem(personas, tree, owner="王书记")
    task = ledger.task_add(
        actor=secretary, problem=problem, measure="更换路灯三盏", responsible="李会计", deadline=campaign.end
    )
    ledger.task_claim(actor=secretary, task=task, note="已更换路灯三盏，村民张三家门口也装了")
    ledger.task_decide(actor=personas["county_office"], task=task, decision="accept", note="")
    _problem(personas, tree, title="村务公开不及时")
    _published(personas, tree, kind="problems")
    _published(personas, tree, kind="results")
    items = {i.kind: i.snapshot for i in selectors.public_items(tree.village)}
    problems = items["problems"]
    assert problems["counts"] == {"problems": 2, "done": 1, "tasks": 1, "tasks_done": 1}
    assert problems["items"][0]["tasks"][0]["measure"] == "更换路灯三盏"
    text = repr(items)
    assert "王书记" not in text and "李会计" not in text  # who is responsible stays inside
    assert items["results"]["items"][0]["results"] == ["已更换路灯三盏，村民张某家门口也装了"]


def test_personal_data_is_masked(tree, personas, campaign):
    opinion = ledger.opinion_submit_public(
        actor=AnonymousUser(),
        unit_code=tree.village.code,
        text="低保评定不公开，希望张榜。",
        contact="赵秀兰 13912345678",
    )
    _problem(
        personas,
        tree,
        title="低保评定不公开",
        description="赵秀兰反映：低保评定不公开，电话 139 1234 5678，身份证 15012519800101123X。",
        opinions=[opinion],
    )
    _published(personas, tree, kind="problems")
    [item] = selectors.public_items(tree.village)
    description = item.snapshot["items"][0]["description"]
    assert description == "赵某某反映：低保评定不公开，电话 139****5678，身份证 150125********123X。"


def test_masking_rules():
    names = names_in_contacts(["王先生 0471-6912345", "刘建国", "微信 abc"])
    assert names == {"刘建国"}
    assert mask("刘建国说", names) == "刘某某说"
    assert mask("牧民巴特尔反映草场问题") == "牧民巴特尔反映草场问题"  # not a common Han surname: left
    assert mask("户主李秀英家院墙倒了") == "户主李某某家院墙倒了"
    assert mask("座机0471-6912345，邮箱 li.xiu@example.cn") == "座机0471-****2345，邮箱 l***@example.cn"
    assert mask("编号 2014000100020003000") == "编号 2014000100020003000"  # 19 digits: no ID number
    assert mask("群众反映强烈") == "群众反映强烈"


def test_withdrawal_needs_a_reason_and_is_audited(tree, personas, campaign):
    p = _published(personas, tree)
    with pytest.raises(ValidationError, match="撤回理由"):
        services.publication_withdraw(actor=personas["village_secretary"], publication=p, reason=" ")
    assert selectors.public_items(tree.village)
    services.publication_withdraw(
        actor=personas["village_secretary"], publication=p, reason="内容有误，重新公示"
    )
    p.refresh_from_db()
    assert p.status == PublicationStatus.WITHDRAWN and p.withdraw_reason == "内容有误，重新公示"
    assert selectors.public_items(tree.village) == []
    event = AuditEvent.objects.filter(verb="publication.withdraw").get()
    assert event.after == {"reason": "内容有误，重新公示"} and event.unit_path == tree.village.path
    with pytest.raises(ValidationError, match="只有已公示的内容可以撤回"):
        services.publication_withdraw(actor=personas["village_secretary"], publication=p, reason="再撤")


def test_a_returned_notice_is_a_draft_again_and_refrozen(tree, personas, campaign):
    secretary = personas["village_secretary"]
    p = services.publication_create(actor=secretary, unit=tree.village, kind="promises", content=PROMISES)
    services.publication_submit(actor=secretary, publication=p)
    services.publication_return(actor=personas["township_operator"], publication=p, note="承诺要具体")
    p.refresh_from_db()
    assert p.status == PublicationStatus.DRAFT and p.snapshot is None and p.return_note == "承诺要具体"
    services.publication_update(actor=secretary, publication=p, content={"items": ["每周一接待群众"]})
    services.publication_submit(actor=secretary, publication=p)
    services.publication_approve(actor=personas["county_office"], publication=p)
    assert selectors.public_items(tree.village)[0].snapshot == {"items": ["每周一接待群众"]}


def test_the_template_sets_the_period():
    path = next(p for p in specs.builtin_files() if p.name == "mass_line_2014_nmg.yaml")
    text = path.read_text(encoding="utf-8")
    assert "publicity:\n  days: 7" in text and specs.load(text).publicity_days == 7
    assert specs.load(text.replace("publicity:\n  days: 7", "publicity:\n  days: 3")).publicity_days == 3
    with pytest.raises(specs.TemplateError, match="公示期"):
        specs.load(text.replace("publicity:\n  days: 7", "publicity:\n  days: 0"))
    # a template without the section: the default period
    assert specs.load(text.replace("publicity:\n  days: 7", "")).publicity_days == 7
    assert all(specs.load_file(p).data["publicity"]["days"] >= 1 for p in specs.builtin_files())
