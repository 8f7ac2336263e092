from rest_framework.routers import SimpleRouter

from echelon.core.api.views import AuditEventViewSet, JobViewSet

router = SimpleRouter()
router.register("audit", AuditEventViewSet, basename="audit")
router.register("jobs", JobViewSet, basename="job")

urlpatterns = router.urls
