"""The ledger's API under /api/v1/: the staff endpoints (``views``) and the public ones (``public``, no
login)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from echelon.ledger.api import public, views

# staff endpoints: the viewsets, under /api/v1/ledger/
router = SimpleRouter()
router.register("ledger/opinions", views.OpinionViewSet, basename="ledger-opinion")
router.register("ledger/problems", views.ProblemViewSet, basename="ledger-problem")
router.register("ledger/tasks", views.TaskViewSet, basename="ledger-task")
router.register("ledger/escalations", views.EscalationViewSet, basename="ledger-escalation")
router.register("ledger/handovers", views.HandoverViewSet, basename="ledger-handover")
router.register("ledger/institutions", views.InstitutionViewSet, basename="ledger-institution")

urlpatterns: list = [
    # staff endpoints (owned by the API work): viewsets through a router, the summary
    path("ledger/summary/", views.SummaryViewSet.as_view({"get": "summary"}), name="ledger-summary"),
    *router.urls,
    # public endpoints (owned by the public-intake work): /public/opinions/ and /public/opinions/<code>/
    path("public/opinions/", public.PublicOpinionCreateView.as_view(), name="public-opinions"),
    path(
        "public/opinions/<str:tracking_code>/",
        public.PublicOpinionStatusView.as_view(),
        name="public-opinion",
    ),
]
