"""Two PostgreSQL roles: the owner migrates, the app only reads and writes rows.

`DATABASE_URL` is the app's connection. When `DATABASE_OWNER_URL` is set (PostgreSQL only: the same
database, another role), `migrate` and the bulk loader (`seed_demo`, which drops and rebuilds indexes)
connect as the owner instead (`as_owner`), and `migrate` then grants the app role what it needs
(`grant_app_role`): rows of every table, but only SELECT and INSERT on the audit trail, so the app can
neither TRUNCATE it, nor ALTER it or DISABLE its append-only trigger (that needs ownership), nor set
`session_replication_role` (that needs a superuser, which the app role must not be).

On SQLite there is one file and nothing here does anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import dj_database_url
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

AUDIT_TABLE = "core_auditevent"
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
AUDIT_TABLE_PRIVILEGES = "SELECT, INSERT"
APP_SEQUENCE_PRIVILEGES = "USAGE, SELECT"
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


class RoleError(Exception):
    """The roles are set up in a way that would give the app the owner's powers."""


def owner_settings() -> dict[str, Any] | None:
    """The owner's connection settings, or None when `DATABASE_OWNER_URL` is not set."""
    url = getattr(settings, "DATABASE_OWNER_URL", "")
    return dict(dj_database_url.parse(url)) if url else None


def app_role(alias: str = DEFAULT_DB_ALIAS) -> str:
    """The role the app connects as (the user of `DATABASE_URL`)."""
    role: str = connections[alias].settings_dict["USER"]
    return role


@contextmanager
def as_owner(alias: str = DEFAULT_DB_ALIAS) -> Iterator[bool]:
    """Within the block, `connections[alias]` is the owner's (yields True), when an owner is configured and
    the database is PostgreSQL; otherwise nothing changes (yields False). The database name stays that
    of the connection, so a test database is migrated in place."""
    owner = owner_settings()
    connection = connections[alias]
    if owner is None or connection.vendor != "postgresql":
        yield False
        return
    if owner["ENGINE"] != connection.settings_dict["ENGINE"]:
        raise ImproperlyConfigured(_("DATABASE_OWNER_URL 必须与 DATABASE_URL 是同一个 PostgreSQL 数据库。"))
    if connection.in_atomic_block:
        raise RuntimeError("cannot switch to the owner role inside a transaction")
    saved = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    connection.close()
    connection.settings_dict.update({key: owner.get(key) for key in CREDENTIALS})
    try:
        yield True
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def _quote(connection: BaseDatabaseWrapper, name: str) -> str:
    return connection.ops.quote_name(name)


def check_app_role(connection: Any, role: str) -> None:
    """Refuse a role that would have the owner's powers anyway."""
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        owner = cur.fetchone()[0]
        if role == owner:
            raise RoleError(
                _("应用角色 %(role)s 就是属主角色：DATABASE_URL 应使用另一个角色。") % {"role": role}
            )
        cur.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
        row = cur.fetchone()
        if row is None:
            raise RoleError(_("数据库角色 %(role)s 不存在。") % {"role": role})
        if row[0] or row[1]:
            raise RoleError(
                _("应用角色 %(role)s 是超级用户（或可绕过行级安全），能关闭审计表的触发器：请改用普通角色。")
                % {"role": role}
            )
        cur.execute("SELECT pg_has_role(%s, current_user, 'MEMBER')", [role])
        if cur.fetchone()[0]:
            raise RoleError(
                _("应用角色 %(role)s 是属主角色 %(owner)s 的成员，拥有属主的全部权限。")
                % {"role": role, "owner": owner}
            )


def grant_app_role(role: str, alias: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Run as the owner (or a superuser): whatever the app role held before, it ends up with rows of every
    table in the schema, SELECT and INSERT only on the audit table, use of the sequences, and the same on
    tables later migrations create. Objects the app role owned (an earlier set-up that migrated as the
    app) are handed to the owner first. Idempotent. Returns what it did, for the command's report."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return {}
    check_app_role(connection, role)
    q = _quote(connection, role)
    with transaction.atomic(using=alias), connection.cursor() as cur:
        cur.execute("SELECT current_schema()")
        schema = _quote(connection, cur.fetchone()[0])
        cur.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = %s AND c.relnamespace = current_schema()::regnamespace",
            [role],
        )
        owned = cur.fetchone()[0]
        if owned:
            cur.execute(f"REASSIGN OWNED BY {q} TO CURRENT_USER")
        cur.execute(f"GRANT USAGE ON SCHEMA {schema} TO {q}")
        cur.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {q}")
        cur.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {q}")
        cur.execute(f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {q}")
        cur.execute(f"GRANT {APP_SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA {schema} TO {q}")
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [AUDIT_TABLE])
        if cur.fetchone()[0]:
            audit = _quote(connection, AUDIT_TABLE)
            cur.execute(f"REVOKE ALL ON {audit} FROM {q}")
            cur.execute(f"GRANT {AUDIT_TABLE_PRIVILEGES} ON {audit} TO {q}")
        # Tables and sequences the owner creates later (new migrations) are usable by the app at once;
        # `migrate` re-runs this function afterwards, which narrows the audit table again if need be.
        cur.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA {schema} "
            f"GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {q}"
        )
        cur.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA {schema} "
            f"GRANT {APP_SEQUENCE_PRIVILEGES} ON SEQUENCES TO {q}"
        )
        cur.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relkind IN ('r', 'p') AND has_table_privilege(%s, oid, 'SELECT')",
            [role],
        )
        tables = cur.fetchone()[0]
    return {"tables": tables, "reassigned": owned}
