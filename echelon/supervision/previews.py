"""What a reviewer sees of a material or a meeting's attachment in the page (the review screen): PDF and
images are shown inline from a same-origin view (``views.files``); a Word document (.docx) is converted to
HTML (mammoth) and sanitised (nh3: text markup, lists and tables only; links only to http(s) and mailto,
opened with ``rel="noopener noreferrer"``; images, scripts, styles and event attributes never pass).

The conversion of a version is cached: a material's version never changes once uploaded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mammoth
import nh3
from django.core.cache import cache
from django.utils.translation import gettext as _

# The types a browser shows inline, with the content type they are served with.
INLINE_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}
DOCX_MAX_HTML = 400_000
DOCX_CACHE_SECONDS = 24 * 3600
ALLOWED_TAGS = {
    "p",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sup",
    "sub",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class DocxPreview:
    html: str = ""
    images_left_out: int = 0
    truncated: bool = False
    error: str = ""


def sanitize(html: str) -> str:
    """Only harmless markup of ``html`` (the output of a converter is not trusted)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def docx_to_html(fileobj: Any) -> DocxPreview:
    """A .docx file's text as sanitised HTML (images left out and counted)."""
    images = 0

    def no_image(image: Any) -> list[Any]:
        nonlocal images
        images += 1
        return []

    try:
        result = mammoth.convert_to_html(fileobj, convert_image=no_image)
    except Exception:  # a damaged or disguised document: the reviewer downloads it instead
        return DocxPreview(error=_("无法在页面中显示这份文档，请下载后查看。"))
    html = sanitize(result.value)
    truncated = len(html) > DOCX_MAX_HTML
    if truncated:
        html = sanitize(html[:DOCX_MAX_HTML])
    return DocxPreview(html=html, images_left_out=images, truncated=truncated)


def docx_preview(material: Any) -> DocxPreview:
    """The preview of a Word material (one version), converted once and cached."""
    key = f"supervision:docx-preview:{material.pk}:{material.version}:{material.size}"
    found = cache.get(key)
    if isinstance(found, DocxPreview):
        return found
    try:
        with material.file.open("rb") as fh:
            preview = docx_to_html(fh)
    except OSError:
        return DocxPreview(error=_("文件已不在存储中，请联系管理员。"))
    cache.set(key, preview, DOCX_CACHE_SECONDS)
    return preview


def attach_previews(actions: Any) -> None:
    """Give the latest version of each action's Word material its preview (``docx``), for the page."""
    for action in actions:
        latest = action.materials[0] if action.materials else None
        if latest is not None and latest.file_type == "docx":
            latest.docx = docx_preview(latest)
