"""`echelon restore DIR`: replace the database and the uploads by a backup (see echelon/core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from echelon.core import backup


class Command(BaseCommand):
    help = "用备份替换当前的数据库和上传文件（先停止应用和后台任务进程）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="echelon backup 写出的备份目录")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["directory"])
        try:
            manifest = backup.read_manifest(source)
            if options["interactive"]:
                answer = input(
                    f"将用 {manifest['created_at']} 的备份覆盖当前数据库和全部上传文件。输入 yes 继续："
                )
                if answer.strip() != "yes":
                    raise CommandError("已取消。")
            backup.restore(source)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(f"已从 {source} 恢复：数据库和 {manifest['media_files']} 个上传文件。")
