"""Composition of each app's API under /api/v1/. Nothing else lives here."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("echelon.core.api.urls")),
    path("", include("echelon.accounts.api.urls")),
    path("", include("echelon.orgs.api.urls")),
    path("", include("echelon.campaigns.api.urls")),
    path("", include("echelon.supervision.api.urls")),
    path("", include("echelon.ledger.api.urls")),
    path("", include("echelon.evaluation.api.urls")),
    path("", include("echelon.publicity.api.urls")),
    path("", include("echelon.appraisal.api.urls")),
    path("", include("echelon.dashboards.api.urls")),
    path("", include("echelon.cases.api.urls")),
]
