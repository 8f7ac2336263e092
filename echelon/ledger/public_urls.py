"""The public pages (no login): a unit's opinion page by its short link, its printable QR poster, the
receipt and the tracking page. Mounted at /p/ (``echelon/urls.py``). The fixed paths come before
``<code>/``: a unit code never reads "track" or "receipt", but the order makes sure."""

from django.urls import path

from echelon.ledger.views import public

app_name = "public"

urlpatterns = [
    path("track/", public.track_form, name="track_form"),
    path("track/<str:code>/", public.track, name="track"),
    path("receipt/<str:code>/", public.receipt, name="receipt"),
    path("<str:code>/", public.unit, name="unit"),
    path("<str:code>/poster/", public.poster, name="poster"),
]
