from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def unread_notifications(user: Any) -> int:
    """The notifications entry's badge (counted only when a page header shows it)."""
    from echelon.core.notifications import unread_count

    return unread_count(user)


class CoreConfig(AppConfig):
    name = "echelon.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        from echelon.core import navigation as nav

        nav.register(
            "notifications",
            _("通知"),
            "bi-bell",
            "notifications:list",
            section="user",
            order=10,
            badge=unread_notifications,
        )
        nav.register("jobs", _("我的后台任务"), "bi-hourglass-split", "jobs:list", section="user", order=20)
        nav.register(
            "audit",
            _("审计记录"),
            "bi-shield-check",
            "audit:list",
            section="user",
            order=40,
            visible=nav.allowed_somewhere("audit"),
        )
