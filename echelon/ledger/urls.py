from django.urls import path

from echelon.ledger.views import (
    exports,
    institutions,
    opinion_import,
    opinions,
    overview,
    problems,
    routing,
    special,
    tasks,
)

app_name = "ledger"

urlpatterns = [
    path("", overview.index, name="index"),
    path("unit/<str:code>/", overview.unit_ledger, name="unit"),
    path("opinions/", opinions.opinion_list, name="opinions"),
    path("opinions/new/", opinions.opinion_new, name="opinion_new"),
    path("opinions/<int:pk>/", opinions.opinion_detail, name="opinion"),
    path("opinions/<int:pk>/reply/", opinions.opinion_reply, name="opinion_reply"),
    path("opinions/<int:pk>/close/", opinions.opinion_close, name="opinion_close"),
    path("opinions/<int:pk>/merge/", opinions.opinion_merge, name="opinion_merge"),
    path("problems/", problems.problem_list, name="problems"),
    path("problems/new/", problems.problem_new, name="problem_new"),
    path("problems/<int:pk>/", problems.problem_detail, name="problem"),
    path("problems/<int:pk>/edit/", problems.problem_edit, name="problem_edit"),
    path("problems/<int:pk>/tasks/", tasks.task_add, name="task_add"),
    path("problems/<int:pk>/escalate/", routing.problem_escalate, name="problem_escalate"),
    path("tasks/<int:pk>/evidence/", tasks.task_evidence, name="task_evidence"),
    path("tasks/<int:pk>/claim/", tasks.task_claim, name="task_claim"),
    path("tasks/<int:pk>/decide/", tasks.task_decide, name="task_decide"),
    path("tasks/<int:pk>/reopen/", tasks.task_reopen, name="task_reopen"),
    path("tasks/<int:pk>/handover/", routing.handover_offer, name="handover_offer"),
    path("evidence/<int:pk>/", tasks.evidence_download, name="evidence"),
    path("escalations/", routing.escalation_list, name="escalations"),
    path("escalations/<int:pk>/decide/", routing.escalation_decide, name="escalation_decide"),
    path("handovers/", routing.handover_list, name="handovers"),
    path("handovers/<int:pk>/accept/", routing.handover_accept, name="handover_accept"),
]

# Opinion import, exports, institutions and special rectification (issue 11 items 1, 3, 6, 7).
urlpatterns += [
    path("opinions/import/", opinion_import.opinion_import, name="opinion_import"),
    path("opinions/import/template.xlsx", opinion_import.opinion_template, name="opinion_template"),
    path("exports/", exports.exports_page, name="exports"),
    path("exports/unit/<str:code>/<str:fmt>/", exports.export_unit, name="export_unit"),
    path("exports/rollup/<str:code>/<str:fmt>/", exports.export_rollup, name="export_rollup"),
    path("exports/problems.xlsx", exports.export_problems, name="export_problems"),
    path("institutions/", institutions.institution_list, name="institutions"),
    path("institutions/new/", institutions.institution_new, name="institution_new"),
    path("institutions/<int:pk>/", institutions.institution_detail, name="institution"),
    path("institutions/<int:pk>/document/", institutions.institution_document, name="institution_document"),
    path("special/", special.special, name="special"),
]
