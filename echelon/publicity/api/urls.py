"""Publicity's API under /api/v1/: the staff notices (``views``) and the public unit (``public``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from echelon.publicity.api import public, views

router = SimpleRouter()
router.register("publicity/publications", views.PublicationViewSet, basename="publication")

urlpatterns: list = [
    *router.urls,
    path("public/units/<str:code>/", public.PublicUnitView.as_view(), name="public-unit"),
]
