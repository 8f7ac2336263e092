from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "echelon.publicity"
    label = "publicity"
    verbose_name = _("公示")

    def ready(self) -> None:
        from echelon.core import navigation as nav
        from echelon.core import todo
        from echelon.core.lazy import deferred
        from echelon.ledger.parts import register_part

        # The unit's public page (the ledger's /p/<code>/) shows what is published, above the opinion box.
        register_part("published", deferred("echelon.publicity.public_page.published_part"), order=10)
        nav.register("publicity", _("公示"), "bi-megaphone", "publicity:unit", section="unit", order=55)
        # Who approves finds the notices waiting for them on the home page's to-do.
        todo.register(
            "publicity", _("公示"), "bi-megaphone", deferred("echelon.publicity.todo.items"), order=45
        )
