"""Institutions (建章立制) through the pages: recorded with linked problems, a partner and a document checked
by its content; the register and a rule's page scoped; the story audited."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from echelon.core.models import AuditEvent
from echelon.ledger import services
from echelon.ledger.models import Institution
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def world(tree, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_campaign(tree.region)
    county = personas["county_office"]
    meetings = services.problem_create(
        actor=county, unit=tree.county, title="会议多、文件多", category="formalism", source="superior"
    )
    cars = services.problem_create(
        actor=county, unit=tree.county, title="公车私用", category="extravagance", source="public"
    )
    village = services.problem_create(
        actor=personas["village_secretary"],
        unit=tree.village,
        title="村务不公开",
        category="bureaucratism",
        source="public",
    )
    return {"tree": tree, "meetings": meetings, "cars": cars, "village": village}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _post(c: Client, tree, **extra):
    data = {
        "unit": tree.county.code,
        "title": "武川县精简会议文件的规定",
        "action": "made",
        "adopted_on": "2014-06-15",
        "summary": "县级会议一律控制在半天以内；<script>alert(1)</script>",
        "partners": tree.township.code,
        **extra,
    }
    return c.post(reverse("ledger:institution_new"), data)


def test_recorded_through_the_page_with_problems_a_partner_and_its_document(world, personas):
    tree = world["tree"]
    c = client_for(personas["county_office"])
    form = c.get(reverse("ledger:institution_new"), {"unit": tree.county.code})
    html = form.content.decode()
    assert form.status_code == 200 and "会议多、文件多" in html and "公车私用" in html
    assert "村务不公开" not in html  # only the unit's own problems are offered
    response = _post(
        c,
        tree,
        problems=[str(world["meetings"].pk)],
        document=SimpleUploadedFile("规定.pdf", PDF, content_type="application/pdf"),
    )
    institution = Institution.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "ledger:institution", args=[institution.pk]
    )
    assert institution.unit_id == tree.county.pk and institution.adopted_on == date(2014, 6, 15)
    assert list(institution.problems.all()) == [world["meetings"]]
    assert list(institution.partners.all()) == [tree.township]
    assert institution.document_name == "规定.pdf"
    event = AuditEvent.objects.get(verb="institution.record")
    assert event.actor == personas["county_office"] and event.object_id == str(institution.pk)
    assert event.after["problems"] == [world["meetings"].pk] and event.after["partners"] == [
        tree.township.code
    ]

    detail = c.get(reverse("ledger:institution", args=[institution.pk]))
    page = detail.content.decode()
    assert detail.status_code == 200 and "武川县精简会议文件的规定" in page
    assert "可可以力更镇" in page and "会议多、文件多" in page and "规定.pdf" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    download = c.get(reverse("ledger:institution_document", args=[institution.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]

    listing = c.get(reverse("ledger:institutions"), {"action": "made", "under": tree.county.code})
    assert "武川县精简会议文件的规定" in listing.content.decode()
    assert (
        "武川县精简会议文件的规定"
        not in c.get(reverse("ledger:institutions"), {"action": "revised"}).content.decode()
    )
    assert (
        "武川县精简会议文件的规定"
        not in c.get(reverse("ledger:institutions"), {"under": tree.township.code}).content.decode()
    )


def test_a_document_that_is_not_what_it_claims_is_refused(world, personas):
    tree = world["tree"]
    c = client_for(personas["county_office"])
    response = _post(
        c, tree, document=SimpleUploadedFile("规定.pdf", b"MZ\x90\x00 this is a program, not a PDF")
    )
    assert response.status_code == 400
    assert "文件类型" in response.content.decode() or "文件内容" in response.content.decode()
    assert not Institution.objects.exists()
    assert not AuditEvent.objects.filter(verb="institution.record").exists()
    renamed = _post(c, tree, document=SimpleUploadedFile("规定.docx", PDF))
    assert renamed.status_code == 400 and "扩展名" in renamed.content.decode()
    assert not Institution.objects.exists()


def test_form_errors_name_the_field(world, personas):
    tree = world["tree"]
    c = client_for(personas["county_office"])
    unknown = _post(c, tree, partners=f"{tree.township.code}，NO-SUCH {tree.sibling_county.code}")
    html = unknown.content.decode()
    assert unknown.status_code == 400 and "NO-SUCH" in html and tree.sibling_county.code in html
    dated = _post(c, tree, adopted_on="1999-01-01", partners="")
    assert dated.status_code == 400 and "印发日期" in dated.content.decode()
    assert not Institution.objects.exists()


def test_the_register_and_a_rule_are_scoped(world, personas):
    tree = world["tree"]
    institution = services.institution_record(
        actor=personas["county_office"],
        unit=tree.county,
        title="公务用车管理办法",
        action="revised",
        adopted_on=date(2014, 7, 1),
        problems=[world["cars"]],
        fileobj=SimpleUploadedFile("办法.pdf", PDF),
        name="办法.pdf",
    )
    outsider = client_for(personas["outsider"])
    assert outsider.get(reverse("ledger:institution", args=[institution.pk])).status_code == 404
    assert outsider.get(reverse("ledger:institution_document", args=[institution.pk])).status_code == 404
    assert "公务用车管理办法" not in outsider.get(reverse("ledger:institutions")).content.decode()
    assert outsider.get(reverse("ledger:institution_new"), {"unit": tree.county.code}).status_code == 404
    assert outsider.get(reverse("ledger:institutions"), {"under": tree.county.code}).status_code == 404
    # below the county: the rule is the county's, not theirs
    village = client_for(personas["village_secretary"])
    assert village.get(reverse("ledger:institution", args=[institution.pk])).status_code == 404
    # a leader at the county reads the register but records nothing
    leader = client_for(personas["liaison_leader"])
    assert "公务用车管理办法" in leader.get(reverse("ledger:institutions")).content.decode()
    assert leader.get(reverse("ledger:institution_document", args=[institution.pk])).status_code == 200
    assert leader.get(reverse("ledger:institution_new")).status_code == 403
    assert _post(leader, tree).status_code == 403
    # a supervisor at the county reads, but may not record either
    assert client_for(personas["county_supervisor"]).get(reverse("ledger:institution_new")).status_code == 403
    assert Institution.objects.count() == 1
