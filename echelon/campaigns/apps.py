from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "echelon.campaigns"
    label = "campaigns"
    verbose_name = _("活动安排")

    def ready(self) -> None:
        from echelon.campaigns import (
            jobs,  # noqa: F401  (registers the job handlers)
            services,
        )
        from echelon.core import navigation as nav
        from echelon.orgs.services import on_units_created

        on_units_created(services.units_join)  # a new unit joins the campaigns running over it

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
