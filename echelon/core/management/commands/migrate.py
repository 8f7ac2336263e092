"""`echelon migrate`: Django's migrate, connected as the owning role when `DATABASE_OWNER_URL` is set.

After migrating, the app role (the user of `DATABASE_URL`) gets its privileges again: rows of every table,
only SELECT and INSERT on the audit trail (see echelon/core/dbroles.py). Without `DATABASE_OWNER_URL`, or
on SQLite, this is exactly Django's migrate.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as MigrateCommand

from echelon.core import dbroles


class Command(MigrateCommand):
    help = MigrateCommand.help + " 设置了 DATABASE_OWNER_URL 时以属主角色迁移，然后为应用角色重新授权。"

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        role = dbroles.app_role(alias)
        with dbroles.as_owner(alias) as owner:
            super().handle(*args, **options)
            if owner and not (options.get("check_unapplied") or options.get("plan")):
                try:
                    done = dbroles.grant_app_role(role, alias)
                except dbroles.RoleError as exc:
                    raise CommandError(str(exc)) from exc
                if options["verbosity"] >= 1:
                    self.stdout.write(
                        f"已为应用角色 {role} 授权：{done['tables']} 张表可读写数据，审计表只能读取和追加。"
                    )
