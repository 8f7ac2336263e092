"""The review screen's file routes and the meetings API for core's access kit
(echelon/core/tests/test_access.py): a material shown inline (``supervision:material_view``), a meeting's
sign-in sheet (``supervision:meeting_file``) and the unit's meetings with their attachments
(``api:supervision-campaign-unit-meeting`` GET).

The world: the supervision kit's campaign (``kit.world``): the village's PDF material, and a meeting of the
village with a sign-in sheet (a PNG), recorded through the service. The village secretary sees them; the
outsider (another county) gets a 404.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from echelon.supervision import services
from echelon.supervision.models import MeetingAttachment
from echelon.supervision.tests import files
from echelon.supervision.tests import kit as sv


def sign_in(ctx: Any) -> MeetingAttachment:
    cached = getattr(ctx, "_sign_in", None)
    if cached is not None:
        found: MeetingAttachment = cached
        return found
    w = sv.world(ctx)
    meeting = services.meeting_record(
        actor=None,
        participation=w.village,
        phase=w.village.current_phase,
        data={
            "type": "other",
            "date": date.today(),
            "place": "村委会",
            "attendees": "全体党员",
            "present": 12,
        },
        attachments=[("sign_in", io.BytesIO(files.png(40, 24)), "签到表.png")],
    )
    row = meeting.attachments.get()
    ctx._sign_in = row
    return row


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of the review screen's file routes and the meetings API; ``D`` is the kit's
    ``Declared``."""
    return {
        "supervision:material_view": D(kwargs=lambda c: {"pk": sv.world(c).material.pk}),
        "supervision:meeting_file": D(kwargs=lambda c: {"pk": sign_in(c).pk}),
        "api:supervision-campaign-unit-meeting": D(kwargs=lambda c: (sign_in(c), sv.unit(c))[1]),
    }
