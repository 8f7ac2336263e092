"""``echelon backup DIR`` and ``echelon restore DIR``: the database and the uploads (ADR 19).

A backup is a directory:

    manifest.json      written last (a directory without it is an unfinished backup): the format, when,
                       the database vendor, the files with their sizes and sha256, the uploads counted
    database.sqlite3   SQLite: a consistent copy through sqlite3's online backup API (readers and the
                       writer may go on meanwhile)
    database.dump      PostgreSQL: ``pg_dump --format=custom`` (restored with ``pg_restore``)
    media.tar          every file of the default storage (``default_storage``: the file system or an
                       S3-compatible store), read and written through Django's storage API

Restore checks the manifest and every file's sha256 first, refuses a backup of another database vendor,
then replaces the database (SQLite: the backup API again, page by page into the live file; PostgreSQL:
``pg_restore --clean --if-exists --single-transaction``, all or nothing) and the uploads (the storage is
emptied, then every file of the backup written back). On PostgreSQL both run as the owning role when
``DATABASE_OWNER_URL`` is set, and the app role is granted its rights again afterwards (ADR 6). Stop the
app servers and the worker while restoring. The restored database gets one audit event, ``system.restore``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.core import audit, dbroles, verbs

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
MEDIA_FILE = "media.tar"


class BackupError(Exception):
    """Refused or failed; the message is for the operator (Chinese)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def storage_files(storage: Storage, prefix: str = "") -> Iterator[str]:
    """Every file name in the storage, recursively (an absent root is empty)."""
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield posixpath.join(prefix, name) if prefix else name
    for name in sorted(dirs):
        yield from storage_files(storage, posixpath.join(prefix, name) if prefix else name)


# --- the database


def _pg_env(alias: str) -> dict[str, str]:
    settings_dict = connections[alias].settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    env["PGDATABASE"] = str(settings_dict["NAME"])
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(_("找不到 %(tool)s，请安装 PostgreSQL 客户端。") % {"tool": command[0]})
    done = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s 失败：%(error)s") % {"tool": command[0], "error": done.stderr.strip()[-2000:]}
        )


def _database_backup(target: Path, alias: str) -> str:
    connection = connections[alias]
    if connection.in_atomic_block:
        # SQLite's backup would wait forever on the transaction's own lock; pg_dump would not see its rows.
        raise BackupError(_("不能在事务中备份数据库。"))
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        out = sqlite3.connect(target / SQLITE_FILE)
        try:
            connection.connection.backup(out)
        finally:
            out.close()
        return SQLITE_FILE
    if connection.vendor == "postgresql":
        with dbroles.as_owner(alias):
            _run(
                ["pg_dump", "--format=custom", "--no-owner", "--file", str(target / PG_FILE)], _pg_env(alias)
            )
        return PG_FILE
    raise BackupError(_("不支持备份这种数据库：%(vendor)s。") % {"vendor": connection.vendor})


def _database_restore(source: Path, name: str, alias: str) -> None:
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError(_("不能在事务中恢复数据库。"))
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        backup = sqlite3.connect(source / name)
        try:
            backup.backup(connection.connection)
        finally:
            backup.close()
        connection.close()
        return
    role = dbroles.app_role(alias)
    with dbroles.as_owner(alias) as owner:
        connection.close()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                str(connection.settings_dict["NAME"]),
                str(source / name),
            ],
            _pg_env(alias),
        )
        if owner:
            dbroles.grant_app_role(role, alias)
    connection.close()


# --- the uploads


def _media_backup(target: Path, storage: Storage) -> int:
    count = 0
    with tarfile.open(target / MEDIA_FILE, "w") as tar:
        for name in storage_files(storage):
            info = tarfile.TarInfo(name)
            info.size = storage.size(name)
            info.mtime = int(timezone.now().timestamp())
            with storage.open(name, "rb") as fh:
                tar.addfile(info, fh)  # streamed, not read into memory
            count += 1
    return count


def _safe_member(member: tarfile.TarInfo) -> bool:
    name = member.name
    parts = name.split("/")
    return member.isfile() and not name.startswith("/") and ".." not in parts and "" not in parts


def _media_restore(source: Path, storage: Storage) -> int:
    with tarfile.open(source / MEDIA_FILE, "r") as tar:
        members = tar.getmembers()
        unsafe = [m.name for m in members if not _safe_member(m)]
        if unsafe:
            raise BackupError(
                _("上传文件归档中有不安全的路径：%(names)s。") % {"names": "、".join(unsafe[:5])}
            )
        for name in list(storage_files(storage)):
            storage.delete(name)
        for member in members:
            fh = tar.extractfile(member)
            if fh is None:
                continue
            saved = storage.save(member.name, File(fh, name=member.name))
            if saved != member.name:
                raise BackupError(_("上传文件 %(name)s 未能按原名恢复。") % {"name": member.name})
    return len(members)


# --- the two commands


def backup(target: Path, *, alias: str = DEFAULT_DB_ALIAS, storage: Storage | None = None) -> dict[str, Any]:
    storage = storage or default_storage
    if target.exists() and any(target.iterdir()):
        raise BackupError(_("备份目录 %(dir)s 不是空的。") % {"dir": target})
    target.mkdir(parents=True, exist_ok=True)
    database = _database_backup(target, alias)
    media = _media_backup(target, storage)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "vendor": connections[alias].vendor,
        "database": database,
        "media": MEDIA_FILE,
        "media_files": media,
        "files": {
            name: {"bytes": (target / name).stat().st_size, "sha256": _sha256(target / name)}
            for name in (database, MEDIA_FILE)
        },
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def read_manifest(source: Path, *, alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(
            _("%(dir)s 不是完整的备份（没有可读的 manifest.json）。") % {"dir": source}
        ) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(_("不认识的备份格式：%(format)s。") % {"format": manifest.get("format")})
    vendor = connections[alias].vendor
    if manifest.get("vendor") != vendor:
        raise BackupError(
            _("这是 %(theirs)s 数据库的备份，当前数据库是 %(ours)s。")
            % {"theirs": manifest.get("vendor"), "ours": vendor}
        )
    for name, expected in manifest.get("files", {}).items():
        path = source / name
        if posixpath.basename(name) != name or not path.is_file() or _sha256(path) != expected.get("sha256"):
            raise BackupError(_("备份文件 %(name)s 缺失或已被改动。") % {"name": name})
    return manifest


def restore(source: Path, *, alias: str = DEFAULT_DB_ALIAS, storage: Storage | None = None) -> dict[str, Any]:
    storage = storage or default_storage
    manifest = read_manifest(source, alias=alias)
    _database_restore(source, manifest["database"], alias)
    media = _media_restore(source, storage)
    with transaction.atomic(using=alias):
        audit.record(
            actor=None,
            verb=verbs.SYSTEM_RESTORE,
            object_type="core.backup",
            object_repr=str(source)[:255],
            after={
                "backup_created_at": manifest["created_at"],
                "restored_at": datetime.datetime.now(tz=datetime.UTC).isoformat(),
                "media_files": media,
            },
        )
    return manifest
