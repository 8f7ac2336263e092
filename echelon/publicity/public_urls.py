"""Publicity's public routes (no login), mounted at /p/ beside the ledger's (``echelon/urls.py``): a
published notice of a unit, printable for notice boards (公示栏) with the unit's QR code."""

from django.urls import path

from echelon.publicity.views import public

app_name = "publicity_public"

urlpatterns = [
    path("<str:code>/notice/<int:pk>/", public.notice, name="notice"),
    path("<str:code>/notice/<int:pk>/docx/", public.notice_docx, name="notice_docx"),
]
