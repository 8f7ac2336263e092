"""The roles page says what each role may do in words, not permission codes (issue 10, words for people)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from echelon.accounts.roles import ROLE_ACTIONS, Action, Role


@pytest.mark.django_db
def test_the_roles_page_shows_actions_in_words(personas):
    client = Client()
    client.force_login(personas["village_secretary"])
    html = client.get(reverse("accounts:roles")).content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    for action in Action:
        assert f">{action.value}<" not in body
    rows = body.split("</tr>")
    office = next(row for row in rows if f"<td>{Role.OFFICE.label}</td>" in row)
    assert str(Action.MANAGE_USERS.label) in office and "manage_users" not in office
    operator = next(row for row in rows if f"<td>{Role.OPERATOR.label}</td>" in row)
    assert str(Action.CHANGE.label) in operator
    assert str(Action.AUDIT.label) not in operator and "audit" not in ROLE_ACTIONS[Role.OPERATOR]
