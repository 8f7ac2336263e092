"""The API's pagination (``DEFAULT_PAGINATION_CLASS``): limits and page numbers follow ``core.paging``;
lists that say so (``keyset_pages = True`` on the view) are also read by cursor (keyset pages, ADR 22)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Q, QuerySet
from django.db.models.sql.where import AND
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from echelon.core import paging

CURSOR = "cursor"


# A cursor is signed (no timestamp: the same position is the same cursor): one the server did not hand out is
# refused (400).
def _signer() -> signing.Signer:
    return signing.Signer(salt="echelon.api.cursor")


def _bad_cursor() -> exceptions.ValidationError:
    return exceptions.ValidationError({CURSOR: [_("翻页游标（cursor）无效，请从列表开头重新翻页。")]})


@dataclass(frozen=True)
class Keyset:
    """A list's ordering as a key: local, non-null columns in one direction, the last one unique (the
    primary key, a unique code or path), so that "the rows after this one" is one ``WHERE (key) > (row's)``
    that an index on the key reads from its position on, without an OFFSET."""

    label: str
    fields: tuple[Field[Any, Any], ...]
    descending: bool

    @classmethod
    def of(cls, queryset: QuerySet[Any]) -> Keyset | None:
        """The queryset's ordering as a key, or None when it is not one."""
        query = queryset.query
        model = queryset.model
        given = query.order_by or (model._meta.ordering if query.default_ordering else ())
        ordering = [o for o in given if isinstance(o, str)]  # not an expression
        if not ordering or len(ordering) != len(given) or query.extra_order_by:
            return None
        if len({o.startswith("-") for o in ordering}) != 1:
            return None
        fields = []
        for name in (o.lstrip("-") for o in ordering):
            try:
                field = model._meta.pk if name == "pk" else model._meta.get_field(name)
            except FieldDoesNotExist:  # a related field's column ("unit__path"), an annotation
                return None
            if not isinstance(field, Field) or field.is_relation or field.null or not field.concrete:
                return None
            fields.append(field)
        if not fields[-1].unique:
            return None
        return cls(model._meta.label_lower, tuple(fields), ordering[0].startswith("-"))

    def token(self, row: Any) -> str:
        """The cursor of the position just after ``row``."""
        values = [getattr(row, field.attname) for field in self.fields]
        plain = [v.isoformat() if isinstance(v, datetime.date) else v for v in values]
        return _signer().sign_object({"m": self.label, "k": self._names(), "v": plain})

    def position(self, token: str) -> list[Any]:
        """The key values a cursor holds; a cursor of another list, forged or garbled: 400."""
        try:
            data = _signer().unsign_object(token)
            if not isinstance(data, dict) or data.get("m") != self.label or data.get("k") != self._names():
                raise _bad_cursor()
            values = data["v"]
            if not isinstance(values, list) or len(values) != len(self.fields):
                raise _bad_cursor()
            return [field.to_python(value) for field, value in zip(self.fields, values, strict=True)]
        except (signing.BadSignature, DjangoValidationError, KeyError, TypeError, ValueError) as exc:
            raise _bad_cursor() from exc

    def after(self, values: list[Any]) -> Q:
        """Rows past the position: for (a, b), ``a >= x AND (a > x OR b > y)`` (descending: <=, <). The outer
        ``a >= x`` is a range the index starts from; only the rows equal on ``a`` before it are skipped."""
        whole, strict = ("lte", "lt") if self.descending else ("gte", "gt")
        names = [field.name for field in self.fields]
        cond = Q(**{f"{names[-1]}__{strict}": values[-1]})
        for name, value in reversed(list(zip(names[:-1], values[:-1], strict=True))):
            cond = Q(**{f"{name}__{whole}": value}) & (Q(**{f"{name}__{strict}": value}) | cond)
        return cond

    def rows_after(self, queryset: QuerySet[Any], values: list[Any]) -> QuerySet[Any]:
        """``queryset.filter(self.after(values))``, that condition first in the WHERE: SQLite reads an index
        from the first lower bound it finds on a column, and a subtree's scope (``path >= '00001' AND path <
        '00001~'``) came first, so a deep position was reached by reading the subtree from its start (3 ms at
        row 29,000 of the small demo, 0.04 ms first). PostgreSQL takes the tightest bound either way. The
        terms of an AND, reordered: the same rows."""
        before = len(queryset.query.where.children)
        keyed = queryset.filter(self.after(values))
        where = keyed.query.where
        if where.connector == AND and not where.negated:
            where.children[:] = where.children[before:] + where.children[:before]
        return keyed

    def _names(self) -> list[str]:
        return [("-" if self.descending else "") + field.name for field in self.fields]


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
    most ``paging.COUNT_AHEAD``: a lower bound).

    Keyset pages, on a view with ``keyset_pages = True`` whose ordering is a ``Keyset``: every page also
    answers ``next_cursor`` (null on the last page), and ``?cursor=<next_cursor>`` reads the ``limit`` rows
    after that position with ``WHERE (key) > (position) ORDER BY key LIMIT limit + 1``: no OFFSET and no count
    (``count`` is null, ``count_exact`` false, ``previous`` null; ``offset`` is ignored), so every page of a
    1.3-million-row list costs the same, and rows written meanwhile never repeat one already read. The
    queryset stays the caller's (scoped and filtered): a cursor is only a position in it. A cursor that is not
    one this list handed out (garbled, forged, another list's) is a 400; so is a cursor on another list.
    An empty ``cursor`` is limit/offset, exactly as without it."""

    max_limit = paging.MAX_LIMIT
    count_exact = True
    cursor_query_param = CURSOR
    keyset: Keyset | None = None
    by_cursor = False
    next_cursor: str | None = None

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        token = request.query_params.get(self.cursor_query_param, "").strip()
        self.by_cursor, self.next_cursor = False, None
        self.keyset = (
            Keyset.of(queryset)
            if isinstance(queryset, QuerySet) and getattr(view, "keyset_pages", False)
            else None
        )
        if token and self.keyset is None:
            raise exceptions.ValidationError({CURSOR: [_("这个列表不能按游标（cursor）翻页，请用 offset。")]})
        if not isinstance(queryset, QuerySet):  # a list the view made: DRF's own way (its length)
            self.count_exact = True
            return super().paginate_queryset(queryset, request, view)
        if token:
            return self.paginate_by_cursor(queryset, request, token)
        return self.paginate_by_offset(queryset, request, view)

    def paginate_by_cursor(self, queryset: QuerySet[Any], request: Any, token: str) -> list[Any] | None:
        assert self.keyset is not None
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        position = self.keyset.position(token)
        rows = list(self.keyset.rows_after(queryset, position)[: self.limit + 1])
        self.by_cursor, self.count, self.count_exact = True, None, False
        return self.page_ends(rows[: self.limit], more=len(rows) > self.limit)

    def page_ends(self, page: list[Any], *, more: bool) -> list[Any]:
        """Remember the cursor after the page's last row when more rows follow (keyset lists)."""
        if self.keyset is not None and more and page:
            self.next_cursor = self.keyset.token(page[-1])
        return page

    def paginate_by_offset(self, queryset: QuerySet[Any], request: Any, view: Any) -> list[Any] | None:
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
        return self.page_ends(rows[:limit], more=len(rows) > limit)

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
        if self.by_cursor:
            response = Response(
                {"count": None, "next": self.cursor_link(), "previous": None, "results": data}
            )
        else:
            response = super().get_paginated_response(data)
        response.data["count_exact"] = self.count_exact
        if self.keyset is not None:
            response.data["next_cursor"] = self.next_cursor
        return response

    def cursor_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        assert self.request is not None
        url = remove_query_param(self.request.build_absolute_uri(), self.offset_query_param)
        return str(replace_query_param(url, self.cursor_query_param, self.next_cursor))

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        out = super().get_paginated_response_schema(schema)
        out["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": "the list's length (a lower bound unless count_exact); null on a cursor page",
        }
        out["properties"]["count_exact"] = {
            "type": "boolean",
            "description": (
                f"false: more than {paging.COUNT_AHEAD:,} rows past the offset; count is a lower bound "
                "(always false on a cursor page, which counts nothing)"
            ),
        }
        out["properties"]["next_cursor"] = {
            "type": "string",
            "nullable": True,
            "description": (
                "lists read by cursor only: pass it as `cursor` for the rows after this page (null: this "
                "page is the last)"
            ),
        }
        return out

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = list(super().get_schema_operation_parameters(view))
        if getattr(view, "keyset_pages", False):
            parameters.append(
                {
                    "name": self.cursor_query_param,
                    "required": False,
                    "in": "query",
                    "description": (
                        "a page's `next_cursor`: the rows after it, in the list's order, without counting "
                        "or skipping (`offset` is ignored; `count` is null). Constant cost at any depth."
                    ),
                    "schema": {"type": "string"},
                }
            )
        return parameters
