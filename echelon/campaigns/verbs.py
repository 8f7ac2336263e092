"""The audit verbs of campaigns (ADR 3): ``<entity>.<verb>``, the strings stored in ``AuditEvent.verb``."""

from __future__ import annotations

from typing import Final

TEMPLATE_CREATE: Final = "template.create"
TEMPLATE_UPDATE: Final = "template.update"
TEMPLATE_LOAD: Final = "template.load"
"""The built-in templates (re)loaded from their YAML files."""

CAMPAIGN_CREATE: Final = "campaign.create"
CAMPAIGN_SCHEDULE: Final = "campaign.schedule"
"""The schedule generated (or regenerated) from the template's rules."""
CAMPAIGN_PUBLISH: Final = "campaign.publish"
PARTICIPATION_JOIN: Final = "participation.join"
"""A new unit joined a running campaign by its template's rules (its batch, its planned dates)."""

PHASE_ACTUAL_RECORD: Final = "phase_actual.record"
"""A unit's actual start or end of a phase recorded."""
PHASE_RULES_OVERRIDE: Final = "phase_rules.override"
"""An office let a unit close a phase before the campaign's rules on actual progress allow (its minimum
days, the leadership body first), with its reason."""
