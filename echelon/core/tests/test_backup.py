"""``echelon backup`` / ``echelon restore`` (issue 15, ADR 19): a round trip on the test database.

The tree, the personas and an upload are backed up; then a unit is renamed, a user added, the upload changed
and another one added; restore brings back exactly what the backup held (the new rows and the new upload are
gone) and writes one ``system.restore`` event. SQLite in the ordinary suite; the same on PostgreSQL (marker
``postgres``, skipped elsewhere: ``DATABASE_URL=postgres://… pytest -m postgres``)."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from echelon.accounts import services as account_services
from echelon.accounts.models import User
from echelon.conftest import build_tree
from echelon.core.backup import MANIFEST, MEDIA_FILE, storage_files
from echelon.core.models import AuditEvent
from echelon.orgs.models import Unit


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _state():
    return {
        "units": sorted(Unit.objects.values_list("code", "name")),
        "users": sorted(User.objects.values_list("username", flat=True)),
        "files": {name: default_storage.open(name).read() for name in storage_files(default_storage)},
    }


def round_trip(tmp_path):
    build_tree()
    account_services.user_create(actor=None, username="kept", password=None, display_name="留下的人")
    default_storage.save("supervision/materials/实施方案.pdf", ContentFile(b"%PDF-1.4 original"))
    before = _state()
    events = AuditEvent.objects.count()
    out = io.StringIO()
    call_command("backup", str(tmp_path / "bk"), stdout=out)
    assert "1 个上传文件" in out.getvalue()

    Unit.objects.filter(code="150125").update(name="改掉的名字")
    account_services.user_create(actor=None, username="later", password=None, display_name="后来的人")
    default_storage.delete("supervision/materials/实施方案.pdf")
    default_storage.save("supervision/materials/实施方案.pdf", ContentFile(b"changed"))
    default_storage.save("ledger/evidence/new.jpg", ContentFile(b"\xff\xd8 new"))
    assert _state() != before

    call_command("restore", str(tmp_path / "bk"), "--noinput", stdout=io.StringIO())
    assert _state() == before
    restored = AuditEvent.objects.order_by("id")
    assert restored.count() == events + 1
    last = restored.last()
    assert last.verb == "system.restore" and last.actor is None and last.after["media_files"] == 1


@pytest.mark.django_db(transaction=True)
def test_round_trip_on_sqlite(tmp_path, media):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant")
    round_trip(tmp_path)
    manifest = json.loads((tmp_path / "bk" / MANIFEST).read_text())
    assert manifest["vendor"] == "sqlite" and set(manifest["files"]) == {"database.sqlite3", MEDIA_FILE}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_round_trip_on_postgresql(tmp_path, media):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
    round_trip(tmp_path)
    assert (tmp_path / "bk" / "database.dump").read_bytes()[:5] == b"PGDMP"


@pytest.mark.django_db(transaction=True)
class TestRefusals:
    def test_backup_into_a_directory_with_files_in_it(self, tmp_path, media):
        (tmp_path / "bk").mkdir()
        (tmp_path / "bk" / "x").write_text("x")
        with pytest.raises(CommandError, match="不是空的"):
            call_command("backup", str(tmp_path / "bk"))

    def test_restore_without_a_manifest(self, tmp_path, media):
        (tmp_path / "bk").mkdir()
        with pytest.raises(CommandError, match="不是完整的备份"):
            call_command("restore", str(tmp_path / "bk"), "--noinput")

    def test_not_inside_a_transaction(self, tmp_path, media):
        from django.db import transaction

        with transaction.atomic(), pytest.raises(CommandError, match="事务"):
            call_command("backup", str(tmp_path / "bk"))

    def test_a_changed_file_is_refused_before_anything_is_touched(self, tmp_path, media, tree):
        call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO())
        with open(tmp_path / "bk" / MEDIA_FILE, "ab") as fh:
            fh.write(b"tampered")
        with pytest.raises(CommandError, match="缺失或已被改动"):
            call_command("restore", str(tmp_path / "bk"), "--noinput")
        assert Unit.objects.count() == len(tree.units)

    def test_a_backup_of_another_vendor(self, tmp_path, media, tree):
        call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO())
        path = tmp_path / "bk" / MANIFEST
        manifest = json.loads(path.read_text())
        manifest["vendor"] = "oracle"
        path.write_text(json.dumps(manifest))
        with pytest.raises(CommandError, match="oracle"):
            call_command("restore", str(tmp_path / "bk"), "--noinput")

    def test_unsafe_paths_in_the_uploads_archive(self, tmp_path, media, tree):
        """A crafted media.tar (with its manifest's sha256 updated) cannot write outside the storage."""
        from echelon.core.backup import _sha256

        call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO())
        with tarfile.open(tmp_path / "bk" / MEDIA_FILE, "w") as tar:
            info = tarfile.TarInfo("../../etc/evil")
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
        path = tmp_path / "bk" / MANIFEST
        manifest = json.loads(path.read_text())
        manifest["files"][MEDIA_FILE]["sha256"] = _sha256(tmp_path / "bk" / MEDIA_FILE)
        path.write_text(json.dumps(manifest))
        with pytest.raises(CommandError, match="不安全的路径"):
            call_command("restore", str(tmp_path / "bk"), "--noinput")
        assert not (tmp_path / "etc").exists()

    def test_restore_asks_first(self, tmp_path, media, tree, monkeypatch):
        call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO())
        monkeypatch.setattr("builtins.input", lambda prompt: "no")
        with pytest.raises(CommandError, match="已取消"):
            call_command("restore", str(tmp_path / "bk"))
