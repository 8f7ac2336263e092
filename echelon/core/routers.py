"""The database router of the read replica (ADR 20), registered by settings.py only when
``DATABASE_REPLICA_URL`` is set.

Reads go to the replica only while ``core.replica`` says so for this request (an eligible page's GET that
passed the lag guard, nothing written yet), never for the primary-only apps and never inside a transaction;
every write goes to the primary. The router always answers, so that an object read from the replica is
never saved to it, nor its relations read from it later, through Django's "same database as the instance"
fallback.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

from echelon.core import replica


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        alias = replica.read_alias()
        if (
            alias is None
            or model._meta.app_label in replica.PRIMARY_ONLY_APPS
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        replica.note_write()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        ours = {DEFAULT_DB_ALIAS, replica.replica_alias()}
        return True if {obj1._state.db, obj2._state.db} <= ours else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == replica.replica_alias() else None
