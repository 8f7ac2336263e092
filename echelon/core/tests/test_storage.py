"""Uploads and job results go through Django's storage API (issue 15, ADR 19), never straight to a folder.

With the storage swapped for Django's in-memory one (standing in for an S3-compatible store shared by several
app servers and workers), the import page's upload, the annotated error sheet and an export job's result are
written and read back through ``default_storage``: nothing lands under ``MEDIA_ROOT``, and the job's local
scratch folder is gone once its result is stored."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from openpyxl import load_workbook

from echelon.conftest import make_member
from echelon.core import jobs
from echelon.core.models import Job
from echelon.orgs.tests.test_imports import member_row
from echelon.orgs.tests.test_io_views import members_csv, upload
from echelon.orgs.views import io as io_views

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_memory(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media-root-unused"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    yield
    assert not settings.MEDIA_ROOT.exists(), "something wrote to MEDIA_ROOT instead of the storage"


def scratch_left(job: Job) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"echelon-job-{job.pk}-*"))


def test_an_import_upload_and_its_error_sheet_live_in_the_storage(client, personas, tree):
    client.force_login(personas["county_office"])
    content = members_csv(member_row("M1"), member_row("M2", 出生日期="2014-02-30"))
    upload(client, "150125", "members", content)
    job = Job.objects.get()
    assert default_storage.exists(job.params["file"])
    assert job.status == Job.Status.FAILED and job.result_file.startswith(f"exports/{job.pk}/")
    assert default_storage.exists(job.result_file) and not scratch_left(job)
    sheet = client.get(reverse("jobs:download", args=[job.pk]))
    rows = list(load_workbook(io.BytesIO(b"".join(sheet.streaming_content))).worksheets[0].iter_rows())
    assert rows[0][-1].value == "错误原因"


def test_an_export_job_result_is_stored_and_served_from_the_storage(client, personas, tree, monkeypatch):
    monkeypatch.setattr(io_views, "SYNC_XLSX_ROWS", 0)
    make_member(tree.village, "M1")
    client.force_login(personas["county_office"])
    client.post(reverse("orgs:io_export", args=["150125", "members", "xlsx"]), {"scope": "home"})
    job = Job.objects.get(kind="orgs.export")
    jobs.execute(job)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and default_storage.exists(job.result_file)
    assert not scratch_left(job)
    data = client.get(reverse("jobs:download", args=[job.pk]))
    assert data.status_code == 200
    assert load_workbook(io.BytesIO(b"".join(data.streaming_content))).worksheets[0]["A2"].value == "M1"


def test_a_result_name_that_climbs_out_is_not_served(client, personas, tree):
    client.force_login(personas["county_office"])
    job = Job.objects.create(
        kind="orgs.export", title="x", created_by=personas["county_office"], status="succeeded"
    )
    Job.objects.filter(pk=job.pk).update(result_file="exports/../../secret_key")
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_the_s3_settings_come_from_the_environment():
    """ECHELON_S3_BUCKET switches the default storage to django-storages' S3 backend (not installed by
    default: the extra `s3`); read from a fresh interpreter, as settings are read at start-up."""
    import json
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "ECHELON_S3_BUCKET": "echelon-uploads",
        "ECHELON_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "ECHELON_S3_PREFIX": "region",
    }
    code = "import json, echelon.settings as s; print(json.dumps(s.STORAGES['default']))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    default = json.loads(out.stdout.strip().splitlines()[-1])
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "echelon-uploads"
    assert default["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9000"
    assert default["OPTIONS"]["location"] == "region" and default["OPTIONS"]["default_acl"] is None
