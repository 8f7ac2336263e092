"""Opinions gathered by staff (forums, home visits, questionnaires, boxes) imported from Excel or CSV.

The same way as the registry's imports (ADR 8, ``orgs.imports``): the file is checked by content and size
(``core.tabular.sniff``, which also refuses zip bombs from the zip's directory before anything is
unpacked), read by ``tabular.read_rows`` (formula cells and control characters refused per cell, never
evaluated), every row checked, and only then written, in one transaction with one ``opinion.import`` audit
event for the file. Any bad row: nothing is written and every error is listed by row and column.

Idempotent: a row whose unit, text (``opinions.fingerprint``) and received date are already stored is
skipped, so the same file imported again writes nothing, not even an audit event. The same text to the same
unit twice in one file is an error; so is a text the unit already received within ``DUPLICATE_DAYS`` on
another date (what ``opinion_record`` refuses one by one).

The columns (in any order; the labels are the file's contract and stay Chinese): 单位代码 (optional column;
an empty cell means the unit imported for; otherwise a unit under it), 渠道, 收到日期, 意见内容 and 联系方式
(optional column).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from echelon.campaigns.models import Campaign
from echelon.core import audit, tabular
from echelon.core.actors import Actor, is_person
from echelon.core.permissions import allowed, require
from echelon.ledger import verbs
from echelon.ledger.models import Channel, Opinion
from echelon.ledger.services.common import campaign_of, check_date
from echelon.ledger.services.opinions import DUPLICATE_DAYS, _check_text, _create_many, fingerprint
from echelon.orgs.imports.parsing import parse_date
from echelon.orgs.imports.reading import ERROR_COLUMN, cell_text, file_sha256, guarded
from echelon.orgs.imports.report import RowError, error_key
from echelon.orgs.models import Unit

UNIT_CODE = "单位代码"
CHANNEL = "渠道"
RECEIVED = "收到日期"
TEXT = "意见内容"
CONTACT = "联系方式"
HEADER = (UNIT_CODE, CHANNEL, RECEIVED, TEXT, CONTACT)
REQUIRED_COLUMNS = (CHANNEL, RECEIVED, TEXT)
# A forum's or a township's questionnaires fit many times over; a bigger file is split (the request stays
# short: the import runs within it).
MAX_ROWS = 5_000
# The template's example row starts with this: uploaded unchanged, it is refused rather than imported.
EXAMPLE_MARK = "（示例）"
MAX_ERRORS = 1_000
# The file's size limit (far above 5,000 opinions of 2,000 characters in an xlsx).
MAX_BYTES = 20 * 1024 * 1024
_CHUNK = 500


def channel_labels() -> dict[str, str]:
    """Channel value → its Chinese name (the file's values, whatever the user's language)."""
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in Channel.choices}


@dataclass
class ImportResult:
    """What an opinion import did, or why it wrote nothing (``errors``, by row and column)."""

    file_name: str
    fmt: str = ""
    sha256: str = ""
    rows: int = 0
    created: int = 0
    skipped: int = 0  # already stored (same unit, text and received date): a file imported again
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    tracking_codes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, row: int | None, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, reason))

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=error_key)

    def summary(self) -> str:
        if not self.ok:
            return _("发现 %(n)s 处错误，没有写入任何数据。") % {"n": self.error_count}
        if not self.created:
            return _("文件中的 %(n)s 条意见都已导入过，没有新增。") % {"n": self.skipped}
        text = _("导入完成：新增意见 %(c)s 条") % {"c": self.created}
        if self.skipped:
            text += _("，已导入过而跳过 %(s)s 条") % {"s": self.skipped}
        return text + "。"


@dataclass
class _Row:
    number: int
    code: str
    channel: str
    received_on: date | None
    text: str
    contact: str
    unit: Unit | None = None
    print_: str = ""


def opinion_import(*, actor: Actor, unit: Unit, fileobj: IO[bytes], name: str) -> ImportResult:
    """Import the opinions of ``fileobj`` (.xlsx or .csv) for ``unit`` and the units under it. Returns the
    result; when it holds errors nothing was written. A file refused as a whole (type, size, a zip bomb,
    unreadable) is a ValidationError; an actor without the import right at ``unit``, PermissionDenied."""
    require(actor, "import", unit.path)
    try:
        fmt = tabular.sniff(fileobj, name, max_bytes=MAX_BYTES)
        result = ImportResult(file_name=Path(name or "").name[:200], fmt=fmt, sha256=file_sha256(fileobj))
        rows = list(_parse(guarded(tabular.read_rows(fileobj, fmt)), result))
    except tabular.UploadError as exc:
        raise ValidationError(str(exc)) from exc
    if not rows and result.ok:
        result.error(None, "", _("文件中没有意见数据。"))
    with transaction.atomic():
        # One import at a time per unit: the check for rows already stored holds until the commit.
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        _resolve_units(actor, unit, rows, result)
        _check_dates(rows, result)
        fresh = _drop_known(rows, result)
        result.rows = len(rows)
        if not result.ok:
            return result
        created = _create_many(
            actor=actor,
            rows=[
                (r.unit, r.text, r.contact, r.channel, r.received_on)
                for r in fresh
                if r.unit and r.received_on
            ],
        )
        result.created = len(created)
        result.tracking_codes = [o.tracking_code for o in created]
        if created:
            audit.record(
                actor=actor,
                verb=verbs.OPINION_IMPORT,
                object_type="ledger.opinion_import",
                object_id=result.sha256,
                object_repr=f"{unit.name} · {result.file_name}",
                unit_id=unit.pk,
                unit_path=unit.path,
                after={
                    "file": result.file_name,
                    "sha256": result.sha256,
                    "rows": result.rows,
                    "created": result.created,
                    "skipped": result.skipped,
                    "units": sorted({o.unit.code for o in created}),
                    "tracking_codes": result.tracking_codes,
                    "user": actor.get_username() if is_person(actor) else "system",
                },
            )
    return result


def _header(names: list[str], result: ImportResult) -> dict[str, int] | None:
    positions: dict[str, int] = {}
    ok = True
    for i, raw in enumerate(names):
        name = raw.lstrip("\ufeff")
        if not name or name == ERROR_COLUMN:
            continue
        if name not in HEADER:
            result.error(
                1,
                name,
                _("无法识别的列“%(name)s”，可用的列：%(columns)s。")
                % {"name": name, "columns": "、".join(HEADER)},
            )
            ok = False
        elif name in positions:
            result.error(1, name, _("列“%(name)s”重复出现。") % {"name": name})
            ok = False
        else:
            positions[name] = i
    for name in REQUIRED_COLUMNS:
        if name not in positions:
            result.error(1, name, _("缺少列“%(name)s”。") % {"name": name})
            ok = False
    return positions if ok else None


def _parse(rows: Iterator[tuple[int, list[Any]]], result: ImportResult) -> Iterator[_Row]:
    """Rows whose cells are each well formed (the unit codes and duplicates are checked afterwards)."""
    first = next(rows, None)
    if first is None:
        result.error(1, "", _("文件中没有表头行。"))
        return
    positions = _header(
        [cell_text(v) if not isinstance(v, tabular.CellError) else "" for v in first[1]], result
    )
    if positions is None:
        return
    channels = {label: value for value, label in channel_labels().items()}
    channels.update({value: value for value in Channel.values})
    allowed_channels = "、".join(channel_labels().values())
    today = timezone.localdate()
    count = 0
    for number, values in rows:
        cells: dict[str, str] = {}
        bad = False
        for name, at in positions.items():
            value = values[at] if at < len(values) else None
            if isinstance(value, tabular.CellError):
                result.error(number, name, value.reason)
                bad = True
            else:
                cells[name] = cell_text(value)
        if not bad and not any(cells.values()):
            continue  # a blank line
        count += 1
        if count > MAX_ROWS:
            result.error(
                number, "", _("一次最多导入 %(n)s 条意见，请把文件拆分后分批导入。") % {"n": f"{MAX_ROWS:,}"}
            )
            return
        if bad:
            continue
        row = _row(number, cells, channels, allowed_channels, today, result)
        if row is not None:
            yield row


def _row(
    number: int,
    cells: dict[str, str],
    channels: dict[str, str],
    allowed_channels: str,
    today: date,
    result: ImportResult,
) -> _Row | None:
    errors_before = result.error_count
    channel = channels.get(cells.get(CHANNEL, ""), "")
    if not cells.get(CHANNEL):
        result.error(number, CHANNEL, _("请填写渠道，可选：%(choices)s。") % {"choices": allowed_channels})
    elif not channel:
        result.error(
            number,
            CHANNEL,
            _("“%(value)s”不是可选的渠道，应为：%(choices)s。")
            % {"value": cells[CHANNEL][:40], "choices": allowed_channels},
        )
    received: date | None = None
    raw_date = cells.get(RECEIVED, "")
    if not raw_date:
        result.error(number, RECEIVED, _("请填写收到日期，如 2014-05-20。"))
    else:
        parsed = parse_date(raw_date)
        if isinstance(parsed, str):
            result.error(number, RECEIVED, parsed)
        elif parsed > today:
            result.error(number, RECEIVED, _("收到日期 %(d)s 晚于今天。") % {"d": parsed.isoformat()})
        else:
            received = parsed
    text = cells.get(TEXT, "")
    contact = cells.get(CONTACT, "")
    if text.startswith(EXAMPLE_MARK):
        result.error(number, TEXT, _("这是模板中的示例行，请删除后再导入。"))
    else:
        try:
            text, _contact = _check_text(text, "")
        except ValidationError as exc:
            result.error(number, TEXT, "；".join(exc.messages))
        else:
            try:
                text, contact = _check_text(text, contact)
            except ValidationError as exc:
                result.error(number, CONTACT, "；".join(exc.messages))
    if result.error_count > errors_before:
        return None
    return _Row(number, cells.get(UNIT_CODE, ""), channel, received, text, contact, print_=fingerprint(text))


def _resolve_units(actor: Actor, root: Unit, rows: list[_Row], result: ImportResult) -> None:
    """Each row's unit: the root when its code is empty, else an active unit under the root that the actor
    may record for. A code that names nothing, or a unit out of reach, gets the same answer."""
    codes = sorted({r.code for r in rows if r.code})
    found: dict[str, Unit] = {}
    for start in range(0, len(codes), _CHUNK):
        for u in Unit.objects.filter(code__in=codes[start : start + _CHUNK], is_active=True):
            if u.path.startswith(root.path) and allowed(actor, "change", u.path):
                found[u.code] = u
    root_ok = allowed(actor, "change", root.path)
    for r in rows:
        if not r.code:
            r.unit = root if root_ok else None
            if r.unit is None:
                result.error(r.number, UNIT_CODE, _("您不能为“%(unit)s”登记意见。") % {"unit": root.name})
            continue
        r.unit = found.get(r.code)
        if r.unit is None:
            result.error(
                r.number,
                UNIT_CODE,
                _("找不到组织代码“%(code)s”，或该组织不在“%(unit)s”之下、不在您的管理范围内。")
                % {"code": r.code[:40], "unit": root.name},
            )


def _check_dates(rows: list[_Row], result: ImportResult) -> None:
    """The received date within the campaign's time of the row's unit (``check_date``)."""
    campaigns: dict[int, Campaign | None] = {}
    for r in rows:
        if r.unit is None or r.received_on is None:
            continue
        if r.unit.pk not in campaigns:
            campaigns[r.unit.pk] = campaign_of(r.unit)
        try:
            check_date(r.received_on, RECEIVED, campaign=campaigns[r.unit.pk])
        except ValidationError as exc:
            result.error(r.number, RECEIVED, "；".join(exc.messages))


def _drop_known(rows: list[_Row], result: ImportResult) -> list[_Row]:
    """The rows to write: duplicates within the file are errors; a row already stored (same unit, text and
    date) is skipped; the same text to the same unit stored recently on another date is an error."""
    first: dict[tuple[int, str], int] = {}
    for r in rows:
        if r.unit is None:
            continue
        key = (r.unit.pk, r.print_)
        if key in first:
            result.error(
                r.number,
                TEXT,
                _("与第 %(row)s 行的意见内容相同（同一单位），请删除重复的一行。") % {"row": first[key]},
            )
        else:
            first[key] = r.number
    stored: dict[tuple[int, str], list[tuple[date, Any, str]]] = {}
    unit_ids = sorted({uid for uid, _p in first})
    prints = sorted({p for _u, p in first})
    for start in range(0, len(prints), _CHUNK):
        for uid, print_, received_on, created_at, code in Opinion.objects.filter(
            unit_id__in=unit_ids, fingerprint__in=prints[start : start + _CHUNK]
        ).values_list("unit_id", "fingerprint", "received_on", "created_at", "tracking_code"):
            stored.setdefault((uid, print_), []).append((received_on, created_at, code))
    since = timezone.now() - timedelta(days=DUPLICATE_DAYS)
    fresh = []
    for r in rows:
        if r.unit is None:
            continue
        known = stored.get((r.unit.pk, r.print_), [])
        if any(received_on == r.received_on for received_on, _at, _code in known):
            result.skipped += 1
            continue
        recent = [code for _d, created_at, code in known if created_at >= since]
        if recent:
            result.error(
                r.number,
                TEXT,
                _("相同内容的意见已经收到（回执号 %(code)s），无需重复导入。") % {"code": recent[0]},
            )
            continue
        fresh.append(r)
    return fresh
