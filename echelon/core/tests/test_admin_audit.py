"""The Django admin: superusers only (is_staff alone opens nothing), every change in the audit trail."""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from echelon.accounts.models import ApiToken, User
from echelon.core.admin import AuditedModelAdmin, EchelonAdminSite
from echelon.core.models import AuditEvent


def unit_form(unit, **changes) -> dict:
    data = {
        "name": unit.name,
        "area_type": unit.area_type,
        "industry": unit.industry,
        "lead_by": unit.lead_by,
    }
    return {**data, **changes}


@pytest.fixture
def superuser_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def staff(personas) -> User:
    """An office with the staff flag: still no admin."""
    user = personas["region_office"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_every_registered_admin_is_audited():
    assert isinstance(
        admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site, EchelonAdminSite
    )
    assert admin.site._registry, "nothing registered"
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AuditedModelAdmin), model


@pytest.mark.django_db
class TestAdminIsForSuperusersOnly:
    def test_staff_without_superuser_gets_no_admin(self, staff, tree):
        client = Client()
        client.force_login(staff)
        for url in ("/admin/", f"/admin/orgs/unit/{tree.county.pk}/change/", "/admin/accounts/user/"):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url
        response = client.post(
            f"/admin/orgs/unit/{tree.county.pk}/change/", unit_form(tree.county, name="改名县")
        )
        assert response.status_code == 302
        tree.county.refresh_from_db()
        assert tree.county.name == "武川县"
        assert not AuditEvent.objects.filter(verb__startswith="admin.").exists()

    def test_staff_cannot_log_in_to_the_admin(self, staff):
        staff.set_password("Staff-Only-Pass-2014")
        staff.save()
        client = Client()
        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": staff.username, "password": "Staff-Only-Pass-2014", "next": "/admin/"},
        )
        assert response.status_code == 200  # the form again, with an error
        assert "_auth_user_id" not in client.session
        assert client.get("/admin/").status_code == 302

    def test_inactive_superuser_gets_no_admin(self, admin_user):
        client = Client()
        client.force_login(admin_user)
        User.objects.filter(pk=admin_user.pk).update(is_active=False)
        assert client.get("/admin/").status_code == 302

    def test_superuser_gets_the_admin(self, superuser_client):
        assert superuser_client.get("/admin/").status_code == 200


@pytest.mark.django_db
class TestAdminChangesAreAudited:
    def test_unit_rename_is_one_audit_event(self, superuser_client, admin_user, tree):
        url = f"/admin/orgs/unit/{tree.county.pk}/change/"
        assert superuser_client.get(url).status_code == 200
        before = AuditEvent.objects.count()
        response = superuser_client.post(url, unit_form(tree.county, name="武川旗"))
        assert response.status_code == 302, response.content.decode()[:3000]
        tree.county.refresh_from_db()
        assert tree.county.name == "武川旗"
        assert tree.county.pinyin.startswith("wuchuanqi")  # search keys follow the name
        assert AuditEvent.objects.count() == before + 1
        event = AuditEvent.objects.get(verb="admin.change")
        assert event.actor == admin_user and event.object_type == "orgs.unit"
        assert event.object_id == str(tree.county.pk)
        assert event.unit_path == tree.county.path and event.unit_id == tree.county.pk
        assert event.before == {"name": "武川县"}
        assert event.after["name"] == "武川旗" and event.after["message"]
        assert LogEntry.objects.filter(object_id=str(tree.county.pk)).count() == 1  # Django's log too

    def test_the_league_office_sees_the_admin_change_in_its_audit_search(
        self, superuser_client, personas, tree
    ):
        superuser_client.post(
            f"/admin/orgs/unit/{tree.village.pk}/change/", unit_form(tree.village, name="东土城新村")
        )
        assert AuditEvent.objects.visible_to(personas["league_office"]).filter(verb="admin.change").exists()
        assert not AuditEvent.objects.visible_to(personas["outsider"]).filter(verb="admin.change").exists()

    def test_units_are_neither_added_nor_deleted_in_the_admin(self, superuser_client, tree):
        assert superuser_client.get("/admin/orgs/unit/add/").status_code == 403
        assert superuser_client.get(f"/admin/orgs/unit/{tree.village.pk}/delete/").status_code == 403

    def test_add_and_delete_are_audited(self, superuser_client, admin_user):
        response = superuser_client.post("/admin/auth/group/add/", {"name": "临时组"})
        assert response.status_code == 302
        group = Group.objects.get(name="临时组")
        added = AuditEvent.objects.get(verb="admin.add")
        assert added.object_id == str(group.pk) and added.after["name"] == "临时组"
        response = superuser_client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302 and not Group.objects.exists()
        deleted = AuditEvent.objects.get(verb="admin.delete")
        assert deleted.object_id == str(group.pk) and deleted.actor == admin_user

    def test_bulk_delete_action_is_audited_per_object(self, superuser_client):
        groups = [Group.objects.create(name=f"组{i}") for i in range(3)]
        response = superuser_client.post(
            "/admin/auth/group/",
            {"action": "delete_selected", "_selected_action": [g.pk for g in groups], "post": "yes"},
        )
        assert response.status_code == 302 and not Group.objects.exists()
        assert sorted(AuditEvent.objects.filter(verb="admin.delete").values_list("object_id", flat=True)) == (
            sorted(str(g.pk) for g in groups)
        )

    def test_password_set_in_the_admin_is_audited_without_the_password_and_ends_tokens(
        self, superuser_client, personas, tree
    ):
        target = personas["village_secretary"]
        out = io.StringIO()
        call_command("issue_token", target.username, stdout=out, stderr=io.StringIO())
        key = out.getvalue().strip().splitlines()[-1]
        secret = "Admin-Set-Pass-2014"
        response = superuser_client.post(
            f"/admin/accounts/user/{target.pk}/password/",
            {"password1": secret, "password2": secret, "usable_password": "true"},
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        target.refresh_from_db()
        assert target.check_password(secret)
        assert not ApiToken.objects.active().filter(user=target).exists()
        assert Client().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
        event = AuditEvent.objects.get(verb="admin.change", object_id=str(target.pk))
        assert event.after["tokens_revoked"] == 1
        assert event.unit_path == tree.village.path  # where the user's grants are
        assert secret not in str(event.before) + str(event.after)


@pytest.mark.django_db
def test_third_party_apps_have_chinese_headings(superuser_client):
    html = superuser_client.get("/admin/").content.decode()
    for name in ("登录防护", "登录尝试", "后台任务", "任务结果"):
        assert name in html, name
    for english in (">Axes<", "Task Results", "Tasks Database Backend", "Access attempts"):
        assert english not in html, english
    html = superuser_client.get("/admin/axes/").content.decode()
    assert "登录防护" in html and ">Axes<" not in html


@pytest.mark.django_db
def test_a_third_party_models_own_pages_name_it_in_chinese(superuser_client):
    """The model list's breadcrumb and title read the app's and the model's own names (not the index's)."""
    for url, words in (
        ("/admin/axes/accessattempt/", ("登录防护", "登录尝试")),
        ("/admin/django_tasks_database/dbtaskresult/", ("后台任务", "任务结果")),
    ):
        html = superuser_client.get(url).content.decode()
        for word in words:
            assert word in html, (url, word)
        for english in (">Axes<", "Access attempts", "Task Results", "Tasks Database Backend"):
            assert english not in html, (url, english)
