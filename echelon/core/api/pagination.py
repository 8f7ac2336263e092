"""The API's pagination (``DEFAULT_PAGINATION_CLASS``): limits and page numbers follow ``core.paging``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination

from echelon.core import paging


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DRF's limit/offset with ``limit`` capped at ``paging.MAX_LIMIT`` (an uncapped limit of 10^23
    overflowed the database's LIMIT: 500), and a count that never counts a big list to show one page of it:

    - the page is read with one row more: when the list ends on this page, that is the count (no count
      query at all);
    - otherwise the view's ``known_count(queryset)``, when it has one and knows (a subtree's member rollup:
      exact, nothing counted);
    - otherwise the database counts, but only up to ``paging.COUNT_AHEAD`` rows past the offset:
      ``count_exact`` is false when more rows match and ``count`` is then a lower bound (``next`` is right
      either way).

    An offset past the end is an empty page with the count (past ``paging.MAX_OFFSET``, with a count of at
    most ``paging.COUNT_AHEAD``: a lower bound)."""

    max_limit = paging.MAX_LIMIT
    count_exact = True

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        if not isinstance(queryset, QuerySet):  # a list the view made: DRF's own way (its length)
            self.count_exact = True
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        limit = self.limit = self.get_limit(request)
        if limit is None:
            return None
        offset = self.offset = self.get_offset(request)
        # an offset past any list is an empty page, without asking the database (its OFFSET overflows)
        rows = list(queryset[offset : offset + limit + 1]) if offset <= paging.MAX_OFFSET else []
        self.count, self.count_exact = self._count(queryset, view, rows, offset, limit)
        if self.count > limit and self.template is not None:
            self.display_page_controls = True
        return rows[:limit]

    def _count(
        self, queryset: QuerySet[Any], view: Any, rows: list[Any], offset: int, limit: int
    ) -> tuple[int, bool]:
        if len(rows) <= limit and (rows or offset == 0):  # the list ends on this page
            return offset + len(rows), True
        known = getattr(view, "known_count", None)
        if known is not None and (n := known(queryset)) is not None:
            return int(n), True
        cap = (offset if offset <= paging.MAX_OFFSET else 0) + paging.COUNT_AHEAD
        counted = int(queryset.order_by()[: cap + 1].count())
        return min(counted, cap), counted <= cap

    def get_paginated_response(self, data: Any) -> Any:
        response = super().get_paginated_response(data)
        response.data["count_exact"] = self.count_exact
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        out = super().get_paginated_response_schema(schema)
        out["properties"]["count_exact"] = {
            "type": "boolean",
            "description": (
                f"false: more than {paging.COUNT_AHEAD:,} rows past the offset; count is a lower bound"
            ),
        }
        return out
