"""The audit verbs of the demo (ADR 3): ``<entity>.<verb>``, the strings stored in ``AuditEvent.verb``."""

from __future__ import annotations

from typing import Final

REGISTRY_SEED: Final = "registry.seed"
"""The demo registry seeded: one summary event (counts, seed, scale), not one per row."""
HISTORY_SIMULATE: Final = "history.simulate"
"""The demo campaign's history up to a day generated in bulk: one summary event (counts, day, seed)."""
LEDGER_SIMULATE: Final = "ledger.simulate"
"""The demo campaign's ledger up to a day generated in bulk: one summary event (counts, states, day, seed)."""
