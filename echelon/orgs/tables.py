"""The list tables of units and members: their columns are those of ``orgs.columns`` flagged ``table``."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from echelon.orgs.columns import MEMBER, UNIT, Column, Entity, Type


class KnownCountPaginator(Paginator):
    """A paginator told its total (from a rollup) so it never counts a big subtree."""

    def __init__(self, *args, known_count: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._known_count = known_count

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return self._known_count
        return super().count


class DateCol(tables.Column):
    """A date as 2014-01-20. (django-tables2's DateColumn compiles a template for every cell.)"""

    def render(self, value):
        return value.isoformat() if value else "—"


def table_column(column: Column) -> tables.Column:
    """The django-tables2 column of a column spec: by its type, headed by its title."""
    options: dict[str, Any] = {"verbose_name": column.title, **column.table_options}
    if column.type is Type.DATE:
        return DateCol(**options)
    if column.type is Type.YES_NO:
        return tables.BooleanColumn(**options)
    if column.type is Type.UNIT:
        options.setdefault("linkify", True)
    if column.type is Type.NUMBER:
        options.setdefault("attrs", {"td": {"class": "text-end"}})
    return tables.Column(**options)


def columns_table(entity: Entity) -> Any:
    """A table class holding the entity's table columns, in the definition's order: the base of its table."""
    meta = type("Meta", (), {"model": entity.model, "fields": [c.name for c in entity.table_columns]})
    body: dict[str, Any] = {c.name: table_column(c) for c in entity.table_columns}
    return type(
        f"{entity.model.__name__}Columns", (tables.Table,), {**body, "Meta": meta, "__module__": __name__}
    )


UnitColumns: Any = columns_table(UNIT)
MemberColumns: Any = columns_table(MEMBER)


class UnitTable(UnitColumns):
    class Meta(UnitColumns.Meta):
        attrs = {"class": "table table-sm table-hover mb-0"}
        order_by = ("-sub_units", "code")  # the big subtrees (leagues, counties) first
        empty_text = _("没有符合条件的组织。")

    def render_sub_blind(self, value: int) -> str:
        return f"{value:,}" if value else "—"


class MemberTable(MemberColumns):
    class Meta(MemberColumns.Meta):
        attrs = {"class": "table table-sm table-hover mb-0"}
        empty_text = _("没有符合条件的党员。")


class UnitSearchTable(UnitTable):
    """The search results: each unit with its parent path (``lookup.parent_paths``), so that villages of
    the same name are told apart. The view fills ``parent_paths`` for the page shown."""

    parents = tables.Column(verbose_name=_("上级组织"), empty_values=(), orderable=False)

    class Meta(UnitTable.Meta):
        sequence = ("code", "name", "parents", "...")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parent_paths: dict[int, str] = {}

    def render_parents(self, record: Any) -> str:
        return self.parent_paths.get(record.pk) or "—"
