from __future__ import annotations

from rest_framework import serializers

from echelon.core.models import AuditEvent, Job


class AuditEventSerializer(serializers.ModelSerializer):
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


class JobSerializer(serializers.ModelSerializer):
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
