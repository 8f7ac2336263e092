from typing import Any

from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def session_url(session: Any) -> str:
    return reverse("evaluation:session", args=[session.pk])


def redo_url(redo: Any) -> str:
    return reverse("evaluation:redo", args=[redo.pk])


class EvaluationConfig(AppConfig):
    name = "echelon.evaluation"
    label = "evaluation"
    verbose_name = _("满意度测评")

    def ready(self) -> None:
        from echelon.core import navigation as nav
        from echelon.core import todo
        from echelon.core.notifications import register_target
        from echelon.evaluation.models import Redo, Session

        nav.register("evaluation", _("满意度测评"), "bi-hand-thumbs-up", "evaluation:index", order=45)
        nav.register(
            "evaluation", _("满意度测评"), "bi-hand-thumbs-up", "evaluation:unit", section="unit", order=55
        )
        from echelon.evaluation.todo import items as evaluation_todo

        todo.register("evaluation", _("满意度测评"), "bi-hand-thumbs-up", evaluation_todo, order=45)
        register_target(Session, session_url)
        from echelon.evaluation.views.public import ballot_entry
        from echelon.ledger.views.public import register_part

        register_part("ballot", ballot_entry)
        register_target(Redo, redo_url)
