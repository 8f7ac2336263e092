from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "echelon.orgs"
    label = "orgs"
    verbose_name = _("组织")

    def ready(self) -> None:
        from echelon.core import navigation as nav
        from echelon.core.filters import register_unit_path
        from echelon.core.narration import register_unit_names
        from echelon.orgs import jobs  # noqa: F401  (registers the import/export job handlers)
        from echelon.orgs.selectors import names_of, path_of_code

        register_unit_path(path_of_code)
        register_unit_names(names_of)
        nav.register("orgs", _("组织"), "bi-diagram-3", "orgs:browse", order=10)
        nav.register(
            "orgs",
            _("搜索组织"),
            "bi-search",
            "orgs:search",
            section="search",
            hint=_("搜索组织：名称、代码或拼音"),
            lookup="orgs:autocomplete",
        )
