from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The product's areas; an area without a URL yet is shown disabled.
NAV = [
    ("orgs", _("组织"), "bi-diagram-3", "orgs:browse"),
    ("campaigns", _("活动安排"), "bi-calendar-range", "campaigns:list"),
    ("supervision", _("督导"), "bi-clipboard-check", "supervision:index"),
    ("ledger", _("问题台账"), "bi-journal-text", None),
    ("dashboards", _("调度看板"), "bi-bar-chart", None),
]


def nav(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    items = []
    for key, label, icon, url_name in NAV:
        url = reverse(url_name) if url_name else ""
        items.append(
            {
                "label": label,
                "icon": icon,
                "url": url,
                "active": bool(url) and request.path.startswith(f"/{key}/"),
            }
        )
    from echelon.core.querysets import scope_paths

    admin_items = []
    if scope_paths(request.user, "manage_users") != []:
        admin_items.append({"label": _("用户与授权"), "icon": "bi-people", "url": reverse("accounts:users")})
    if scope_paths(request.user, "audit") != []:
        admin_items.append({"label": _("审计记录"), "icon": "bi-shield-check", "url": reverse("audit:list")})
    return {"nav_items": items, "admin_items": admin_items}
