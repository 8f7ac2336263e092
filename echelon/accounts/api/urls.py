from django.urls import path
from rest_framework.routers import SimpleRouter

from echelon.accounts.api.views import GrantViewSet, TokenViewSet, UserViewSet, me

router = SimpleRouter()
router.register("users", UserViewSet, basename="user")
router.register("grants", GrantViewSet, basename="grant")
router.register("tokens", TokenViewSet, basename="token")

urlpatterns = [path("me/", me, name="me"), *router.urls]
