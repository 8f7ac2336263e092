"""The import/export pages through the real views, with the personas: scope, CSRF, preview then confirm."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from echelon.conftest import make_member, make_unit
from echelon.core import jobs
from echelon.core.models import AuditEvent, Job
from echelon.orgs.models import Kind, Level, Member, Unit
from echelon.orgs.tests.test_imports import MEMBER_HEADER, UNIT_HEADER, csv_bytes, member_row, unit_row
from echelon.orgs.views import io as io_views


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def as_user(client, personas):
    def login(name: str) -> Client:
        client.force_login(personas[name])
        return client

    return login


def upload(client: Client, unit_code: str, kind: str, content: bytes, name: str = "data.csv"):
    return client.post(
        reverse("orgs:io_import", args=[unit_code]),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
    )


def members_csv(*rows) -> bytes:
    return csv_bytes(MEMBER_HEADER, list(rows)).getvalue()


@pytest.mark.django_db
class TestAccess:
    def test_anonymous_is_sent_to_login(self, client, tree):
        for url in (
            reverse("orgs:io", args=["150125"]),
            reverse("orgs:io_export", args=["150125", "members", "csv"]),
        ):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_outsider_gets_404_everywhere(self, as_user, tree):
        client = as_user("outsider")
        assert client.get(reverse("orgs:io", args=["150125"])).status_code == 404
        assert client.get(reverse("orgs:io_export", args=["150125", "members", "csv"])).status_code == 404
        assert client.get(reverse("orgs:io_export", args=["150125", "units", "xlsx"])).status_code == 404
        response = upload(client, "150125", "members", members_csv(member_row("M1")))
        assert response.status_code == 404
        assert not Member.objects.exists() and not Job.objects.exists()

    def test_liaison_leader_has_no_io(self, as_user, tree):
        client = as_user("liaison_leader")  # view and attend only
        assert client.get(reverse("orgs:unit", args=["150125"])).status_code == 200
        assert client.get(reverse("orgs:io", args=["150125"])).status_code == 404
        assert b'data-testid="io-link"' not in client.get(reverse("orgs:unit", args=["150125"])).content

    def test_supervisor_may_export_not_import(self, as_user, tree):
        client = as_user("county_supervisor")
        page = client.get(reverse("orgs:io", args=["150125"]))
        assert page.status_code == 200
        assert b'data-testid="io-export"' in page.content and b'data-testid="io-import"' not in page.content
        assert client.get(reverse("orgs:io_export", args=["150125", "units", "csv"])).status_code == 200
        assert upload(client, "150125", "members", members_csv(member_row("M1"))).status_code == 404

    def test_unit_page_links_to_io(self, as_user, tree):
        page = as_user("county_office").get(reverse("orgs:unit", args=["150125"]))
        assert b'data-testid="io-link"' in page.content

    def test_upload_needs_csrf(self, personas, tree):
        client = Client(enforce_csrf_checks=True)
        client.force_login(personas["county_office"])
        response = client.post(
            reverse("orgs:io_import", args=["150125"]),
            {"kind": "members", "file": SimpleUploadedFile("m.csv", members_csv(member_row("M1")))},
        )
        assert response.status_code == 403
        page = client.get(reverse("orgs:io", args=["150125"]))
        assert b"csrfmiddlewaretoken" in page.content

    def test_unknown_kind_or_format_is_404(self, as_user, tree):
        client = as_user("county_office")
        assert client.get(reverse("orgs:io_export", args=["150125", "users", "csv"])).status_code == 404
        assert client.get(reverse("orgs:io_export", args=["150125", "members", "pdf"])).status_code == 404


@pytest.mark.django_db
class TestImportFlow:
    def test_upload_preview_confirm_done(self, as_user, tree):
        client = as_user("county_office")
        content = members_csv(member_row("M1"), member_row("M2", "150125001001"))
        response = upload(client, "150125", "members", content)
        assert response.status_code == 302
        validate = Job.objects.get(params__mode="validate")
        assert response["Location"] == reverse("orgs:io_import_job", args=["150125", validate.pk])
        assert validate.status == Job.Status.SUCCEEDED  # small file: validated within the request
        preview = client.get(response["Location"])
        assert preview.status_code == 200
        text = preview.content.decode()
        assert 'data-testid="count-created">2<' in text and 'data-testid="confirm-import"' in text
        assert not Member.objects.exists()  # nothing written before the confirmation
        done = client.post(response["Location"])
        apply = Job.objects.get(params__mode="apply")
        assert done["Location"] == reverse("orgs:io_import_job", args=["150125", apply.pk])
        assert apply.status == Job.Status.SUCCEEDED and apply.result["created"] == 2
        assert set(Member.objects.values_list("code", flat=True)) == {"M1", "M2"}
        assert AuditEvent.objects.filter(verb="member.import").count() == 1
        page = client.get(done["Location"]).content.decode()
        assert 'data-testid="import-done"' in page and "新增 2" in page
        # confirming twice does not apply twice
        again = client.post(response["Location"])
        assert again["Location"] == done["Location"]
        assert Job.objects.filter(params__mode="apply").count() == 1
        # the job page (htmx progress) survives a reload and leads back here
        job_page = client.get(reverse("jobs:detail", args=[apply.pk]))
        assert job_page.status_code == 200 and "继续" in job_page.content.decode()

    def test_names_are_shown_as_text(self, as_user, tree):
        client = as_user("county_office")
        response = upload(
            client, "150125", "members", members_csv(member_row("M1", 姓名="<script>alert(1)</script>"))
        )
        page = client.get(response["Location"]).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page

    def test_file_changed_after_the_preview_is_not_applied(self, as_user, tree, media):
        client = as_user("county_office")
        response = upload(client, "150125", "members", members_csv(member_row("M1")))
        validate = Job.objects.get()
        (media / validate.params["file"]).write_bytes(members_csv(member_row("M1"), member_row("M2")))
        client.post(response["Location"])
        apply = Job.objects.get(params__mode="apply")
        assert apply.status == Job.Status.FAILED and "已被改动" in apply.message
        assert not Member.objects.exists()

    def test_big_upload_runs_as_a_job_with_progress(self, as_user, tree, monkeypatch):
        monkeypatch.setattr(io_views, "SYNC_BYTES", 0)
        client = as_user("county_office")
        response = upload(client, "150125", "members", members_csv(member_row("M1")))
        job = Job.objects.get()
        assert job.status == Job.Status.QUEUED
        page = client.get(response["Location"])
        assert 'hx-trigger="every 1s"' in page.content.decode()  # the page polls itself
        partial = client.get(response["Location"], HTTP_HX_REQUEST="true")
        assert partial.content.decode().lstrip().startswith('<div id="io-job"')
        jobs.execute(job)  # what the worker does
        page = client.get(response["Location"]).content.decode()
        assert 'hx-trigger="every 1s"' not in page and 'data-testid="confirm-import"' in page
        client.post(response["Location"])
        apply = Job.objects.get(params__mode="apply")
        assert apply.status == Job.Status.QUEUED and not Member.objects.exists()
        jobs.execute(apply)
        assert Member.objects.filter(code="M1").exists()

    def test_village_secretary_cannot_import_into_the_neighbouring_village(self, as_user, tree):
        make_unit(tree.township, "150125100202", "西土城村", Level.VILLAGE, Kind.VILLAGE, "village")
        client = as_user("village_secretary")
        assert client.get(reverse("orgs:io", args=["150125100202"])).status_code == 404
        response = upload(
            client, "150125100201", "members", members_csv(member_row("M1"), member_row("M2", "150125100202"))
        )
        page = client.get(response["Location"]).content.decode()
        assert "没有写入任何数据" in page and "不在您的管理范围内" in page
        assert 'data-testid="confirm-import"' not in page
        assert client.post(response["Location"]).status_code == 302
        assert not Member.objects.exists() and not Job.objects.filter(params__mode="apply").exists()

    def test_errors_with_downloadable_annotated_sheet(self, as_user, tree):
        client = as_user("county_office")
        content = members_csv(member_row("M1"), member_row("M2", 出生日期="2014-02-30"))
        response = upload(client, "150125", "members", content)
        job = Job.objects.get()
        assert job.status == Job.Status.FAILED and job.result["error_count"] == 1
        page = client.get(response["Location"]).content.decode()
        assert "日期不存在" in page and 'data-testid="error-sheet"' in page
        sheet = client.get(reverse("jobs:download", args=[job.pk]))
        wb = load_workbook(io.BytesIO(b"".join(sheet.streaming_content)))
        rows = [[c.value for c in r] for r in wb.worksheets[0].iter_rows()]
        assert rows[0][-1] == "错误原因" and rows[2][0] == "M2" and "日期不存在" in rows[2][-1]
        assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 200
        # another user cannot follow someone else's job
        other = Client()
        other.force_login(job.created_by.__class__.objects.get(username="league_office"))
        assert other.get(response["Location"]).status_code == 404

    def test_refused_files_get_a_clear_message_and_no_job(self, as_user, tree):
        client = as_user("county_office")
        cases = [
            ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "不是电子表格"),
            ("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "不支持旧版 Excel"),
            ("empty.csv", b"", "空"),
        ]
        for name, content, text in cases:
            response = upload(client, "150125", "members", content, name=name)
            assert response.status_code == 400, name
            assert text in response.content.decode(), name
        assert not Job.objects.exists()

    def test_oversized_upload(self, as_user, tree, settings):
        settings.ECHELON_MAX_UPLOAD_BYTES = 200
        response = upload(
            as_user("county_office"),
            "150125",
            "members",
            members_csv(*[member_row(f"M{i}") for i in range(20)]),
        )
        assert response.status_code == 400 and "文件过大" in response.content.decode()
        assert not Job.objects.exists()

    def test_units_import_through_the_page(self, as_user, tree):
        client = as_user("county_office")
        content = csv_bytes(
            UNIT_HEADER, [unit_row("150125101", "哈乐镇", "150125", "苏木乡镇街道", "领导班子", "镇")]
        )
        response = upload(client, "150125", "units", content.getvalue())
        client.post(response["Location"])
        assert Unit.objects.get(code="150125101").parent_id == tree.county.pk


@pytest.mark.django_db
class TestExportViews:
    def test_csv_streams_the_visible_subtree(self, as_user, tree):
        make_member(tree.village, "M1", "甲")
        make_member(tree.sibling_village, "S1", "乙")
        client = as_user("county_office")
        response = client.get(reverse("orgs:io_export", args=["150125", "members", "csv"]))
        assert response.streaming and response["Content-Type"].startswith("text/csv")
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert "M1" in text and "S1" not in text
        assert AuditEvent.objects.filter(verb="member.export", actor__username="county_office").exists()

    def test_filtered_list_export_is_what_the_list_shows(self, as_user, tree):
        from echelon.conftest import make_member as mm

        mm(tree.village, "M1", "甲")
        m2 = mm(tree.village, "M2", "乙", mobile=True)
        client = as_user("county_office")
        listed = client.get(reverse("orgs:unit_members", args=["150125"]), {"mobile": "blind"})
        assert "M2" in listed.content.decode() and ">M1<" not in listed.content.decode()
        export = client.get(reverse("orgs:io_export", args=["150125", "members", "csv"]), {"mobile": "blind"})
        lines = b"".join(export.streaming_content).decode("utf-8-sig").strip().splitlines()
        assert len(lines) == 2 and lines[1].startswith(m2.code)
        # and the unit page's children table
        units = client.get(
            reverse("orgs:io_export", args=["150125", "units", "csv"]), {"scope": "children", "kind": "organ"}
        )
        lines = b"".join(units.streaming_content).decode("utf-8-sig").strip().splitlines()
        assert [line.split(",")[0] for line in lines[1:]] == ["150125-O01"]

    def test_xlsx_template_prefilled_with_the_subtree(self, as_user, tree):
        client = as_user("township_operator")
        response = client.get(
            reverse("orgs:io_export", args=["150125100", "units", "xlsx"]), {"template": "1"}
        )
        assert response.status_code == 200
        wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        ws = wb.worksheets[0]
        assert [c.value for c in ws[1]] == UNIT_HEADER
        assert ws.freeze_panes == "A2" and ws["A1"].font.b
        assert [r[0].value for r in ws.iter_rows(min_row=2)] == ["150125100", "150125100201"]
        assert "说明" in wb.sheetnames and ws.data_validations.dataValidation
        assert "filename*=utf-8''" in response["Content-Disposition"]

    def test_empty_template(self, as_user, tree):
        response = as_user("village_secretary").get(
            reverse("orgs:io_export", args=["150125100201", "members", "xlsx"]), {"empty": "1"}
        )
        ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
        assert ws.max_row == 1 and [c.value for c in ws[1]] == MEMBER_HEADER

    def test_big_xlsx_export_becomes_a_job(self, as_user, tree, monkeypatch):
        monkeypatch.setattr(io_views, "SYNC_XLSX_ROWS", 0)
        make_member(tree.village, "M1", '=HYPERLINK("http://x")')
        client = as_user("county_office")
        url = reverse("orgs:io_export", args=["150125", "members", "xlsx"])
        confirm = client.get(url, {"gender": "m"})
        assert 'data-testid="export-job"' in confirm.content.decode()
        response = client.post(url, {"gender": "m", "scope": "home"})
        job = Job.objects.get(kind="orgs.export")
        assert response["Location"] == reverse("jobs:detail", args=[job.pk])
        assert job.params["query"] == {"gender": "m"}
        jobs.execute(job)
        job.refresh_from_db()
        assert job.status == Job.Status.SUCCEEDED and job.result["rows"] == 1
        data = client.get(reverse("jobs:download", args=[job.pk]))
        ws = load_workbook(io.BytesIO(b"".join(data.streaming_content))).worksheets[0]
        assert ws["B2"].value == '\'=HYPERLINK("http://x")'
