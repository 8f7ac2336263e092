from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def unread_notifications(user: Any) -> int:
    """The notifications entry's badge (counted only when a page header shows it)."""
    from echelon.supervision.selectors import unread_count

    return unread_count(user)


class SupervisionConfig(AppConfig):
    name = "echelon.supervision"
    label = "supervision"
    verbose_name = _("督导")

    def ready(self) -> None:
        from echelon.core import navigation as nav
        from echelon.core.querysets import register_scope_provider
        from echelon.supervision.scope import group_target_paths

        register_scope_provider(group_target_paths)
        nav.register("supervision", _("督导"), "bi-clipboard-check", "supervision:index", order=30)
        nav.register(
            "notifications",
            _("通知"),
            "bi-bell",
            "supervision:notifications",
            section="user",
            order=10,
            badge=unread_notifications,
        )
