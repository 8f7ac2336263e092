"""`echelon backup DIR`: the database and the uploads into a new directory (see echelon/core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from echelon.core import backup


class Command(BaseCommand):
    help = "备份数据库和上传文件到一个新目录（SQLite 在线备份，PostgreSQL 用 pg_dump）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="备份目录（不存在或为空）")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["directory"])
        try:
            manifest = backup.backup(target)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"已备份到 {target}：数据库（{manifest['vendor']}）和 {manifest['media_files']} 个上传文件。"
            )
