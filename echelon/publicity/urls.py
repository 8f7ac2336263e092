"""Publicity's staff pages, under /publicity/ (``echelon/urls.py``)."""

from django.urls import path

from echelon.publicity.views import staff

app_name = "publicity"

urlpatterns = [
    path("", staff.waiting, name="waiting"),
    path("u/<str:code>/", staff.unit, name="unit"),
    path("u/<str:code>/new/", staff.create, name="create"),
    path("<int:pk>/submit/", staff.submit, name="submit"),
    path("<int:pk>/approve/", staff.approve, name="approve"),
    path("<int:pk>/return/", staff.return_, name="return"),
    path("<int:pk>/withdraw/", staff.withdraw, name="withdraw"),
]
