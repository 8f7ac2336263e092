from django.urls import path
from rest_framework.routers import SimpleRouter

from echelon.accounts.api.lookup import UserLookupView
from echelon.accounts.api.views import GrantViewSet, TokenViewSet, UserViewSet, me

router = SimpleRouter()
router.register("users", UserViewSet, basename="user")
router.register("grants", GrantViewSet, basename="grant")
router.register("tokens", TokenViewSet, basename="token")

# The look-up before the router: "lookup" would otherwise be read as a user's id.
urlpatterns = [
    path("me/", me, name="me"),
    path("users/lookup/", UserLookupView.as_view(), name="user-lookup"),
    *router.urls,
]
