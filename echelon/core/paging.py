"""Page numbers from the request: one rule for every list page, table and the Gantt (and the API's limit;
the API's pagination class is ``core.api.pagination``, apart so that pages need not import DRF).

A page number is a positive integer (ASCII digits) no greater than the page count; anything else — a word,
zero, a negative number, a page past the last one, a number too big for the database's OFFSET — answers
404, never 500 and never a silently different page. No ``page`` parameter (or an empty one) is page 1.
The page size is the view's: it is not taken from the request.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

# The largest page asked for before the database is: 1.3 million members at 50 a page are 26,000 pages.
MAX_PAGE = 1_000_000
# The API: at most this many rows per request.
MAX_LIMIT = 1000
# The API's count stops this many rows past the offset (``count_exact: false`` beyond): a page of a big
# list never counts the whole list (``core.api.pagination``).
COUNT_AHEAD = 10_000
# An API offset beyond this is past the end of any list (and of the database's OFFSET): an empty page.
MAX_OFFSET = 1_000_000_000
_NUMBER = re.compile(r"[0-9]{1,7}")


def _not_found() -> Http404:
    return Http404(_("没有这一页。"))


def page_number(request: HttpRequest, name: str = "page") -> int:
    """The 1-based page number asked for; 404 when it is not a positive integer ≤ ``MAX_PAGE``."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return 1
    if not _NUMBER.fullmatch(raw):
        raise _not_found()
    number = int(raw)
    if not 1 <= number <= MAX_PAGE:
        raise _not_found()
    return number


def check(number: int, pages: int) -> int:
    """404 unless ``number`` is within ``pages`` (an empty list still has its page 1)."""
    if not 1 <= number <= max(1, pages):
        raise _not_found()
    return number


def get_page(paginator: Paginator[Any], request: HttpRequest, name: str = "page") -> Page[Any]:
    """``paginator.page`` of the number asked for; 404 for a bad number or one past the last page.
    Works with django-tables2's ``LazyPaginator`` (which counts nothing: a page past the end is empty).
    Rows of any type: views decorate a page's rows with what they show (``row.open_reviews = …``)."""
    number = page_number(request, name)
    try:
        return paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as exc:
        raise _not_found() from exc


def paginate_table(
    request: HttpRequest,
    table: Any,
    *,
    per_page: int,
    paginator_class: type[Paginator[Any]] = Paginator,
    **kwargs: Any,
) -> Any:
    """Configure a django-tables2 table from the request as ``RequestConfig`` does (ordering), and show the
    page asked for (404 when there is none). Replaces ``RequestConfig(request, paginate=...)``."""
    from django_tables2 import RequestConfig

    RequestConfig(request, paginate=False).configure(table)
    number = page_number(request, table.prefixed_page_field)
    try:
        table.paginate(paginator_class=paginator_class, per_page=per_page, page=number, **kwargs)
    except (EmptyPage, PageNotAnInteger) as exc:
        raise _not_found() from exc
    return table
