"""The unread-notification count for the navbar badge (computed only when a template shows it)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from echelon.supervision.selectors import unread_count

    @cache
    def unread() -> int:
        return unread_count(user)

    return {"unread_notifications": unread}
