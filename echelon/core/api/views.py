from __future__ import annotations

from echelon.core.api.base import ScopedReadOnlyViewSet
from echelon.core.api.serializers import AuditEventSerializer, JobSerializer
from echelon.core.filters import AuditFilter
from echelon.core.models import AuditEvent, Job


class AuditEventViewSet(ScopedReadOnlyViewSet):
    """The append-only audit trail of the caller's subtree (needs the `audit` action: offices, admins)."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditFilter
    scope_action = "audit"
    keyset_pages = True  # ?cursor=: newest first, (at, id) (core.api.pagination)


class JobViewSet(ScopedReadOnlyViewSet):
    """The caller's own background jobs, with status and progress."""

    queryset = Job.objects.all()
    serializer_class = JobSerializer
