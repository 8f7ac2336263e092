from rest_framework.routers import SimpleRouter

from echelon.campaigns.api.views import CampaignTemplateViewSet, CampaignViewSet

router = SimpleRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("campaign-templates", CampaignTemplateViewSet, basename="campaign-template")

urlpatterns = router.urls
