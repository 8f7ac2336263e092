from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "echelon.dashboards"
    label = "dashboards"
    verbose_name = _("调度看板")

    def ready(self) -> None:
        from echelon.core import navigation as nav
        from echelon.core import todo
        from echelon.core.lazy import deferred
        from echelon.core.notifications import register_target
        from echelon.dashboards.models import InfoReport
        from echelon.orgs.models import Unit

        nav.register("dashboards", _("调度看板"), "bi-speedometer2", "dashboards:index", order=15)
        todo.register(
            "dashboards_warnings",
            _("预警"),
            "bi-exclamation-triangle",
            deferred("echelon.dashboards.todo.warning_items"),
            order=20,
        )
        todo.register(
            "dashboards_reports",
            _("信息报送"),
            "bi-journal-text",
            deferred("echelon.dashboards.todo.report_items"),
            order=25,
        )
        todo.register(
            "dashboards_dispatch",
            _("调度会交办"),
            "bi-check2-square",
            deferred("echelon.dashboards.todo.dispatch_items"),
            order=28,
        )
        register_target(InfoReport, lambda r: reverse("dashboards:info_report", args=[r.pk]))
        register_target(
            Unit, deferred("echelon.dashboards.todo.notice_url")
        )  # the daily notice of new warnings: the unit's warnings
