"""API tokens die with the password they were issued under: the user's own change and an office's reset."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from echelon.accounts.models import ApiToken
from echelon.core.models import AuditEvent

NEW_PASSWORD = "Wuchuan-Reset-2014"


def issue(username: str) -> str:
    out = io.StringIO()
    call_command("issue_token", username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1]


def api_status(key: str) -> int:
    return Client().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Token {key}").status_code


@pytest.mark.django_db
class TestTokensDieWithThePassword:
    def test_office_reset_through_the_page_revokes_every_token(self, personas, tree):
        target = personas["village_secretary"]
        keys = [issue("village_secretary"), issue("village_secretary")]
        other = issue("township_operator")
        assert [api_status(k) for k in keys] == [200, 200]

        office = Client()
        office.force_login(personas["county_office"])
        response = office.post(
            reverse("accounts:user_detail", args=[target.pk]),
            {"form": "reset", "password": NEW_PASSWORD},
        )
        assert response.status_code == 302, response.content.decode()[:2000]

        assert [api_status(k) for k in keys] == [401, 401]
        assert api_status(other) == 200  # somebody else's token is untouched
        assert not ApiToken.objects.active().filter(user=target).exists()
        event = AuditEvent.objects.get(verb="user.password_reset", object_id=str(target.pk))
        assert event.actor == personas["county_office"]
        assert event.after["tokens_revoked"] == 2

    def test_own_password_change_revokes_every_token(self, personas, tree):
        user = personas["village_secretary"]
        user.set_password("Old-Secret-Pass-2014")
        user.save()
        key = issue("village_secretary")
        assert api_status(key) == 200

        client = Client()
        client.force_login(user)
        response = client.post(
            reverse("accounts:password_change"),
            {
                "old_password": "Old-Secret-Pass-2014",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        assert response.status_code == 302 and response["Location"] == reverse("accounts:login")

        assert api_status(key) == 401
        event = AuditEvent.objects.get(verb="user.password_change")
        assert event.actor == user and event.after == {"tokens_revoked": 1}

    def test_failed_reset_keeps_the_tokens(self, personas, tree):
        target = personas["village_secretary"]
        key = issue("village_secretary")
        office = Client()
        office.force_login(personas["county_office"])
        office.post(
            reverse("accounts:user_detail", args=[target.pk]),
            {"form": "reset", "password": "1234567890"},  # refused by the password validators
        )
        assert api_status(key) == 200
        assert not AuditEvent.objects.filter(verb="user.password_reset").exists()
