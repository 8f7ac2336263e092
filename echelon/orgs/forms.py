"""The forms of on-screen editing: one field per cell of a file row (``orgs.columns``), carried as text.

The forms check nothing themselves: ``orgs.editing`` reads their cells with the importer's checks, and its
refusals come back on the fields (``core.pages.attempt``). They only choose the widgets: a list for the
coded values (in the user's language), a date picker for dates, a switch for 是/否.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy

from echelon.core.forms import BootstrapFormMixin
from echelon.orgs.columns import MEMBER, UNIT, Column, Entity, Type
from echelon.orgs.imports.members import MEMBER_CELLS
from echelon.orgs.imports.units import UNIT_CELLS


def _field(entity: Entity, column: Column) -> forms.Field:
    label = gettext_lazy(column.label)
    if column.type is Type.YES_NO:
        return forms.BooleanField(label=label, required=False)
    if column.type is Type.CHOICE:
        choices = [(str(v), text) for v, text in entity.model_field(column.name).choices or () if v != ""]
        blank = [] if column.required else [("", "—")]
        return forms.CharField(label=label, required=False, widget=forms.Select(choices=blank + choices))
    if column.name == "ethnicity" and column.choices:
        return forms.CharField(
            label=label, required=False, widget=forms.Select(choices=[(v, v) for v, _l in column.choices()])
        )
    if column.type is Type.DATE:
        return forms.CharField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    attrs: dict[str, Any] = {"autocomplete": "off"}
    if column.type in (Type.CODE, Type.UNIT):
        attrs.update(spellcheck="false", autocapitalize="off")
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs))


class RowForm(BootstrapFormMixin, forms.Form):
    """One file row's cells; ``fixed`` fields (a code, an existing unit's level) are shown, not posted."""

    entity: ClassVar[Entity]
    cells_order: ClassVar[tuple[Column, ...]]

    def __init__(self, *args: Any, fixed: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for c in self.cells_order:
            field = self.fields[c.name]
            # the label's star (the importer checks it; the field itself is never required)
            field.required_mark = c.required  # type: ignore[attr-defined]
            if c.name in fixed:
                field.disabled = True

    def cells(self) -> dict[str, str]:
        """The cells as the importer reads them (是/否 for a switch)."""
        data = self.cleaned_data
        return {
            c.name: ("是" if data.get(c.name) else "否") if c.type is Type.YES_NO else data.get(c.name) or ""
            for c in self.cells_order
        }


def _form(name: str, entity: Entity, order: tuple[Column, ...]) -> type[RowForm]:
    fields = {c.name: _field(entity, c) for c in order}
    body: dict[str, Any] = {**fields, "entity": entity, "cells_order": order, "__module__": __name__}
    return type(name, (RowForm,), body)


UnitForm = _form("UnitForm", UNIT, UNIT_CELLS)
MemberForm = _form("MemberForm", MEMBER, MEMBER_CELLS)
