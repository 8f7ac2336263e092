"""The public ballot pages (no login), mounted at /p/ballot/ before the ledger's /p/ (``echelon/urls.py``):
enter a one-time code → the ballot → thanks."""

from django.urls import path

from echelon.evaluation.views import public

app_name = "ballot"

urlpatterns = [
    path("", public.enter, name="enter"),
    path("cast/", public.cast, name="cast"),
    path("thanks/", public.thanks, name="thanks"),
]
