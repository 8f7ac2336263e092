from rest_framework.routers import SimpleRouter

from echelon.orgs.api.views import MemberViewSet, UnitViewSet

router = SimpleRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("members", MemberViewSet, basename="member")

urlpatterns = router.urls
