from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "echelon.publicity"
    label = "publicity"
    verbose_name = _("公示")

    def ready(self) -> None:
        from echelon.ledger.views import public
        from echelon.publicity import kinds, public_page

        kinds.register_builtins()
        # The unit's public page (the ledger's /p/<code>/) shows what is published, above the opinion box.
        public.register_part("published", public_page.published_part, order=10)
