"""Materials and meeting attachments shown in the page (the review screen): a PDF or an image served inline
(``Content-Disposition: inline``), same origin only. These views alone may be framed, by the app's own
pages (X-Frame-Options SAMEORIGIN, CSP ``frame-ancestors 'self'``); every other response keeps DENY.

Scoped like every read: a file of a unit outside the user's view is a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from csp.constants import NONE, SELF
from csp.decorators import csp_replace
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from echelon.supervision.models import Material, MeetingAttachment
from echelon.supervision.previews import INLINE_TYPES

# The file's own policy: nothing of it may load or run anything; only our pages may frame it.
FILE_CSP = {"default-src": [NONE], "img-src": [SELF], "style-src": [SELF], "frame-ancestors": [SELF]}


View = TypeVar("View", bound=Callable[..., Any])


def framed_by_our_pages(view: View) -> View:
    """X-Frame-Options SAMEORIGIN and the file's own CSP (``FILE_CSP``) for this view alone."""
    return cast(View, xframe_options_sameorigin(csp_replace(FILE_CSP)(cast(Any, view))))


def _inline(fileobj: object, name: str, file_type: str, download: bool) -> FileResponse:
    response = FileResponse(
        fileobj, as_attachment=download, filename=name, content_type=INLINE_TYPES[file_type]
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
@framed_by_our_pages
def material_view(request: HttpRequest, pk: int) -> FileResponse:
    """A material (PDF or image) shown in the page; other types are only downloaded (404 here)."""
    material = get_object_or_404(Material.objects.visible_to(request.user), pk=pk)
    if material.file_type not in INLINE_TYPES:
        raise Http404
    return _inline(material.file.open("rb"), material.original_name, material.file_type, False)


@require_GET
@framed_by_our_pages
def meeting_file(request: HttpRequest, pk: int) -> FileResponse:
    """A meeting's sign-in sheet or photo, inline (``?download=1``: as a download)."""
    row = get_object_or_404(MeetingAttachment.objects.visible_to(request.user), pk=pk)
    return _inline(row.file.open("rb"), row.original_name, row.file_type, request.GET.get("download") == "1")
