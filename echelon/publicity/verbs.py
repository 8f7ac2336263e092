"""The audit verbs of publicity (ADR 3): ``<entity>.<verb>``, the strings stored in ``AuditEvent.verb``."""

from __future__ import annotations

from typing import Final

PUBLICATION_CREATE: Final = "publication.create"
"""A draft notice (公示) of a unit: its kind, title and, for promises, their texts."""
PUBLICATION_UPDATE: Final = "publication.update"
PUBLICATION_SUBMIT: Final = "publication.submit"
"""Sent to the level above for approval; the public copy is frozen (snapshot) at this moment."""
PUBLICATION_APPROVE: Final = "publication.approve"
"""Approved by the level above: published on the unit's public page for the template's period."""
PUBLICATION_RETURN: Final = "publication.return"
PUBLICATION_WITHDRAW: Final = "publication.withdraw"
"""Taken off the public page before its period ended, with a reason."""
PUBLICITY_SIMULATE: Final = "publicity.simulate"
"""The demo campaign's publicity generated in bulk: one summary event (counts, day, share)."""
