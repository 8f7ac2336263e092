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
        from echelon.core.lazy import deferred
        from echelon.core.notifications import register_target
        from echelon.evaluation.models import Redo, Session
        from echelon.ledger.parts import register_part

        nav.register("evaluation", _("满意度测评"), "bi-hand-thumbs-up", "evaluation:index", order=45)
        nav.register(
            "evaluation", _("满意度测评"), "bi-hand-thumbs-up", "evaluation:unit", section="unit", order=55
        )
        todo.register(
            "evaluation",
            _("满意度测评"),
            "bi-hand-thumbs-up",
            deferred("echelon.evaluation.todo.items"),
            order=45,
        )
        register_target(Session, session_url)
        register_part("ballot", deferred("echelon.evaluation.views.public.ballot_entry"))
        register_target(Redo, redo_url)
