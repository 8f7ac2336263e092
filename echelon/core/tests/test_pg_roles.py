"""PostgreSQL roles: the owner migrates; the app's role reads and writes rows but can neither empty, alter
nor switch off the audit trail's protection. (SQLite: one file, nothing to set up.)"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command, get_commands
from django.db import connection

pytestmark = pytest.mark.django_db


def test_migrate_is_echelons_and_sqlite_needs_no_roles():
    assert get_commands()["migrate"] == "echelon.core"
    if connection.vendor == "sqlite":
        out = io.StringIO()
        call_command("db_roles", stdout=out)
        assert "SQLite" in out.getvalue()


needs_postgres = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="roles are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),  # the grants must be visible to the app role's connection
]


@pytest.fixture
def app_role():
    """A login role for the app (trust authentication on the test server), dropped afterwards."""
    name = f"echelon_app_test_{os.getpid()}"
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cur.fetchone():
            cur.execute(f"DROP OWNED BY {name}")
            cur.execute(f"DROP ROLE {name}")
        cur.execute(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    yield name
    connection.close()  # nothing of ours holds the role
    with connection.cursor() as cur:
        cur.execute(f"DROP OWNED BY {name}")
        cur.execute(f"DROP ROLE {name}")


def connect_as(role: str):
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        dbname=s["NAME"],
        user=role,
        autocommit=True,
    )


AUDIT_INSERT = (
    "INSERT INTO core_auditevent (at, actor_name, verb, object_type, object_id, object_repr, unit_path, "
    "request_id, channel) VALUES (now(), 'app', 'test.event', 't', '1', '', '', '', 'web') RETURNING id"
)

REFUSED = [
    "TRUNCATE core_auditevent",
    "ALTER TABLE core_auditevent DISABLE TRIGGER ALL",
    "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_update",
    "DROP TRIGGER core_auditevent_no_update ON core_auditevent",
    "ALTER TABLE core_auditevent OWNER TO CURRENT_USER",
    "DELETE FROM core_auditevent",
    "UPDATE core_auditevent SET verb = 'tampered'",
    "SET session_replication_role = replica",
    "CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$ BEGIN RETURN NULL; END "
    "$$ LANGUAGE plpgsql",
]


def assert_app_role_is_confined(role: str) -> None:
    import psycopg

    with connect_as(role) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == role
        assert (
            conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0] is False
        )
        event_id = conn.execute(AUDIT_INSERT).fetchone()[0]  # the app appends to the audit trail
        assert conn.execute("SELECT verb FROM core_auditevent WHERE id = %s", [event_id]).fetchone()[0]
        # ... and reads and writes the rows of the other tables
        conn.execute("SELECT count(*) FROM orgs_unit").fetchone()
        conn.execute("UPDATE orgs_unit SET name = name WHERE false")
        conn.execute("DELETE FROM django_session WHERE false")
        for sql in REFUSED:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
        assert conn.execute("SHOW session_replication_role").fetchone()[0] == "origin"
        assert conn.execute("SELECT verb FROM core_auditevent WHERE id = %s", [event_id]).fetchone()[0] == (
            "test.event"
        )
        count = conn.execute("SELECT count(*) FROM core_auditevent").fetchone()[0]
        assert count >= 1


@pytest.mark.usefixtures("tree")
class TestAppRole:
    pytestmark = needs_postgres

    def test_db_roles_confines_the_app_role(self, app_role):
        out = io.StringIO()
        call_command("db_roles", "--app-role", app_role, stdout=out)
        assert app_role in out.getvalue()
        assert_app_role_is_confined(app_role)

    def test_db_roles_is_idempotent_and_takes_back_what_the_app_owned(self, app_role):
        # An earlier set-up migrated as the app: it owns a table, and was granted TRUNCATE on the audit.
        with connection.cursor() as cur:
            cur.execute(f"GRANT TRUNCATE, UPDATE, DELETE ON core_auditevent TO {app_role}")
            cur.execute("CREATE TABLE echelon_app_owned_test (id int)")
            cur.execute(f"ALTER TABLE echelon_app_owned_test OWNER TO {app_role}")
        try:
            call_command("db_roles", "--app-role", app_role, stdout=io.StringIO())
            out = io.StringIO()
            call_command("db_roles", "--app-role", app_role, stdout=out)
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'echelon_app_owned_test'"
                )
                assert cur.fetchone()[0] != app_role
            assert_app_role_is_confined(app_role)
        finally:
            with connection.cursor() as cur:
                cur.execute("DROP TABLE IF EXISTS echelon_app_owned_test")

    def test_a_superuser_or_the_owner_is_refused_as_app_role(self):
        with connection.cursor() as cur:
            cur.execute("SELECT current_user")
            owner = cur.fetchone()[0]
        with pytest.raises(CommandError, match="属主"):
            call_command("db_roles", "--app-role", owner, stdout=io.StringIO())
        with pytest.raises(CommandError, match="不存在"):
            call_command("db_roles", "--app-role", "echelon_no_such_role", stdout=io.StringIO())
        superuser = f"echelon_super_test_{os.getpid()}"
        with connection.cursor() as cur:
            cur.execute(f"CREATE ROLE {superuser} NOLOGIN SUPERUSER")
        try:
            with pytest.raises(CommandError, match="超级用户"):
                call_command("db_roles", "--app-role", superuser, stdout=io.StringIO())
        finally:
            with connection.cursor() as cur:
                cur.execute(f"DROP ROLE {superuser}")

    def test_migrate_runs_as_the_owner_and_grants_the_app_role(self, app_role, tmp_path):
        """The deployment: DATABASE_URL is the app's role, DATABASE_OWNER_URL the owner's (here, the test
        runner's). The app role starts with no privileges; `echelon migrate` gives it exactly its own."""
        s = connection.settings_dict
        with connection.cursor() as cur:
            cur.execute("SELECT current_user")
            owner = cur.fetchone()[0]
        where = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{app_role}@{where}",
            "DATABASE_OWNER_URL": f"postgres://{owner}@{where}",
            "ECHELON_VAR_DIR": str(tmp_path),
        }
        with connect_as(app_role) as conn, pytest.raises(Exception, match="permission denied"):
            conn.execute("SELECT count(*) FROM orgs_unit")
        connection.close()
        result = subprocess.run(
            [sys.executable, "-m", "echelon.manage", "migrate", "--noinput"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert f"已为应用角色 {app_role} 授权" in result.stdout
        assert_app_role_is_confined(app_role)
