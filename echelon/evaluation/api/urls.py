"""The evaluation's API under /api/v1/: ``evaluation/...`` (staff) and ``public/ballots/`` (no login)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from echelon.evaluation.api import views

router = SimpleRouter()
router.register("evaluation/sessions", views.SessionViewSet, basename="evaluation-session")
router.register("evaluation/redos", views.RedoViewSet, basename="evaluation-redo")

urlpatterns: list = [
    *router.urls,
    path("evaluation/rollup/<str:code>/", views.RollupView.as_view(), name="evaluation-rollup"),
    path("public/ballots/", views.PublicBallotView.as_view(), name="public-ballots"),
]
