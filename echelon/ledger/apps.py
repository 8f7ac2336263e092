from typing import Any

from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def problem_url(problem: Any) -> str:
    return reverse("ledger:problem", args=[problem.pk])


def task_url(task: Any) -> str:
    return reverse("ledger:problem", args=[task.problem_id]) + f"#task-{task.pk}"


class LedgerConfig(AppConfig):
    name = "echelon.ledger"
    label = "ledger"
    verbose_name = _("问题台账")

    def ready(self) -> None:
        from echelon.core import jobs, stats, todo
        from echelon.core import navigation as nav
        from echelon.core.lazy import deferred
        from echelon.core.notifications import register_target
        from echelon.ledger.models import Problem, Task
        from echelon.supervision import submit_checks

        nav.register("ledger", _("问题台账"), "bi-journal-check", "ledger:index", order=40)
        # The unit page's tab: the unit's ledger (orgs renders it without knowing the ledger).
        nav.register("ledger", _("问题台账"), "bi-journal-check", "ledger:unit", section="unit", order=50)
        submit_checks.register(deferred("echelon.ledger.gate.unverified_tasks"))
        todo.register(
            "ledger", _("问题台账"), "bi-journal-check", deferred("echelon.ledger.todo.items"), order=40
        )
        register_target(Problem, problem_url)
        register_target(Task, task_url)
        stats.register(
            "ledger", deferred("echelon.ledger.stats.figures"), text=deferred("echelon.ledger.stats.lines")
        )
        # the export job's handler (kind exports.EXPORT_JOB; the module registers itself again when imported)
        jobs.register("ledger.export")(deferred("echelon.ledger.exports.run_export"))
