"""The API's answer to ``OPTIONS``: DRF's ``SimpleMetadata``, safe for views that declare no serializer.

DRF describes the fields a POST or PUT takes by calling ``view.get_serializer()``. A viewset whose actions
each read their own input serializer (``CampaignCoverageViewSet``: propose, a unit's confirm, material,
meeting, submit) declares no ``serializer_class``, and DRF's ``get_serializer_class`` then fails an assertion:
every ``OPTIONS`` on those routes answered 500. Registered as ``REST_FRAMEWORK["DEFAULT_METADATA_CLASS"]``,
this describes the fields only when the view has a serializer to describe; otherwise the answer names the
view, its description and the formats it renders and parses (the input is in the OpenAPI schema).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView


def declares_serializer(view: APIView) -> bool:
    """Whether ``view.get_serializer()`` works: a ``serializer_class`` or its own ``get_serializer_class``."""
    # Imported here: rest_framework.views reads DEFAULT_METADATA_CLASS (this module) when it is imported.
    from rest_framework.generics import GenericAPIView

    if not isinstance(view, GenericAPIView):
        return False
    if getattr(view, "serializer_class", None) is not None:
        return True
    return type(view).get_serializer_class is not GenericAPIView.get_serializer_class


class Metadata(SimpleMetadata):
    def determine_actions(self, request: Request, view: APIView) -> dict[str, Any]:
        if not declares_serializer(view):
            return {}
        return dict(super().determine_actions(request, view))
