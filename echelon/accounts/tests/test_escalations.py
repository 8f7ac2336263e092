"""Issue 8's reproductions, each through the pages and the API: roles inside a subtree hold (ADR 11).

1. An office cannot take over a user through the user import (the superuser, itself, a user elsewhere).
2. An office manages only users whose every grant lies in its subtree (and never superusers).
3. An operator cannot join a supervision group nor decide a gate; the submitter never decides.
Plus: campaign figures for a user who sees part of a campaign are their part only, and account events are
placed in the tree so the offices above see them.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from echelon.accounts import services
from echelon.accounts.models import Grant, User
from echelon.accounts.selectors import managed_users
from echelon.core.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "A-long-pass-2014"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("users.csv", text.encode("utf-8"), content_type="text/csv")


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("admin", password="x-Admin-Pass-2014")


@pytest.fixture
def wide(tree, personas) -> User:
    """Office at 包头市 and leader in 武川县 (inside 呼和浩特市): wider rights than 呼和浩特市's office."""
    user = services.user_create(actor=None, username="wide", password=None)
    services.grant_add(actor=None, user=user, unit=tree.sibling_league, role="office")
    services.grant_add(actor=None, user=user, unit=tree.county, role="leader")
    return user


class TestImportTakeover:
    def test_import_rows_about_unmanaged_users_are_row_errors_and_nothing_is_written(
        self, tree, personas, superuser, wide
    ):
        office = personas["league_office"]
        client = client_for(office)
        grants, users, events = Grant.objects.count(), User.objects.count(), AuditEvent.objects.count()
        text = (
            "用户名,姓名,组织代码,角色,初始密码\n"
            f"admin,,{tree.league.code},leader,\n"
            f"league_office,,{tree.county.code},leader,\n"
            f"wide,,{tree.county.code},operator,\n"
        )
        r = client.post(reverse("accounts:user_import"), {"file": csv_upload(text)})
        assert r.status_code == 200
        page = r.content.decode()
        assert "该用户名已被使用，且该用户不在您的管理范围内" in page  # admin and wide
        assert "不能修改自己的授权" in page  # league_office
        assert (Grant.objects.count(), User.objects.count(), AuditEvent.objects.count()) == (
            grants,
            users,
            events,
        )
        assert not superuser.grants.exists()

    def test_superuser_never_appears_nor_can_be_reset(self, tree, personas, superuser):
        services.grant_add(actor=None, user=superuser, unit=tree.league, role="leader")
        client = client_for(personas["league_office"])
        listed = [u["username"] for u in client.get("/api/v1/users/").json()["results"]]
        assert "admin" not in listed
        r = client.post(
            reverse("accounts:user_detail", args=[superuser.pk]),
            {"form": "reset", "password": "Taken-Over-2014", "password2": "Taken-Over-2014"},
        )
        assert r.status_code == 404
        superuser.refresh_from_db()
        assert superuser.check_password("x-Admin-Pass-2014")
        # the region office neither (a superuser is above every office)
        with pytest.raises(PermissionDenied):
            services.user_set_password(actor=personas["region_office"], user=superuser, password=PASSWORD)


class TestManagesMeansFullyContains:
    def test_league_office_cannot_manage_a_user_with_a_grant_elsewhere(self, tree, personas, wide):
        office = personas["league_office"]
        assert not managed_users(office).filter(pk=wide.pk).exists()
        client = client_for(office)
        assert client.get(reverse("accounts:user_detail", args=[wide.pk])).status_code == 404
        r = client.post(
            reverse("accounts:user_detail", args=[wide.pk]),
            {"form": "reset", "password": "Taken-Over-2014", "password2": "Taken-Over-2014"},
        )
        assert r.status_code == 404
        assert client.get(f"/api/v1/users/{wide.pk}/").status_code == 404
        assert "wide" not in json.dumps(client.get("/api/v1/users/").json())
        for call in (
            lambda: services.user_set_password(actor=office, user=wide, password=PASSWORD),
            lambda: services.user_set_active(actor=office, user=wide, active=False),
            lambda: services.token_issue(actor=office, user=wide),
            lambda: services.grant_add(actor=office, user=wide, unit=tree.county, role="operator"),
            lambda: services.grant_remove(actor=office, grant=wide.grants.get(role="leader")),
        ):
            with pytest.raises(PermissionDenied):
                call()
        wide.refresh_from_db()
        assert wide.is_active and not wide.check_password(PASSWORD)
        assert wide.grants.count() == 2

    def test_the_region_office_contains_both_grants_and_manages(self, tree, personas, wide):
        region = personas["region_office"]
        assert managed_users(region).filter(pk=wide.pk).exists()
        r = client_for(region).post(
            reverse("accounts:user_detail", args=[wide.pk]),
            {"form": "reset", "password": PASSWORD, "password2": PASSWORD},
        )
        assert r.status_code == 302
        wide.refresh_from_db()
        assert wide.check_password(PASSWORD)

    def test_the_user_api_lists_only_grants_in_the_callers_subtree(self, tree, personas):
        rows = client_for(personas["county_office"]).get("/api/v1/grants/").json()["results"]
        assert rows and all(r["unit_code"].startswith(tree.county.code) for r in rows)
        users = client_for(personas["county_office"]).get("/api/v1/users/").json()["results"]
        codes = [g["unit_code"] for u in users for g in u["grants"]]
        assert codes and all(c.startswith(tree.county.code) for c in codes)

    def test_account_events_are_placed_at_the_users_grants(self, tree, personas):
        secretary = personas["village_secretary"]
        services.user_set_password(actor=personas["county_office"], user=secretary, password=PASSWORD)
        services.user_set_active(actor=personas["league_office"], user=secretary, active=False)
        services.token_issue(actor=personas["region_office"], user=secretary)
        for office in ("county_office", "league_office", "region_office"):
            seen = set(
                AuditEvent.objects.visible_to(personas[office], "audit")
                .filter(object_id=str(secretary.pk), object_type="accounts.user")
                .values_list("verb", flat=True)
            )
            assert {"user.password_reset", "user.deactivate"} <= seen, office
            assert (
                AuditEvent.objects.visible_to(personas[office], "audit").filter(verb="token.issue").exists()
            )
        assert not AuditEvent.objects.visible_to(personas["outsider"], "audit").filter(
            object_id=str(secretary.pk), object_type="accounts.user"
        )

    def test_a_new_user_created_by_an_office_is_audited_at_its_unit(self, tree, personas):
        client = client_for(personas["county_office"])
        r = client.post(
            "/api/v1/users/",
            {
                "username": "clerk",
                "password": PASSWORD,
                "unit_code": tree.village.code,
                "role": "operator",
            },
            content_type="application/json",
        )
        assert r.status_code == 201
        event = AuditEvent.objects.get(verb="user.create", object_repr="clerk")
        assert event.unit_path == tree.village.path


class TestSeparationOfDuties:
    @pytest.fixture
    def gate(self, tree, personas, settings, tmp_path):
        """The kit's world: the village's phase two submitted by its secretary, open for the township's
        instructor; the county group (the county supervisor) has the township."""
        from echelon.supervision.models import Review, ReviewState
        from echelon.supervision.tests import kit

        settings.MEDIA_ROOT = tmp_path
        world = kit.world(type("Ctx", (), {"tree": tree, "personas": personas})())
        assert world.review.state == ReviewState.OPEN
        return world, world.review, Review

    def test_an_operator_cannot_join_a_group_nor_decide(self, tree, personas, gate):
        world, review, Review = gate
        operator = personas["township_operator"]
        client = client_for(operator)
        for g in (world.group, world.instructor):  # the township's own instructor included (home: township)
            url = f"/api/v1/supervision/groups/{g.pk}/members/"
            me = {"username": "township_operator", "leader": True}
            assert client.post(url, me, content_type="application/json").status_code in (403, 404)
            assert not g.members.filter(pk=operator.pk).exists()
        url = f"/api/v1/supervision/groups/{world.group.pk}/members/"
        r = client_for(personas["county_office"]).post(
            url, {"username": "township_operator", "leader": True}, content_type="application/json"
        )
        assert r.status_code == 400 and not world.group.members.filter(pk=operator.pk).exists()
        decide = {
            "decision": "pass",
            "checks": [{"key": k, "passed": True} for k in ("thinking", "materials", "work")],
        }
        form = {"check_thinking": "pass", "check_materials": "pass", "check_work": "pass", "decision": "pass"}
        for who in ("township_operator", "village_secretary"):
            client = client_for(personas[who])
            r = client.post(
                f"/api/v1/supervision/reviews/{review.pk}/decide/", decide, content_type="application/json"
            )
            assert r.status_code in (403, 404), who
            page = client.post(reverse("supervision:review", args=[review.pk]), form)
            assert page.status_code in (403, 404), who
        assert Review.objects.get(pk=review.pk).state == "open"

    def test_a_member_holding_an_operator_grant_on_the_unit_cannot_decide(self, tree, personas, gate):
        from echelon.supervision import services as sv
        from echelon.supervision.services import CheckResult

        world, review, Review = gate
        instructor = world.instructor.members.get()
        # someone who is both a township supervisor (a legitimate instructor) and the village's operator
        both = services.user_create(actor=None, username="both", password=None)
        services.grant_add(actor=None, user=both, unit=tree.township, role="supervisor")
        services.grant_add(actor=None, user=both, unit=tree.village, role="operator")
        sv.group_remove_member(actor=None, group=world.instructor, user=instructor)
        sv.group_add_member(actor=None, group=world.instructor, user=both)
        checks = {k: CheckResult(True) for k in ("thinking", "materials", "work")}
        with pytest.raises(PermissionDenied, match="提交与审核"):
            sv.gate_decide(actor=both, review=review, decision="pass", checks=checks)
        assert Review.objects.get(pk=review.pk).state == "open"
        sv.group_remove_member(actor=None, group=world.instructor, user=both)
        sv.group_add_member(actor=None, group=world.instructor, user=instructor)
        sv.gate_decide(actor=instructor, review=review, decision="pass", checks=checks)
        assert Review.objects.get(pk=review.pk).decision == "pass"

    def test_the_submitter_never_decides_even_as_a_superuser(self, tree, personas, gate, superuser):
        from echelon.supervision import services as sv
        from echelon.supervision.services import CheckResult

        world, review, Review = gate
        instructor = world.instructor.members.get()
        sv.gate_decide(
            actor=instructor,
            review=review,
            decision="return",
            comment="补充材料",
            deadline=date.today(),
            checks={k: CheckResult(k != "work", "") for k in ("thinking", "materials", "work")},
        )
        again = sv.gate_submit(actor=superuser, participation=review.participation)
        checks = {k: CheckResult(True) for k in ("thinking", "materials", "work")}
        with pytest.raises(PermissionDenied, match="提交人"):
            sv.gate_decide(actor=superuser, review=again, decision="pass", checks=checks)
        assert Review.objects.get(pk=again.pk).state == "open"

    def test_operators_cannot_create_schedule_or_publish_campaigns(self, tree, personas):
        client = client_for(personas["township_operator"])
        r = client.post(
            "/api/v1/campaigns/",
            {
                "template": "mass-line-2014-nmg",
                "root_code": tree.township.code,
                "start": "2014-01-20",
                "end": "2014-09-30",
            },
            content_type="application/json",
        )
        assert r.status_code in (400, 403)
        assert client.get(reverse("campaigns:create")).status_code == 403
        from echelon.campaigns.models import Campaign

        assert not Campaign.objects.exists()


class TestCampaignFiguresArePartial:
    def test_a_township_user_sees_its_part_only(self, tree, personas):
        from echelon.campaigns.tests import kit as ck

        ctx = type("Ctx", (), {"tree": tree, "personas": personas})()
        campaign = ck.world(ctx).campaign
        whole = campaign.participations_count
        operator = personas["township_operator"]
        mine = campaign.participations.filter(path__startswith=tree.township.path).count()
        assert 0 < mine < whole
        client = client_for(operator)
        data = client.get(f"/api/v1/campaigns/{campaign.pk}/").json()
        assert data["participations_count"] == mine and data["replan_summary"] is None
        assert sum(b["participations_count"] for b in data["batches"]) == mine
        listed = client.get("/api/v1/campaigns/").json()["results"][0]
        assert listed["participations_count"] == mine
        page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
        assert f"{mine} 个参与单位" in page and f"{whole} 个参与单位" not in page
        office = client_for(personas["county_office"]).get(f"/api/v1/campaigns/{campaign.pk}/").json()
        assert office["participations_count"] == whole
