from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import serializers

from echelon.core.models import AuditEvent, Job

if TYPE_CHECKING:
    # The stubs' serializers are generic over the model; DRF's are not subscriptable.
    _AuditEventSerializer = serializers.ModelSerializer[AuditEvent]
    _JobSerializer = serializers.ModelSerializer[Job]
else:
    _AuditEventSerializer = _JobSerializer = serializers.ModelSerializer


class AuditEventSerializer(_AuditEventSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor_name",
            "verb",
            "object_type",
            "object_id",
            "object_repr",
            "unit_id",
            "before",
            "after",
            "request_id",
            "client_ip",
            "channel",
        ]
        read_only_fields = fields


class JobSerializer(_JobSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "done",
            "total",
            "percent",
            "message",
            "result",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
