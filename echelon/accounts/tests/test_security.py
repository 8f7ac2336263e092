"""The security baseline: lockout, safe redirects, escaping, self-promotion, sessions, append-only audit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test import Client

from echelon.accounts import services
from echelon.accounts.models import Grant, User
from echelon.conftest import make_member, make_unit
from echelon.core import audit
from echelon.core.models import AuditEvent
from echelon.orgs.models import Kind, Level

PASSWORD = "Correct-Horse-2014"


@pytest.fixture
def secretary(tree):
    user = services.user_create(actor=None, username="secretary", password=PASSWORD)
    services.grant_add(actor=None, user=user, unit=tree.village, role="operator")
    return user


@pytest.mark.django_db
class TestLogin:
    def test_lockout_after_repeated_failures_with_message_and_audit(self, secretary, settings):
        client = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            r = client.post("/accounts/login/", {"username": "secretary", "password": "wrong"})
            assert r.status_code == 200
        r = client.post("/accounts/login/", {"username": "secretary", "password": "wrong"})
        assert r.status_code == 429
        assert "登录失败次数过多" in r.content.decode()
        # Even the right password is refused while locked.
        r = client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        assert r.status_code == 429
        assert "_auth_user_id" not in client.session
        assert AuditEvent.objects.filter(verb="user.lockout", object_repr="secretary").exists()

    def test_successful_login_is_audited(self, secretary):
        client = Client()
        r = client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        assert r.status_code == 302
        assert AuditEvent.objects.filter(verb="user.login", actor=secretary).exists()

    @pytest.mark.parametrize(
        "target", ["https://evil.example.com/", "//evil.example.com/x", "http:evil.example.com"]
    )
    def test_next_pointing_off_site_is_ignored(self, secretary, target):
        client = Client()
        r = client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD, "next": target})
        assert r.status_code == 302
        assert "evil" not in r["Location"]

    def test_next_on_site_is_followed(self, secretary, tree):
        client = Client()
        url = f"/orgs/u/{tree.village.code}/members/"
        r = client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD, "next": url})
        assert r["Location"] == url


@pytest.mark.django_db
class TestSessions:
    def test_logout_ends_the_session(self, secretary, tree):
        client = Client()
        client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        assert client.get(f"/orgs/u/{tree.village.code}/").status_code == 200
        client.post("/accounts/logout/")
        assert client.get(f"/orgs/u/{tree.village.code}/").status_code == 302

    def test_password_change_ends_every_session(self, secretary, tree):
        first, second = Client(), Client()
        for c in (first, second):
            c.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        r = first.post(
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "Another-Horse-2015",
                "new_password2": "Another-Horse-2015",
            },
        )
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
        for c in (first, second):
            assert c.get(f"/orgs/u/{tree.village.code}/").status_code == 302
        assert AuditEvent.objects.filter(verb="user.password_change").count() == 1

    def test_password_reset_by_office_ends_sessions(self, secretary, personas, tree):
        client = Client()
        client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        services.user_set_password(
            actor=personas["county_office"], user=secretary, password="Reset-By-Office-99"
        )
        assert client.get(f"/orgs/u/{tree.village.code}/").status_code == 302


@pytest.mark.django_db
class TestSelfPromotion:
    def test_office_cannot_grant_itself_anything(self, personas, tree):
        office = personas["county_office"]
        with pytest.raises(PermissionDenied):
            services.grant_add(actor=office, user=office, unit=tree.village, role="supervisor")

    def test_office_cannot_grant_outside_its_subtree(self, personas, tree):
        with pytest.raises(PermissionDenied):
            services.grant_add(
                actor=personas["county_office"],
                user=personas["village_secretary"],
                unit=tree.sibling_village,
                role="operator",
            )
        assert not Grant.objects.filter(unit=tree.sibling_village).exists()

    def test_office_cannot_create_admins(self, personas, tree):
        with pytest.raises(PermissionDenied):
            services.grant_add(
                actor=personas["region_office"],
                user=personas["village_secretary"],
                unit=tree.village,
                role="admin",
            )

    def test_operator_cannot_grant_at_all(self, personas, tree):
        with pytest.raises(PermissionDenied):
            services.grant_add(
                actor=personas["village_secretary"],
                user=personas["village_secretary"],
                unit=tree.village,
                role="office",
            )

    def test_page_refuses_self_grant(self, personas, tree):
        client = Client()
        office = personas["county_office"]
        client.force_login(office)
        # the office does not even find itself among the users it manages
        r = client.post(
            f"/accounts/users/{office.pk}/",
            {"form": "grant", "unit_code": tree.county.code, "role": "office"},
        )
        assert r.status_code == 404
        assert Grant.objects.filter(user=office).count() == 1

    def test_api_refuses_grant_outside_subtree(self, personas, tree):
        client = Client()
        client.force_login(personas["county_office"])
        r = client.post(
            "/api/v1/grants/",
            {"username": "village_secretary", "unit_code": tree.sibling_village.code, "role": "operator"},
            content_type="application/json",
        )
        assert r.status_code == 400
        assert not Grant.objects.filter(unit=tree.sibling_village).exists()


XSS_NAMES = ["<script>alert('x')</script>村", '<img src=x onerror="alert(1)">社区']


@pytest.mark.django_db
class TestEscaping:
    def test_hostile_names_are_text_on_every_page_and_in_the_api(self, personas, tree):
        village = make_unit(
            tree.township, "150125100299", XSS_NAMES[0], Level.VILLAGE, Kind.VILLAGE, "village"
        )
        make_member(village, "XSS1", name=XSS_NAMES[1][:50])
        client = Client()
        client.force_login(personas["county_office"])
        pages = [
            f"/orgs/u/{village.code}/",
            f"/orgs/u/{village.code}/members/",
            f"/orgs/u/{tree.township.code}/",
            f"/orgs/u/{tree.township.code}/tree/",
            "/orgs/search/?q=script",
            "/orgs/m/XSS1/",
            f"/orgs/u/{village.code}/history/",
            "/audit/?q=script",
        ]
        for url in pages:
            body = client.get(url).content.decode()
            assert "<script>alert" not in body, url
            assert "<img src=x" not in body, url
        assert "&lt;script&gt;" in client.get(f"/orgs/u/{village.code}/").content.decode()
        r = client.get(f"/api/v1/units/{village.code}/")
        assert r.json()["name"] == XSS_NAMES[0]  # JSON carries the text as is, for the client to escape
        assert r["Content-Type"].startswith("application/json")

    def test_csp_forbids_inline_scripts(self, personas, tree):
        client = Client()
        client.force_login(personas["village_secretary"])
        r = client.get(f"/orgs/u/{tree.village.code}/")
        csp = r["Content-Security-Policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'self'" in script_src
        body = r.content.decode()
        # every script is a file; an inline one would need the request's nonce
        assert "<script>" not in body and "<script " not in body.replace('<script src="/static/', "")


@pytest.mark.django_db
class TestAuditAppendOnly:
    def _event(self, tree):
        with transaction.atomic():
            return audit.record(actor=None, verb="test.event", obj=tree.village, unit_path=tree.village.path)

    def test_orm_refuses_update_and_delete(self, tree):
        event = self._event(tree)
        with pytest.raises(TypeError):
            event.save()
        with pytest.raises(TypeError):
            event.delete()
        with pytest.raises(TypeError):
            AuditEvent.objects.filter(pk=event.pk).update(verb="x")
        with pytest.raises(TypeError):
            AuditEvent.objects.filter(pk=event.pk).delete()

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="database-level refusal is PostgreSQL's")
    def test_postgresql_refuses_update_and_delete(self, tree):
        from django.db import DatabaseError

        event = self._event(tree)
        for sql in (
            "UPDATE core_auditevent SET verb = 'x' WHERE id = %s",
            "DELETE FROM core_auditevent WHERE id = %s",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cur,
            ):
                cur.execute(sql, [event.pk])
        assert AuditEvent.objects.get(pk=event.pk).verb == "test.event"


@pytest.mark.django_db(transaction=True)
def test_audit_record_needs_a_transaction(tree):
    with pytest.raises(RuntimeError):
        audit.record(actor=None, verb="x", object_type="t", object_id="1")


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "1",
        "SECRET_KEY": "k" * 20 + "Q9#x-long-random-production-secret-value",
        "ALLOWED_HOSTS": "echelon.example.org",
        "ECHELON_VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests of this session
    out = subprocess.run(
        [sys.executable, "-m", "echelon.manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


@pytest.mark.django_db
def test_user_import_refuses_files_by_content(personas, tmp_path):
    client = Client()
    client.force_login(personas["county_office"])
    fake = tmp_path / "users.xlsx"
    fake.write_bytes(b"MZ\x90\x00 this is not a spreadsheet \x00\x00")
    with open(fake, "rb") as fh:
        r = client.post("/accounts/users/import/", {"file": fh})
    assert "不是电子表格" in r.content.decode()
    assert User.objects.count() == len(personas)
