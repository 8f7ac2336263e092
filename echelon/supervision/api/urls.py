from rest_framework.routers import SimpleRouter

from echelon.supervision.api.views import (
    ApprovalViewSet,
    CampaignCoverageViewSet,
    GroupViewSet,
    ReviewViewSet,
)

router = SimpleRouter()
router.register("supervision/groups", GroupViewSet, basename="supervision-group")
router.register("supervision/reviews", ReviewViewSet, basename="supervision-review")
router.register("supervision/approvals", ApprovalViewSet, basename="supervision-approval")
router.register("supervision/campaigns", CampaignCoverageViewSet, basename="supervision-campaign")

urlpatterns = router.urls
