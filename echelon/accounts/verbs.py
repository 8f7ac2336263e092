"""The audit verbs of accounts (ADR 3): ``<entity>.<verb>``, the strings stored in ``AuditEvent.verb``."""

from __future__ import annotations

from typing import Final

USER_CREATE: Final = "user.create"
USER_IMPORT: Final = "user.import"
"""One event per applied user import (file, checksum, counts), not one per row."""
USER_PASSWORD_RESET: Final = "user.password_reset"
"""An office or administrator set someone's password (their API tokens are revoked with it)."""
USER_PASSWORD_CHANGE: Final = "user.password_change"
"""The user changed their own password."""
USER_ACTIVATE: Final = "user.activate"
USER_DEACTIVATE: Final = "user.deactivate"
USER_LOGIN: Final = "user.login"
USER_LOGOUT: Final = "user.logout"
USER_LOCKOUT: Final = "user.lockout"
"""Too many failed logins (django-axes); the username may not exist."""

GRANT_ADD: Final = "grant.add"
GRANT_REMOVE: Final = "grant.remove"

TOKEN_ISSUE: Final = "token.issue"
TOKEN_REVOKE: Final = "token.revoke"
