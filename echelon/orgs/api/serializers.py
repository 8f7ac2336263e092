"""Read-only serializers of units and members: their fields are the columns of ``orgs.columns`` flagged
``api``, in the definition's order. A unit reference is served as ``<name>_code``; a coded value flagged
``display`` also as ``<name>_display`` (its label in the user's language)."""

from __future__ import annotations

from typing import Any, cast

from rest_framework import serializers

from echelon.orgs.columns import MEMBER, UNIT, Entity, Type


def declared_fields(entity: Entity) -> dict[str, serializers.Field | None]:
    """The API's fields in order; None for those the model gives as they are."""
    fields: dict[str, serializers.Field | None] = {}
    for c in entity.api_columns:
        if c.type is Type.UNIT:
            source = f"{c.name}.code"
            if entity.model_field(c.name).null:
                fields[f"{c.name}_code"] = serializers.CharField(source=source, read_only=True, default=None)
            else:
                fields[f"{c.name}_code"] = serializers.CharField(source=source, read_only=True)
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
