"""Typed meetings and the review screen (issue 10, items 3 and 4): the action fixes the meeting's type (the
template's ``meeting:``), each type asks only its own fields, sign-in sheets and photos are checked and
stored whole or not at all; the review screen shows the meeting and the materials in the page, and serves
the files inline only to users who see the unit. Through the services, the pages and the API."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from echelon.campaigns import specs
from echelon.core import audit
from echelon.core.models import AuditEvent
from echelon.supervision import services
from echelon.supervision.models import Material, Meeting, MeetingAttachment, MeetingType
from echelon.supervision.tests import files
from echelon.supervision.tests.helpers import PREPARED, group, make_campaign, part, user
from echelon.supervision.tests.test_gates import meeting, upload

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
API = "/api/v1/supervision"
BASE = {"date": TODAY, "place": "村委会", "attendees": "张三、李四、王五", "minutes": "学习党章。"}


def client_for(u) -> Client:
    c = Client()
    c.force_login(u)
    return c


def stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def study(tree, personas, settings, tmp_path):
    """The village in its study phase (组织党员学习 needs a meeting), with the township's instructor."""
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    instructor = user("instructor")
    g = group(campaign, tree.township, "可可以力更镇指导员", members=(instructor,), kind="instructor")
    p = part(campaign, tree.village)
    services.assign(actor=None, group=g, participation=p)
    secretary = personas["village_secretary"]
    upload(secretary, p, 0, "plan")
    meeting(secretary, p, 0, "mobilize")
    services.gate_submit(actor=secretary, participation=p, day=PREPARED)
    p.refresh_from_db()
    return p, secretary, instructor, tmp_path


def record(actor, p, data, key="", attachments=()):
    return services.meeting_record(
        actor=actor,
        participation=p,
        phase=p.current_phase,
        data=data,
        action_key=key,
        attachments=attachments,
    )


# --- template data -----------------------------------------------------------------------------------------


def test_the_template_fixes_each_meeting_actions_type():
    spec = specs.load_file(specs.BUILTIN_DIR / "mass_line_2014_nmg.yaml")
    fixed = {
        (phase.key, category, a.key): a.meeting_types
        for phase in spec.phases
        for category, actions in phase.actions.items()
        for a in actions
        if a.evidence == "meeting"
    }
    assert all(fixed.values()), [k for k, v in fixed.items() if not v]
    assert fixed[("study", "village", "study")] == ("study",)
    assert fixed[("prepare", "village", "mobilize")] == ("mobilization",)
    assert fixed[("examine", "unit", "meeting")] == ("democratic_life", "org_life")
    assert fixed[("examine", "village", "appraisal")] == ("appraisal",)
    assert set(specs.MEETING_TYPES) == set(MeetingType.values)


def _with_action(action: dict) -> dict:
    path = specs.BUILTIN_DIR / "mass_line_2014_nmg.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["phases"][0]["actions"]["village"][0] = action
    return raw


@pytest.mark.parametrize(
    "action, message",
    [
        ({"key": "plan", "name": "方案", "evidence": "material", "meeting": "study"}, "不能指定会议类型"),
        ({"key": "m", "name": "会", "evidence": "meeting", "meeting": "picnic"}, "会议类型“picnic”未知"),
        ({"key": "m", "name": "会", "evidence": "meeting", "meeting": {"a": 1}}, "类型列表"),
    ],
)
def test_a_template_with_a_wrong_meeting_type_is_refused_in_chinese(action, message):
    with pytest.raises(specs.TemplateError) as exc:
        specs.validate(_with_action(action))
    assert any(message in e for e in exc.value.errors), exc.value.errors


def test_a_listed_meeting_type_survives_normalisation():
    raw = _with_action({"key": "m", "name": "会", "evidence": "meeting", "meeting": ["study", "other"]})
    spec = specs.validate(raw)
    assert spec.data["phases"][0]["actions"]["village"][0]["meeting"] == ["study", "other"]
    assert specs.validate({k: v for k, v in spec.data.items() if k != "format"}).data == spec.data


# --- the service -------------------------------------------------------------------------------------------


def test_the_action_gives_the_meeting_its_type(study):
    p, secretary, _i, _root = study
    m = record(secretary, p, BASE, key="study")
    assert m.type == MeetingType.STUDY


def test_a_mobilization_is_no_evidence_of_the_party_members_study(study):
    """The issue's case: a village's 组织党员学习 accepted a 动员大会 as evidence."""
    p, secretary, _i, _root = study
    events = AuditEvent.objects.count()
    before = Meeting.objects.count()
    with pytest.raises(ValidationError) as exc:
        record(secretary, p, {**BASE, "type": "mobilization"}, key="study")
    assert "“组织党员学习”要的是集中学习的记录，不能用动员大会。" in exc.value.messages
    assert Meeting.objects.count() == before and AuditEvent.objects.count() == events


def test_a_type_the_action_does_not_fix_must_be_chosen(study):
    p, secretary, _i, _root = study
    with pytest.raises(ValidationError, match="请选择会议类型"):
        record(secretary, p, BASE)  # no action: any type, but one must be given
    assert record(secretary, p, {**BASE, "type": "other"}).type == "other"


def test_only_the_appraisal_asks_for_its_counts(study):
    p, secretary, _i, _root = study
    with pytest.raises(ValidationError) as exc:
        record(secretary, p, {**BASE, "rated_good": 3}, key="study")
    assert "集中学习不填写评为“好”" in exc.value.messages[0]
    assert not Meeting.objects.filter(phase=1).exists()


@pytest.mark.parametrize(
    "counts, message",
    [
        ({"present": 10, "rated_good": 8, "rated_fair": 2, "rated_poor": 1}, "共 11 人，超过实到人数 10 人"),
        ({"rated_good": 8, "rated_fair": 2, "rated_poor": 0}, "请填写实到人数"),
        ({"present": 10, "rated_good": 8}, "请填写评为“好”“一般”“差”的人数"),
        ({"present": -1, "rated_good": 0, "rated_fair": 0, "rated_poor": 0}, "实到人数须是 0～100000"),
    ],
)
def test_the_appraisals_counts_are_limited_by_the_people_present(study, counts, message):
    p, secretary, _i, _root = study
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        record(secretary, p, {**BASE, "type": "appraisal", **counts})
    assert message in "".join(exc.value.messages)
    assert not Meeting.objects.filter(phase=1).exists() and AuditEvent.objects.count() == events


def test_an_appraisal_within_the_people_present_is_kept(study):
    p, secretary, _i, _root = study
    m = record(
        secretary,
        p,
        {**BASE, "type": "appraisal", "present": 23, "rated_good": 20, "rated_fair": 3, "rated_poor": 0},
    )
    assert (m.present, m.rated_good, m.rated_fair, m.rated_poor) == (23, 20, 3, 0)


def test_sign_in_sheets_and_photos_are_stored_with_the_meeting(study):
    p, secretary, _i, root = study
    m = record(
        secretary,
        p,
        {**BASE, "present": 12},
        key="study",
        attachments=[
            ("sign_in", io.BytesIO(files.png()), "签到表.png"),
            ("sign_in", io.BytesIO(files.pdf()), "签到表（续）.pdf"),
            ("photo", io.BytesIO(b"\xff\xd8\xff\xe0" + b"0" * 64), "现场.JPEG"),
        ],
    )
    rows = list(m.attachments.order_by("id"))
    assert [(r.kind, r.file_type) for r in rows] == [("sign_in", "png"), ("sign_in", "pdf"), ("photo", "jpg")]
    assert [r.original_name for r in m.sign_in_sheets] == ["签到表.png", "签到表（续）.pdf"]
    assert all((root / r.file.name).is_file() for r in rows)
    assert rows[0].path == p.path
    event = AuditEvent.objects.filter(verb="meeting.record").latest("id")
    assert [a["name"] for a in event.after["attachments"]] == ["签到表.png", "签到表（续）.pdf", "现场.JPEG"]


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "签到表.png",
            b"GIF89a" + b"0" * 20,
            "签到表“签到表.png”的类型不支持：签到表和照片只能是图片（PNG、JPG）或 PDF。",
        ),
        ("签到表.jpg", b"<html><script>alert(1)</script></html>", "类型不支持"),
        ("签到表.pdf", files.png(8, 8), "内容是 PNG，但扩展名是“.pdf”"),
        ("签到表.png", b"", "是空文件"),
        ("签到表.png", files.png(64, 64, ruled=False) + b"\0" * 3000, "过大"),
    ],
)
def test_a_bad_attachment_is_refused_and_nothing_is_written(study, settings, name, content, message):
    settings.ECHELON_MAX_ATTACHMENT_BYTES = 2000
    p, secretary, _i, root = study
    files_before = stored(root)
    events = AuditEvent.objects.count()
    good = ("photo", io.BytesIO(files.png(8, 8)), "照片.png")
    with pytest.raises(ValidationError) as exc:
        record(
            secretary,
            p,
            {**BASE, "present": 9},
            key="study",
            attachments=[good, ("sign_in", io.BytesIO(content), name)],
        )
    assert message in "".join(exc.value.messages)
    assert not Meeting.objects.filter(phase=1).exists() and not MeetingAttachment.objects.exists()
    assert stored(root) == files_before and AuditEvent.objects.count() == events


def test_a_failure_after_the_files_were_written_takes_them_away(study, monkeypatch):
    p, secretary, _i, root = study
    files_before = stored(root)

    def broken(**kw):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        record(
            secretary,
            p,
            BASE,
            key="study",
            attachments=[("sign_in", io.BytesIO(files.png(8, 8)), "签到表.png")],
        )
    assert not Meeting.objects.filter(phase=1).exists() and not MeetingAttachment.objects.exists()
    assert stored(root) == files_before


# --- pages -------------------------------------------------------------------------------------------------


def test_the_meeting_form_asks_only_the_types_fields_with_labels(study):
    p, secretary, _i, _root = study
    services.own_action_add(
        actor=None, participation=p, phase=1, title="召开村民代表座谈会", evidence="meeting"
    )
    page = client_for(secretary).get(reverse("supervision:unit", args=[p.campaign_id, p.unit.code]))
    html = page.content.decode()
    study_form = html.split('data-action="study"')[1].split("</li>")[0]
    assert 'data-testid="meeting-type">集中学习<' in study_form and 'name="type" value="study"' in study_form
    assert "rated_good" not in study_form and "placeholder" not in study_form
    assert 'for="m-study-place">地点</label>' in study_form and 'name="sign_in"' in study_form
    own_form = html.split('data-action="own:')[1].split("</li>")[0]
    assert (
        '<option value="appraisal">' in own_form and "rated_good" in own_form
    )  # any type: shown for the appraisal


def test_the_meeting_page_takes_the_sign_in_sheet_and_refuses_a_bad_one(study):
    p, secretary, _i, _root = study
    url = reverse("supervision:unit_meeting", args=[p.campaign_id, p.unit.code])
    data = {
        "action": "study",
        "date": TODAY.isoformat(),
        "half_day": "pm",
        "place": "村委会",
        "attendees": "全体党员",
        "present": "9",
    }
    bad = client_for(secretary).post(
        url, {**data, "sign_in": SimpleUploadedFile("签到表.png", b"GIF89a000")}, follow=True
    )
    assert any("类型不支持" in str(m) for m in bad.context["messages"])
    assert not Meeting.objects.filter(phase=1).exists()
    ok = client_for(secretary).post(
        url,
        {
            **data,
            "sign_in": [SimpleUploadedFile("签到表.png", files.png(8, 8))],
            "photos": [SimpleUploadedFile("a.pdf", files.pdf())],
        },
    )
    assert ok.status_code == 302
    m = Meeting.objects.get(phase=1)
    assert m.type == "study" and m.half_day == "pm" and m.present == 9
    assert sorted(a.kind for a in m.attachments.all()) == ["photo", "sign_in"]


@pytest.fixture
def submitted(study):
    """The study phase recorded (a meeting with a sign-in sheet and a PDF photo, a Word material with a
    hostile link) and submitted: an open review for the instructor."""
    p, secretary, instructor, _root = study
    record(
        secretary,
        p,
        {**BASE, "present": 12, "minutes": "学习党章。\n交流体会。"},
        key="study",
        attachments=[
            ("sign_in", io.BytesIO(files.png(8, 8)), "签到表.png"),
            ("photo", io.BytesIO(files.pdf()), "照片.pdf"),
        ],
    )
    material = upload(
        secretary, p, 1, "opinions", content=files.docx(link="javascript:alert(1)"), name="意见.docx"
    )
    review = services.gate_submit(actor=secretary, participation=p)
    return p, secretary, instructor, review, material


def test_the_review_screen_shows_the_meeting_and_the_materials_in_the_page(submitted, personas):
    _p, _s, instructor, review, _material = submitted
    html = client_for(instructor).get(reverse("supervision:review", args=[review.pk])).content.decode()
    m = Meeting.objects.get(phase=1)
    sign_in, photo = m.sign_in_sheets[0], m.photos[0]
    assert "张三、李四、王五" in html and "交流体会。" in html and "实到 12 人" in html
    sheet_url = reverse("supervision:meeting_file", args=[sign_in.pk])
    photo_url = reverse("supervision:meeting_file", args=[photo.pk])
    assert f'<img class="img-fluid rounded border" src="{sheet_url}"' in html
    assert f'<iframe class="pdf-frame" src="{photo_url}#view' in html
    assert "<h1>征求意见汇总</h1>" in html and "梳理意见建议 23 条" in html
    assert "javascript:" not in html and "<script>alert" not in html
    # labelled per-check choices and the decision bar
    assert html.count('class="choice choice-pass"') == 4  # three checks and the decision
    assert 'for="id_note_thinking">对“思想关”的意见</label>' in html
    assert 'data-testid="decision-bar"' in html and 'id="decision-return"' in html


def test_the_files_are_served_inline_and_framed_only_by_our_pages(submitted, personas, tree):
    _p, secretary, instructor, review, _material = submitted
    m = Meeting.objects.get(phase=1)
    sheet = m.sign_in_sheets[0]
    r = client_for(instructor).get(reverse("supervision:meeting_file", args=[sheet.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert r["Content-Disposition"].startswith("inline") and r["X-Frame-Options"] == "SAMEORIGIN"
    assert (
        "frame-ancestors 'self'" in r["Content-Security-Policy"]
        and "default-src 'none'" in r["Content-Security-Policy"]
    )
    assert r.getvalue() == files.png(8, 8)
    download = client_for(secretary).get(reverse("supervision:meeting_file", args=[sheet.pk]) + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    page = client_for(instructor).get(reverse("supervision:review", args=[review.pk]))
    assert page["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in page["Content-Security-Policy"]
    # outside the subtree: 404
    assert (
        client_for(personas["outsider"]).get(reverse("supervision:meeting_file", args=[sheet.pk])).status_code
        == 404
    )


def test_a_pdf_material_is_shown_inline_and_a_word_one_only_as_html(submitted, personas):
    p, _secretary, instructor, _review, docx_material = submitted
    assert (
        client_for(instructor).get(reverse("supervision:material_view", args=[docx_material.pk])).status_code
        == 404
    )
    plan = Material.objects.get(participation=p, phase=0, action_key="plan")
    r = client_for(instructor).get(reverse("supervision:material_view", args=[plan.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("inline") and r["X-Frame-Options"] == "SAMEORIGIN"
    assert (
        client_for(personas["outsider"]).get(reverse("supervision:material_view", args=[plan.pk])).status_code
        == 404
    )


# --- the API ------------------------------------------------------------------------------------------------


def test_the_api_records_a_typed_meeting_with_attachments_and_lists_it(study):
    p, secretary, _i, _root = study
    url = f"{API}/campaigns/{p.campaign_id}/units/{p.unit.code}/meeting/"
    c = client_for(secretary)
    wrong = c.post(
        url,
        json.dumps({**BASE, "date": TODAY.isoformat(), "action": "study", "type": "mobilization"}),
        content_type="application/json",
    )
    assert wrong.status_code == 400 and "不能用动员大会" in wrong.content.decode()
    bad = c.post(
        url,
        {
            "action": "study",
            "date": TODAY.isoformat(),
            "place": "村委会",
            "attendees": "全体党员",
            "sign_in": [SimpleUploadedFile("x.png", b"GIF89a0")],
        },
    )
    assert (
        bad.status_code == 400
        and "类型不支持" in bad.content.decode()
        and not MeetingAttachment.objects.exists()
    )
    r = c.post(
        url,
        {
            "action": "study",
            "date": TODAY.isoformat(),
            "place": "村委会",
            "attendees": "全体党员",
            "present": "9",
            "sign_in": [SimpleUploadedFile("签到表.png", files.png(8, 8))],
            "photos": [
                SimpleUploadedFile("照片.pdf", files.pdf()),
                SimpleUploadedFile("照片2.png", files.png(8, 8)),
            ],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["type"] == "study" and body["present"] == 9 and body["rated_good"] is None
    assert [(a["kind"], a["file_type"]) for a in body["attachments"]] == [
        ("photo", "pdf"),
        ("photo", "png"),
        ("sign_in", "png"),
    ]
    assert body["attachments"][2]["url"] == reverse(
        "supervision:meeting_file", args=[body["attachments"][2]["id"]]
    )
    listed = c.get(url).json()
    assert listed[0]["id"] == body["id"] and len(listed[0]["attachments"]) == 3


def test_the_schema_describes_the_typed_meeting_and_its_attachments(personas):
    text = client_for(personas["county_office"]).get("/api/schema/").content.decode()
    for word in ("MeetingUpload", "MeetingAttachment", "present", "sign_in", "photos"):
        assert word in text, word
