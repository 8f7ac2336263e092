"""Exceptions shared by the services of every app, and what the API answers for them
(``echelon.core.api.exceptions``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The request was valid but lost a race or meets a state that forbids it (someone else decided first,
    the object changed meanwhile). The API answers 409; pages show the message like any refusal."""
