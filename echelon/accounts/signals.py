"""Authentication events raised by Django and django-axes, turned into audit events by the service.

These happen only inside a login/logout request, so a receiver cannot miss work done elsewhere.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from echelon.accounts import services, verbs


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.login_event(verb=verbs.USER_LOGIN, username=user.get_username(), user=user)


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        services.login_event(verb=verbs.USER_LOGOUT, username=user.get_username(), user=user)


@receiver(user_locked_out)
def on_locked_out(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    services.login_event(verb=verbs.USER_LOCKOUT, username=username or "")
