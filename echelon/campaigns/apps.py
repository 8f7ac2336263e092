from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "echelon.campaigns"
    label = "campaigns"
    verbose_name = _("活动安排")

    def ready(self) -> None:
        from echelon.campaigns import jobs  # noqa: F401  (registers the job handlers)
