from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from echelon.accounts.models import ApiToken, Grant, User
from echelon.core.models import AuditEvent


def issue(username: str) -> str:
    out = io.StringIO()
    call_command("issue_token", username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1]


@pytest.mark.django_db
class TestTokens:
    def test_issue_token_prints_key_alone_on_last_line_and_it_authenticates(self, personas, tree):
        key = issue("village_secretary")
        assert " " not in key and len(key) >= 40
        client = Client()
        r = client.get("/api/v1/units/", HTTP_AUTHORIZATION=f"Token {key}")
        assert r.status_code == 200
        assert [u["code"] for u in r.json()["results"]] == [tree.village.code]  # scoped like the pages
        assert (
            client.get(
                f"/api/v1/units/{tree.sibling_village.code}/", HTTP_AUTHORIZATION=f"Token {key}"
            ).status_code
            == 404
        )
        token = ApiToken.objects.get(user=personas["village_secretary"])
        assert token.key_hash != key and key.startswith(token.prefix)  # only a hash is stored
        assert AuditEvent.objects.filter(verb="token.issue").exists()

    def test_bad_and_revoked_tokens_get_401(self, personas):
        key = issue("village_secretary")
        client = Client()
        assert client.get("/api/v1/units/", HTTP_AUTHORIZATION="Token nonsense").status_code == 401
        owner = Client()
        owner.force_login(personas["village_secretary"])
        token = ApiToken.objects.get(user=personas["village_secretary"])
        assert owner.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 200
        r = client.get("/api/v1/units/", HTTP_AUTHORIZATION=f"Token {key}")
        assert r.status_code == 401 and r["WWW-Authenticate"] == "Token"

    def test_office_lists_and_revokes_tokens_of_its_users_but_not_outsiders(self, personas):
        issue("village_secretary")
        token = ApiToken.objects.get(user=personas["village_secretary"])
        office, outsider = Client(), Client()
        office.force_login(personas["county_office"])
        outsider.force_login(personas["outsider"])
        assert token.pk in [t["id"] for t in office.get("/api/v1/tokens/").json()["results"]]
        assert outsider.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 404
        assert office.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 200
        token.refresh_from_db()
        assert token.revoked_at is not None

    def test_token_page_shows_new_key_once(self, personas):
        client = Client()
        client.force_login(personas["village_secretary"])
        r = client.post("/accounts/tokens/", {"name": "数据交换"})
        assert 'data-testid="new-token"' in r.content.decode()
        assert 'data-testid="new-token"' not in client.get("/accounts/tokens/").content.decode()


@pytest.mark.django_db
class TestGrantCommand:
    def test_creates_user_and_grant_audited(self, tree):
        call_command(
            "grant",
            "clerk",
            tree.county.code,
            "office",
            "--password",
            "Clerk-Pass-2014",
            stdout=io.StringIO(),
        )
        user = User.objects.get(username="clerk")
        assert user.check_password("Clerk-Pass-2014")
        assert Grant.objects.filter(user=user, unit=tree.county, role="office").exists()
        assert AuditEvent.objects.filter(verb="grant.add", unit_path=tree.county.path).exists()

    def test_unknown_unit_or_role_is_refused(self, tree):
        with pytest.raises(CommandError, match="不存在"):
            call_command("grant", "clerk", "999999", "office", stdout=io.StringIO())
        with pytest.raises(CommandError):
            call_command("grant", "clerk", tree.county.code, "king", stdout=io.StringIO())
        assert not User.objects.filter(username="clerk").exists()


@pytest.mark.django_db
class TestUserPages:
    def test_office_creates_user_with_grant_in_its_subtree(self, personas, tree):
        client = Client()
        client.force_login(personas["county_office"])
        r = client.post(
            "/accounts/users/new/",
            {
                "username": "new_secretary",
                "display_name": "王五",
                "password": "Grass-Lands-2014",
                "unit_code": tree.village.code,
                "role": "operator",
            },
        )
        assert r.status_code == 302
        assert Grant.objects.filter(user__username="new_secretary", unit=tree.village).exists()

    def test_office_cannot_create_user_outside_subtree(self, personas, tree):
        client = Client()
        client.force_login(personas["county_office"])
        r = client.post(
            "/accounts/users/new/",
            {
                "username": "spy",
                "password": "Spy-Password-2014",
                "unit_code": tree.sibling_village.code,
                "role": "operator",
            },
        )
        assert r.status_code == 200 and "不在您的管理范围" in r.content.decode()
        assert not User.objects.filter(username="spy").exists()

    def test_user_list_is_scoped(self, personas):
        client = Client()
        client.force_login(personas["county_office"])
        body = client.get("/accounts/users/").content.decode()
        assert "village_secretary" in body and "outsider" not in body and "league_office" not in body

    def test_user_import_all_or_nothing(self, personas, tree, tmp_path):
        csv = tmp_path / "users.csv"
        csv.write_text(
            "用户名,姓名,组织代码,角色,初始密码\n"
            f"u1,甲,{tree.village.code},联络员/书记,Good-Password-2014\n"
            f"u2,乙,{tree.sibling_village.code},operator,Good-Password-2014\n",
            encoding="utf-8",
        )
        client = Client()
        client.force_login(personas["county_office"])
        with open(csv, "rb") as fh:
            r = client.post("/accounts/users/import/", {"file": fh})
        body = r.content.decode()
        assert "不在您的管理范围" in body and not User.objects.filter(username__in=["u1", "u2"]).exists()
        csv.write_text(
            f"用户名,姓名,组织代码,角色,初始密码\nu1,甲,{tree.village.code},联络员/书记,Good-Password-2014\n",
            encoding="utf-8",
        )
        with open(csv, "rb") as fh:
            r = client.post("/accounts/users/import/", {"file": fh})
        assert r.status_code == 302
        assert Grant.objects.filter(user__username="u1", unit=tree.village, role="operator").exists()


@pytest.mark.django_db
def test_user_import_reports_missing_and_unknown_columns(personas, tmp_path):
    csv = tmp_path / "users.csv"
    csv.write_text("用户名,职务\nu1,书记\n", encoding="utf-8")
    client = Client()
    client.force_login(personas["county_office"])
    with open(csv, "rb") as fh:
        body = client.post("/accounts/users/import/", {"file": fh}).content.decode()
    assert "缺少必填列" in body and "未知列" in body and "职务" in body
    assert not User.objects.filter(username="u1").exists()
