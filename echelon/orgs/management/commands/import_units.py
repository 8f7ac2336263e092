"""echelon import_units FILE [--dry-run] [--user USERNAME]: the same checks and writes as the web import."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from echelon.core import context, tabular
from echelon.core.querysets import scope_paths
from echelon.orgs import imports

# The command line has no upload limit of its own (the web's is settings.ECHELON_MAX_UPLOAD_BYTES).
CLI_MAX_BYTES = 1 << 40


class Command(BaseCommand):
    help = "导入组织（.xlsx 或 .csv，列同模板）。有任何错误时打印逐行报告、不写入并以非零状态退出。"
    kind = "units"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="只校验并报告将要做的修改，不写入。")
        parser.add_argument(
            "--user", metavar="USERNAME", help="以该用户的身份和管理范围导入；不指定即系统身份（整棵树）。"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        actor, scope = self.actor_and_scope(options["user"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        with context.bind(context.new_context("cli")), open(path, "rb") as fh:
            try:
                report = imports.import_file(
                    kind=self.kind,
                    fileobj=fh,
                    name=path.name,
                    actor=actor,
                    scope=scope,
                    dry_run=options["dry_run"],
                    progress=self.progress(options["verbosity"]),
                    max_bytes=CLI_MAX_BYTES,
                )
            except tabular.UploadError as exc:
                raise CommandError(str(exc)) from exc
        if not report.ok:
            for error in sorted(report.errors, key=lambda e: (e.row or 0, e.column)):
                self.stderr.write(str(error))
            if report.error_count > len(report.errors):
                self.stderr.write(f"……另有 {report.error_count - len(report.errors)} 处错误未列出。")
            raise CommandError(report.summary())
        suffix = "（试运行，没有写入）" if options["dry_run"] else ""
        self.stdout.write(f"{path.name}：共 {report.rows} 行。{report.summary()}{suffix}")

    def actor_and_scope(self, username: str | None) -> tuple[Any, list[str] | None]:
        if not username:
            return None, None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"找不到用户“{username}”。")
        paths = scope_paths(user, "import")
        if paths == []:
            raise CommandError(f"用户“{username}”没有导入权限。")
        return user, paths

    def progress(self, verbosity: int) -> Any:
        last = [0.0]

        def report(
            done: int, total: int | None = None, message: str | None = None, force: bool = False
        ) -> None:
            now = time.monotonic()
            if verbosity < 2 or (not force and now - last[0] < 5):
                return
            last[0] = now
            sys.stderr.write(f"{message or ''} {done:,}{f' / {total:,}' if total else ''}\n")

        return report
