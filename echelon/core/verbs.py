"""The audit verbs of core (ADR 3): ``<entity>.<verb>``, the strings stored in ``AuditEvent.verb``."""

from __future__ import annotations

from typing import Final

ADMIN_ADD: Final = "admin.add"
"""A superuser added an object in the Django admin."""
ADMIN_CHANGE: Final = "admin.change"
"""A superuser changed an object in the Django admin."""
ADMIN_DELETE: Final = "admin.delete"
"""A superuser deleted an object in the Django admin."""

NOTIFICATION_READ: Final = "notification.read"
"""A user marked their own notifications read (one event per request, with the count)."""
NOTIFICATION_GENERATE: Final = "notification.generate"
"""The daily run made notices (due deadlines, overdue reviews): one event per run that made any."""
NOTIFICATION_DIGEST: Final = "notification.digest"
"""The daily digest e-mail to one user."""

SYSTEM_RESTORE: Final = "system.restore"
"""The database and the uploads were replaced by a backup (``echelon restore``); written into the restored
database, naming the backup and when it was made."""
