from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    name = "echelon.appraisal"
    label = "appraisal"
    verbose_name = _("民主评议党员")

    def ready(self) -> None:
        from echelon.core import navigation as nav

        nav.register("appraisal", _("民主评议"), "bi-people", "appraisal:index", order=50)
        # The unit page's tab: the counts of the unit's subtree (orgs renders it without knowing the app).
        nav.register("appraisal", _("民主评议"), "bi-people", "appraisal:unit", section="unit", order=55)
