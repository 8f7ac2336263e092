from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "echelon.cases"
    label = "cases"
    verbose_name = _("典型案例")

    def ready(self) -> None:
        from echelon.cases.models import Case
        from echelon.core import navigation as nav
        from echelon.core import todo
        from echelon.core.lazy import deferred
        from echelon.core.notifications import register_target
        from echelon.supervision import action_links

        nav.register("cases", _("典型案例"), "bi-award", "cases:index", order=55)
        # Beside each action of a unit's phase page: the library of that phase and action (ADR 13: the
        # supervision page knows nothing of cases).
        action_links.register(deferred("echelon.cases.selectors.action_links"))
        todo.register("cases", _("典型案例"), "bi-award", deferred("echelon.cases.todo.items"), order=45)
        register_target(Case, lambda case: reverse("cases:case", args=[case.pk]))
