"""What the ledger's services share: the campaign a unit's ledger belongs to, text checks, uploads."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.campaigns.models import Campaign, Participation
from echelon.core.text import within_length
from echelon.orgs.models import Unit
from echelon.supervision.services.unit_work import sniff_material


def campaign_of(unit: Unit) -> Campaign | None:
    """The campaign a unit's ledger belongs to: the latest one it takes part in."""
    row = (
        Participation.objects.filter(unit=unit)
        .select_related("campaign")
        .order_by("-campaign__start", "-campaign_id")
        .first()
    )
    return row.campaign if row is not None else None


def required_text(value: str, limit: int, label: str) -> str:
    """A stripped text that must not be empty and stays within ``limit`` characters."""
    value = within_length((value or "").strip(), limit, label)
    if not value:
        raise ValidationError(_("请填写“%(field)s”。") % {"field": label})
    return value


def check_date(value: date | None, label: str, *, campaign: Campaign | None) -> date:
    """A date given by a user: present, and sane: from a year before the campaign to three years after
    its end or today, whichever is later (rectification goes on after the campaign: 整改要长期坚持)."""
    if value is None:
        raise ValidationError(_("请填写“%(field)s”。") % {"field": label})
    if campaign is not None:
        latest = max(campaign.end, timezone.localdate())
        first, last = date(campaign.start.year - 1, 1, 1), date(latest.year + 3, 12, 31)
        if not first <= value <= last:
            raise ValidationError(
                _("“%(field)s”%(value)s 不在活动的时间范围内（%(first)s 至 %(last)s）。")
                % {"field": label, "value": value, "first": first, "last": last}
            )
    return value


def save_upload(row: Model, field: str, fileobj: IO[bytes], name: str) -> tuple[str, str, int]:
    """Check an upload by its content (PDF, Word, Excel, images) and attach it to ``row.<field>``.
    Returns (clean name, type, size). The caller saves ``row``; on failure it deletes the file."""
    kind = sniff_material(fileobj, name)
    clean_name = Path(name).name[-150:] or f"file.{kind}"
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    file_field: FieldFile = getattr(row, field)
    file_field.save(clean_name, File(fileobj, name=clean_name), save=False)
    return clean_name, kind, size
