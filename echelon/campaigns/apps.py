from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "echelon.campaigns"
    label = "campaigns"
    verbose_name = _("活动安排")

    def ready(self) -> None:
        from echelon.campaigns import jobs  # noqa: F401  (registers the job handlers)
        from echelon.core import navigation as nav
        from echelon.core.lazy import deferred
        from echelon.orgs.services import on_units_created

        # a new unit joins the campaigns running over it (the services imported when one is created)
        on_units_created(deferred("echelon.campaigns.services.units_join"))

        nav.register("campaigns", _("活动安排"), "bi-calendar-range", "campaigns:list", order=20)
        # The unit page's tab (orgs renders it without knowing campaigns).
        nav.register(
            "campaigns",
            _("活动安排"),
            "bi-calendar-range",
            "campaigns:unit_campaigns",
            section="unit",
            order=40,
        )
