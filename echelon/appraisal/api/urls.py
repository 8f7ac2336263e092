from django.urls import path
from rest_framework.routers import SimpleRouter

from echelon.appraisal.api import views

router = SimpleRouter()
router.register("appraisal/appraisals", views.AppraisalViewSet, basename="appraisal")
router.register("appraisal/ratings", views.RatingViewSet, basename="appraisal-rating")
router.register("appraisal/followups", views.FollowUpViewSet, basename="appraisal-followup")

urlpatterns = [
    path("appraisal/summary/<str:code>/", views.SummaryView.as_view(), name="appraisal-summary"),
    *router.urls,
]
