"""`echelon db_roles [--app-role NAME]`: give the app's PostgreSQL role its privileges, and no more.

Runs as the owner (`DATABASE_OWNER_URL`, or `DATABASE_URL` when that is the owner or a superuser). The app
role gets SELECT, INSERT, UPDATE, DELETE on every table, USAGE on the sequences, only SELECT and INSERT on
the audit trail, and the same on tables created later; it must not be a superuser nor a member of the
owner. `echelon migrate` does this by itself when `DATABASE_OWNER_URL` is set.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from echelon.core import dbroles


class Command(BaseCommand):
    help = "为 PostgreSQL 应用角色授权：各表可读写数据，审计表只能读取和追加（以属主角色运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", help="应用连接所用的数据库角色（默认：DATABASE_URL 中的用户名）")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        if connections[alias].vendor != "postgresql":
            self.stdout.write("SQLite 只有一个数据库文件，无需设置角色。")
            return
        role = options["app_role"] or dbroles.app_role(alias)
        with dbroles.as_owner(alias):
            try:
                done = dbroles.grant_app_role(role, alias)
            except dbroles.RoleError as exc:
                raise CommandError(str(exc)) from exc
        if done["reassigned"]:
            self.stdout.write(f"应用角色 {role} 原先拥有的 {done['reassigned']} 个对象已转给属主角色。")
        self.stdout.write(
            self.style.SUCCESS(
                f"已为应用角色 {role} 授权：{done['tables']} 张表可读写数据，审计表只能读取和追加。"
            )
        )
