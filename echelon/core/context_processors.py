from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from echelon.core.navigation import Menu


def nav(request: HttpRequest) -> dict[str, Any]:
    """The header's menus (`nav.main`, `nav.user`, `nav.search`, `nav.badge`): only what the apps registered
    with `echelon.core.navigation` and the user may see, each computed when the template reads it."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"nav": Menu(request)}
