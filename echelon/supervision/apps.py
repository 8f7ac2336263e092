from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "echelon.supervision"
    label = "supervision"
    verbose_name = _("督导")

    def ready(self) -> None:
        from echelon.core.querysets import register_scope_provider
        from echelon.supervision.scope import group_target_paths

        register_scope_provider(group_target_paths)
