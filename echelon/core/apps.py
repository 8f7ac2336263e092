from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "echelon.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        from echelon.core import navigation as nav

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
