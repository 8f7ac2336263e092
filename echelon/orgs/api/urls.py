from django.urls import path
from rest_framework.routers import SimpleRouter

from echelon.orgs.api.lookup import UnitLookupView
from echelon.orgs.api.views import MemberViewSet, UnitViewSet

router = SimpleRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("members", MemberViewSet, basename="member")

# Before the router: "lookup" would otherwise be read as a unit's code.
urlpatterns = [path("units/lookup/", UnitLookupView.as_view(), name="unit-lookup"), *router.urls]
