from __future__ import annotations

from rest_framework import viewsets

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


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's own background jobs, with status and progress."""

    serializer_class = JobSerializer

    def get_queryset(self):
        return Job.objects.visible_to(self.request.user)
