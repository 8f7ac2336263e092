"""Typical cases (典型案例, issue 12 item 7): nominated by a unit, reviewed by an office strictly above it
(never the nominator), published to the library of the reviewer's subtree, found by phase, action,
category, level and words, and linked beside each action of a unit's phase page."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from echelon.cases import selectors, services
from echelon.cases.models import Case, CaseFile, CaseStatus
from echelon.core.models import AuditEvent, Notification
from echelon.supervision.tests.helpers import make_campaign, part

PDF = b"%PDF-1.4\n% case\n"


@pytest.fixture
def campaign(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return make_campaign(tree.region)


def nominate(actor, campaign, unit, *, phase="prepare", action="mobilize", title="动员到户", files=()):
    return services.case_nominate(
        actor=actor,
        participation=part(campaign, unit),
        phase_key=phase,
        action_key=action,
        title=title,
        text="做法：……成效：……",
        files=files,
    )


def test_a_bad_upload_is_refused_and_nothing_is_written(campaign, tree, personas, tmp_path):
    secretary = personas["village_secretary"]
    events = AuditEvent.objects.count()
    fake = io.BytesIO(b"MZ\x90\x00this is a program")
    with pytest.raises(ValidationError) as exc:
        nominate(secretary, campaign, tree.village, files=[(io.BytesIO(PDF), "好.pdf"), (fake, "经验.pdf")])
    assert "经验.pdf" in exc.value.messages[0] and "不支持的文件类型" in exc.value.messages[0]
    renamed = io.BytesIO(PDF)
    with pytest.raises(ValidationError, match="扩展名"):
        nominate(secretary, campaign, tree.village, files=[(renamed, "经验.docx")])
    with pytest.raises(ValidationError, match="文件是空的"):
        nominate(secretary, campaign, tree.village, files=[(io.BytesIO(b""), "空.pdf")])
    assert Case.objects.count() == 0 and CaseFile.objects.count() == 0
    assert AuditEvent.objects.count() == events
    assert not (tmp_path / "cases").exists() or not any((tmp_path / "cases").rglob("*.*"))


def test_bad_input_is_refused_in_chinese(campaign, tree, personas):
    secretary = personas["village_secretary"]
    with pytest.raises(ValidationError, match="请选择案例所示范的环节"):
        nominate(secretary, campaign, tree.village, phase="nope")
    with pytest.raises(ValidationError, match="没有这个规定动作"):
        nominate(secretary, campaign, tree.village, phase="prepare", action="group")  # leadership only
    with pytest.raises(ValidationError, match="请填写案例标题"):
        nominate(secretary, campaign, tree.village, title="  ")
    with pytest.raises(PermissionDenied):
        nominate(personas["county_supervisor"], campaign, tree.village)
    with pytest.raises(PermissionDenied):
        nominate(secretary, campaign, tree.township)
    assert Case.objects.count() == 0


def test_review_by_the_nominator_or_a_unit_not_above_is_refused(campaign, tree, personas):
    office = personas["county_office"]
    # the county office nominates for a township of its own: it may not review its own nomination
    case = nominate(office, campaign, tree.township)
    with pytest.raises(PermissionDenied, match="推荐人不能审核"):
        services.case_publish(actor=office, case=case)
    # a county case: the county's own office is not above it; an office of another league sees nothing
    county_case = nominate(personas["county_operator"], campaign, tree.county)
    with pytest.raises(PermissionDenied, match="上级"):
        services.case_publish(actor=office, case=county_case)
    for name in ("outsider", "township_operator", "county_supervisor", "village_secretary"):
        with pytest.raises(PermissionDenied):
            services.case_return(actor=personas[name], case=county_case, comment="不行")
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.SUBMITTED}
    assert not AuditEvent.objects.filter(verb__in=["case.publish", "case.return"]).exists()
    # the league office, above both, publishes
    services.case_publish(actor=personas["league_office"], case=county_case, comment="推广")
    county_case.refresh_from_db()
    assert county_case.status == CaseStatus.PUBLISHED and county_case.library_unit == tree.league
    with pytest.raises(ValidationError, match="不在待审核状态"):
        services.case_return(actor=personas["league_office"], case=county_case, comment="再看看")


def test_an_unpublished_case_is_not_found_by_a_lower_unit_and_a_published_one_is(
    campaign, tree, personas, client
):
    county_case = nominate(
        personas["county_operator"], campaign, tree.county, files=[(io.BytesIO(PDF), "a.pdf")]
    )
    file_id = county_case.files.get().pk
    client.force_login(personas["village_secretary"])
    for url in (
        reverse("cases:case", args=[county_case.pk]),
        reverse("cases:file", args=[file_id]),
        f"/api/v1/cases/{county_case.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    library = reverse("cases:library", args=[campaign.pk])
    assert "动员到户" not in client.get(library).content.decode()
    services.case_publish(actor=personas["league_office"], case=county_case)
    assert client.get(reverse("cases:case", args=[county_case.pk])).status_code == 200
    assert client.get(reverse("cases:file", args=[file_id])).status_code == 200
    assert "动员到户" in client.get(library).content.decode()
    # a unit of another league does not see the 呼和浩特市 library
    client.force_login(personas["outsider"])
    assert client.get(reverse("cases:case", args=[county_case.pk])).status_code == 404


def test_return_edit_and_publish_with_audit_and_notices(campaign, tree, personas, client):
    secretary, office = personas["village_secretary"], personas["county_office"]
    case = nominate(secretary, campaign, tree.village)
    client.force_login(office)
    assert "动员到户" in client.get(reverse("cases:queue")).content.decode()
    assert "待您审核的典型案例" in client.get(reverse("home")).content.decode()
    r = client.post(reverse("cases:return", args=[case.pk]), {"comment": ""})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED  # a return needs a comment
    client.post(reverse("cases:return", args=[case.pk]), {"comment": "请补充成效数据"})
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED and case.review_comment == "请补充成效数据"
    assert Notification.objects.filter(user=secretary, kind="returned").exists()
    client.force_login(secretary)
    page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert "请补充成效数据" in page
    r = client.post(
        reverse("cases:edit", args=[case.pk]),
        {"where": "prepare|mobilize", "title": "动员到户，成效显著", "text": "参会率 98%。"},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.title == "动员到户，成效显著"
    services.case_publish(actor=office, case=case, comment="好")
    with pytest.raises(ValidationError, match="已发布"):
        services.case_update(actor=secretary, case=case, title="改", text="改", phase_key="prepare")
    verbs = list(
        AuditEvent.objects.filter(object_id=str(case.pk), object_type="cases.case").values_list(
            "verb", flat=True
        )
    )
    assert sorted(verbs) == ["case.create", "case.publish", "case.return", "case.update"]


def test_the_library_filters_and_the_link_beside_the_action(campaign, tree, personas, client):
    office = personas["county_office"]
    township = nominate(personas["township_operator"], campaign, tree.township, title="分片动员")
    study = nominate(
        personas["township_operator"],
        campaign,
        tree.township,
        phase="study",
        action="study",
        title="夜校学习",
    )
    community = nominate(personas["township_operator"], campaign, tree.township, title="未审核的案例")
    for case in (township, study):
        services.case_publish(actor=office, case=case)
    assert community.status == CaseStatus.SUBMITTED
    secretary = personas["village_secretary"]
    f = selectors.Filters

    def titles(**kw):
        return sorted(c.title for c in selectors.library(secretary, campaign, f(**kw)))

    assert titles() == ["分片动员", "夜校学习"]
    assert titles(phase="prepare", action="mobilize") == ["分片动员"]
    assert titles(category="leadership", level="4") == ["分片动员", "夜校学习"]
    assert titles(category="village") == [] and titles(level="5") == []
    assert titles(q="夜校") == ["夜校学习"] and titles(q="可可以力更") == ["分片动员", "夜校学习"]
    # the village's phase page: 典型案例 (1) beside 召开党员大会进行动员, linking to that phase and action
    client.force_login(secretary)
    page = client.get(reverse("supervision:unit", args=[campaign.pk, tree.village.code])).content.decode()
    link = selectors.library_url(campaign.pk, "prepare", "mobilize").replace("&", "&amp;")
    assert f'href="{link}"' in page and "典型案例 (1)" in page
    assert "典型案例 (0)" in page  # the other action (plan) has none yet
    r = client.get(selectors.library_url(campaign.pk, "prepare", "mobilize"))
    assert "分片动员" in r.content.decode() and "夜校学习" not in r.content.decode()
