from typing import Any

from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def review_url(review: Any) -> str:
    return reverse("supervision:review", args=[review.pk])


def approval_url(approval: Any) -> str:
    return reverse("supervision:workbench") + f"#approval-{approval.pk}"


def unit_phase_url(participation: Any) -> str:
    return reverse("supervision:unit", args=[participation.campaign_id, participation.unit.code])


class SupervisionConfig(AppConfig):
    name = "echelon.supervision"
    label = "supervision"
    verbose_name = _("督导")

    def ready(self) -> None:
        from echelon.campaigns.models import Participation
        from echelon.core import navigation as nav
        from echelon.core import todo
        from echelon.core.lazy import deferred
        from echelon.core.notifications import register_target
        from echelon.core.querysets import register_scope_provider
        from echelon.supervision.models import MaterialApproval, Review
        from echelon.supervision.scope import group_target_paths

        register_scope_provider(group_target_paths)
        # the printed schedule ticks the actions done (campaigns sits below supervision)
        from echelon.campaigns.done import register_done_actions

        register_done_actions(deferred("echelon.supervision.selectors.done_action_keys"))
        todo.register(
            "supervision",
            _("活动与督导"),
            "bi-clipboard-check",
            deferred("echelon.supervision.todo.items"),
            order=30,
        )
        nav.register("supervision", _("督导"), "bi-clipboard-check", "supervision:index", order=30)
        # Notices about a review open its page; about a unit's participation, the unit's phase page.
        register_target(Review, review_url)
        register_target(Participation, unit_phase_url, related=("unit",))
        register_target(MaterialApproval, approval_url)  # a material waiting: the workbench's queue
