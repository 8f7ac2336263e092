from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "echelon.orgs"
    label = "orgs"
    verbose_name = _("组织")

    def ready(self) -> None:
        from echelon.orgs import jobs  # noqa: F401  (registers the import/export job handlers)
