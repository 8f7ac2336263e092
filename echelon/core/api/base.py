"""Base classes for API viewsets: scoping is applied before any handler runs."""

from __future__ import annotations

from typing import Any

from rest_framework import viewsets


class ScopedViewSetMixin:
    """`queryset` must be a ScopedQuerySet; `scope_action` names the action checked (default: view)."""

    scope_action = "view"
    request: Any
    queryset: Any

    def get_queryset(self) -> Any:
        return self.queryset.visible_to(self.request.user, self.scope_action)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
