"""Base classes for API viewsets: scoping is applied before any handler runs.

Every viewset declares how its rows are scoped: ``ScopedViewSetMixin`` (its ``queryset`` through
``visible_to(user, scope_action)``, so lists, ``get_object`` and every action see only the caller's rows) or,
for rows that belong to no unit, ``UnscopedViewSetMixin``. A test walks the API and refuses a viewset that
declares neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import viewsets
from rest_framework.views import APIView

if TYPE_CHECKING:
    # The stubs' viewsets are generic over the model; DRF's are not subscriptable. Subclasses name it.
    _ReadOnlyModelViewSet = viewsets.ReadOnlyModelViewSet[Any]
else:
    _ReadOnlyModelViewSet = viewsets.ReadOnlyModelViewSet


class ScopedViewSetMixin:
    """`queryset` must have `visible_to(user, action)` (a ScopedQuerySet, or a queryset with its own rule);
    `scope_action` names the action checked (default: view). A subclass narrows with
    `super().get_queryset().filter(...)`; one whose scope is another rule than subtrees (the users an office
    manages) overrides `get_queryset` with that rule's selector."""

    scope_action = "view"
    request: Any
    queryset: Any

    def get_queryset(self) -> Any:
        return self.queryset.visible_to(self.request.user, self.scope_action)


class UnscopedViewSetMixin:
    """Declares rows that belong to no unit (campaign templates): every signed-in user reads them all."""


class ScopedReadOnlyViewSet(ScopedViewSetMixin, _ReadOnlyModelViewSet):
    pass


def page_endpoint(view_class: type[APIView]) -> Any:
    """An API view mounted among an app's pages (a picker's type-ahead, asked by the page's script with the
    session): answered in JSON only, and, like every page, for signed-in users (an anonymous visitor is sent
    to the login page by ``LoginRequiredMiddleware``; DRF marks its views ``login_required = False``), and
    left out of the OpenAPI schema."""
    from rest_framework.renderers import JSONRenderer

    # Not in the OpenAPI schema (``schema = None``): the API describes the same view at its own address.
    page_class: type[APIView] = type(
        view_class.__name__, (view_class,), {"schema": None, "renderer_classes": [JSONRenderer]}
    )
    view: Any = page_class.as_view()
    view.login_required = True
    return view
