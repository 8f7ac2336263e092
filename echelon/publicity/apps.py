from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "echelon.publicity"
    label = "publicity"
    verbose_name = _("公示")

    def ready(self) -> None:
        from echelon.core import navigation as nav
        from echelon.core import todo
        from echelon.ledger.views import public
        from echelon.publicity import kinds, public_page
        from echelon.publicity import todo as publicity_todo

        kinds.register_builtins()
        # The unit's public page (the ledger's /p/<code>/) shows what is published, above the opinion box.
        public.register_part("published", public_page.published_part, order=10)
        nav.register("publicity", _("公示"), "bi-megaphone", "publicity:unit", section="unit", order=55)
        # Who approves finds the notices waiting for them on the home page's to-do.
        todo.register("publicity", _("公示"), "bi-megaphone", publicity_todo.items, order=45)
