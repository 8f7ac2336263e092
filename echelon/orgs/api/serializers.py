"""Serializers of units and members: their fields are the columns of ``orgs.columns`` flagged ``api``, in
the definition's order. A unit reference is served as ``<name>_code``; a coded value flagged ``display`` also
as ``<name>_display`` (its label in the user's language).

Writes take the cells of a file row (``UnitRowSerializer``, ``MemberRowSerializer``): text, by the columns'
names, read by the importer's checks in ``orgs.editing`` (these serializers check nothing but the types)."""

from __future__ import annotations

from typing import Any, cast

from rest_framework import serializers

from echelon.orgs.columns import MEMBER, UNIT, Column, Entity, Type
from echelon.orgs.imports.members import MEMBER_CELLS
from echelon.orgs.imports.units import UNIT_CELLS


def declared_fields(entity: Entity) -> dict[str, serializers.Field | None]:
    """The API's fields in order; None for those the model gives as they are."""
    fields: dict[str, serializers.Field | None] = {}
    for c in entity.api_columns:
        model_field = entity.model_field(c.name)
        if c.type is Type.UNIT:
            source = f"{c.name}.code"
            if model_field.null:  # the region has no parent, a member no inflow unit: null
                fields[f"{c.name}_code"] = serializers.CharField(
                    source=source, read_only=True, default=None, allow_null=True
                )
            else:
                fields[f"{c.name}_code"] = serializers.CharField(source=source, read_only=True)
        elif model_field.choices and (model_field.blank or model_field.null):
            # A coded value that may be empty ("" or null): a read-only ModelSerializer field drops
            # ``allow_blank``, and the schema would refuse the empty value.
            fields[c.name] = serializers.ChoiceField(
                choices=model_field.choices,
                label=model_field.verbose_name,
                read_only=True,
                allow_blank=model_field.blank,
                allow_null=model_field.null,
            )
        else:
            fields[c.name] = None
        if c.display:
            fields[f"{c.name}_display"] = serializers.CharField(
                source=f"get_{c.name}_display", read_only=True
            )
    return fields


def serializer_for(entity: Entity) -> type[serializers.ModelSerializer]:
    """A read-only ModelSerializer of the entity's API columns."""
    fields = declared_fields(entity)
    names = list(fields)
    meta = type("Meta", (), {"model": entity.model, "fields": names, "read_only_fields": names})
    body: dict[str, Any] = {name: f for name, f in fields.items() if f is not None}
    name = f"{entity.model.__name__}Serializer"
    cls = type(name, (serializers.ModelSerializer,), {**body, "Meta": meta, "__module__": __name__})
    return cast("type[serializers.ModelSerializer]", cls)


UnitSerializer = serializer_for(UNIT)
MemberSerializer = serializer_for(MEMBER)


def row_serializer(name: str, cells: tuple[Column, ...], doc: str) -> type[serializers.Serializer]:
    """The cells of a file row as an API body: every cell optional text (a code, a coded value's code or
    Chinese label, a date as 2014-01-20), 是/否 as a boolean."""
    body: dict[str, Any] = {"__module__": __name__, "__doc__": doc}
    for c in cells:
        help_text = c.label if not c.help else f"{c.label}: {c.help}"
        if c.type is Type.YES_NO:
            body[c.name] = serializers.BooleanField(required=False, help_text=help_text)
        else:
            body[c.name] = serializers.CharField(required=False, allow_blank=True, help_text=help_text)
    return cast("type[serializers.Serializer]", type(name, (serializers.Serializer,), body))


UnitRowSerializer = row_serializer(
    "UnitRowSerializer",
    UNIT_CELLS,
    "A unit's row: on create every required cell; on update (PATCH) the cells that change (the code and "
    "the level are the unit's identity and stay).",
)
MemberRowSerializer = row_serializer(
    "MemberRowSerializer",
    MEMBER_CELLS,
    "A member's row: on create every required cell; on update (PATCH) the cells that change (the code "
    "stays). A transfer is a new `unit`; a mobile member's `inflow_unit` empty is a blind spot.",
)
