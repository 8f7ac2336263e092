"""The audit verbs of orgs (ADR 3): ``<entity>.<verb>``, the strings stored in ``AuditEvent.verb``."""

from __future__ import annotations

from typing import Final

UNIT_CREATE: Final = "unit.create"
UNIT_UPDATE: Final = "unit.update"
UNIT_MOVE: Final = "unit.move"
"""A unit and its subtree moved under another parent."""
UNIT_MERGE: Final = "unit.merge"
"""A unit's children and members moved into another unit, the unit closed."""
UNIT_IMPORT: Final = "unit.import"
"""One event per applied unit import (file, checksum, counts), not one per row (ADR 8)."""
UNIT_EXPORT: Final = "unit.export"
"""Someone took the units of a subtree as a file."""

MEMBER_CREATE: Final = "member.create"
MEMBER_UPDATE: Final = "member.update"
MEMBER_IMPORT: Final = "member.import"
"""One event per applied member import (file, checksum, counts), not one per row (ADR 8)."""
MEMBER_EXPORT: Final = "member.export"
"""Someone took the members of a subtree (personal data) as a file."""
