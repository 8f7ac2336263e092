"""Spreadsheets in and out: upload checks by content and size, row readers, streaming writers.

Every cell written starting with = + - @ (or a tab / carriage return) is prefixed with an apostrophe so
that Excel never runs it as a formula, and loses the characters XML cannot hold (``text.xml_safe``).
Readers refuse formula cells rather than trust their cached values, and cells holding control characters
or bidi overrides (``text.FORBIDDEN_RE``): both come back as a ``CellError`` in place of the value, for
the importer to report against its row and column.

An xlsx is a zip of XML. Before openpyxl opens one, ``sniff`` reads only the zip's directory and refuses
what would cost far more than the file's size to unpack (``check_xlsx``); while reading, the sheet's size
is checked against ``XLSX_MAX_ROWS`` and ``XLSX_MAX_COLUMNS``. Any other failure to read a workbook or a
CSV file is an ``UploadError`` with a Chinese message, never a crash.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import posixpath
import struct
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from echelon.core.text import FORBIDDEN_RE, forbidden_cell_reason, forbidden_characters, xml_safe

logger = logging.getLogger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"

MB = 1024 * 1024
# Limits of an uploaded xlsx, checked on the zip directory before anything is unpacked. For scale: the
# project's own export of a full sheet of members (1,048,575 rows) unpacks to about 680 MB, 9.4 times its
# size, almost all of it the one worksheet (streamed, so it costs time, not memory); the same data saved by
# Excel keeps about 68 MB of shared strings (2.5 million distinct codes, names and phone numbers), which
# openpyxl holds in memory (about 180 MB).
XLSX_MAX_ENTRIES = 1000  # a workbook has a dozen parts, plus one or two per sheet, image or chart
XLSX_MAX_DIRECTORY = 1 * MB  # the zip's central directory, read whole by zipfile
XLSX_MAX_UNPACKED = 1024 * MB  # all parts together (the full member export: ~680 MB)
XLSX_MAX_RATIO = 50  # all parts together, times the file size (real workbooks: 3 to 15) ...
XLSX_RATIO_FLOOR = 64 * MB  # ... once they exceed this (small files may compress better, and cost nothing)
XLSX_MAX_PART_RATIO = 200  # one part: deflate on real XML stays far below; a zip bomb goes to 1,000:1
XLSX_PART_RATIO_FLOOR = 20 * MB
XLSX_MAX_SHARED_STRINGS = 128 * MB  # read into memory whole (the largest real member sheet: ~68 MB)
XLSX_MAX_OTHER_PART = 16 * MB  # styles, workbook, relationships, ...: parsed whole; real ones are KB
XLSX_MAX_ROWS = 1_048_576  # Excel's own limit of a sheet
XLSX_MAX_COLUMNS = 200  # an import template has about a dozen columns

CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


class UploadError(Exception):
    """The file as a whole is refused (wrong type, too big, unreadable); the message is for the user."""


def _corrupt() -> UploadError:
    return UploadError(_("文件已损坏或不是 Excel 工作簿（.xlsx），无法读取。"))


def _csv_unreadable() -> UploadError:
    return UploadError(_("无法读取 CSV 文件（编码应为 UTF-8 或 GB18030，且不能含有空字符）。"))


def neutralize(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _xlsx_value(value: Any) -> Any:
    """A value as an xlsx cell holds it: formulas neutralised, characters XML cannot hold removed (stored
    text may predate the input checks), a refused cell written as it was read (the import error sheet)."""
    if isinstance(value, CellError):
        value = str(value.args[0]) if value.args else ""
    if isinstance(value, str):
        return neutralize(xml_safe(value))
    return value


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def sniff(fileobj: IO[bytes], name: str, *, max_bytes: int | None = None) -> str:
    """Return "xlsx" or "csv" after checking the content, not just the name; raise UploadError otherwise."""
    limit = max_bytes if max_bytes is not None else settings.ECHELON_MAX_UPLOAD_BYTES
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    if size > limit:
        raise UploadError(
            _("文件过大（%(size)s），上限为 %(limit)s。")
            % {"size": human_size(size), "limit": human_size(limit)}
        )
    if size == 0:
        raise UploadError(_("文件是空的。"))
    suffix = Path(name).suffix.lower()
    head = fileobj.read(65536)
    fileobj.seek(0)
    if head.startswith(XLSX_MAGIC):
        try:
            check_xlsx(fileobj, size)
        finally:
            fileobj.seek(0)
        if suffix not in (".xlsx", ".xlsm"):
            raise UploadError(
                _("文件内容是 Excel 工作簿，但扩展名是“%(suffix)s”。") % {"suffix": suffix or "-"}
            )
        return "xlsx"
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadError(_("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 后上传。"))
    if b"\x00" in head or _decode(head) is None:
        raise UploadError(_("文件不是电子表格（.xlsx 或 .csv），无法读取。"))
    if suffix not in (".csv", ".txt"):
        raise UploadError(_("文件内容是 CSV 文本，但扩展名是“%(suffix)s”。") % {"suffix": suffix or "-"})
    return "csv"


def _too_big(what: str, unpacked: int, limit: int) -> UploadError:
    return UploadError(
        _(
            "文件解压后过大：%(what)s为 %(size)s，上限为 %(limit)s。"
            "请删除多余的工作表、行、列或图片后重新上传。"
        )
        % {"what": what, "size": human_size(unpacked), "limit": human_size(limit)}
    )


def _directory_size(fileobj: IO[bytes], size: int) -> tuple[int, int]:
    """(entries, bytes) of the zip's central directory, from its end record, before zipfile reads and
    parses the directory itself."""
    tail_len = min(size, 22 + 65535)  # the end record, and a comment of at most 64 KB
    fileobj.seek(size - tail_len)
    tail = fileobj.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise _corrupt()
    _sig, _disk, _cd_disk, _here, entries, cd_size, _cd_offset, _comment = struct.unpack(
        "<4s4H2LH", tail[at : at + 22]
    )
    return entries, cd_size


def _xml_part(zf: zipfile.ZipFile, name: str) -> Any:
    from xml.etree import ElementTree

    unpacked = zf.getinfo(name).file_size
    if unpacked > XLSX_MAX_OTHER_PART:
        raise _too_big(name[:100], unpacked, XLSX_MAX_OTHER_PART)
    return ElementTree.fromstring(zf.read(name))  # noqa: S314 (size checked; expat limits entity expansion)


def _part_roles(zf: zipfile.ZipFile) -> tuple[set[str], set[str]]:
    """(worksheets, shared strings): the parts openpyxl streams, and the one it holds in memory whole,
    found the way openpyxl finds them (the workbook's relationships, the content types)."""
    names = set(zf.namelist())
    shared = {"xl/sharedStrings.xml"}
    workbook = "xl/workbook.xml"
    if "[Content_Types].xml" in names:
        for node in _xml_part(zf, "[Content_Types].xml").iter(f"{CT_NS}Override"):
            part = node.get("PartName", "").lstrip("/")
            kind = node.get("ContentType", "")
            if kind == SHARED_STRINGS_TYPE:
                shared.add(part)
            elif kind.endswith(("spreadsheetml.sheet.main+xml", "ms-excel.sheet.macroEnabled.main+xml")):
                workbook = part
    folder, base = posixpath.split(workbook)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    sheets: set[str] = set()
    others: set[str] = set()
    if rels in names:
        for node in _xml_part(zf, rels).iter(f"{REL_NS}Relationship"):
            target = node.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"{folder}/{target}")
            (sheets if node.get("Type") == WORKSHEET_REL else others).add(part)
    return sheets - others - shared, shared


def check_xlsx(fileobj: IO[bytes], size: int) -> None:
    """Refuse a workbook that would unpack to far more than real ones do, from the zip's directory alone
    (the sizes it declares are the most zipfile will ever unpack). Raises UploadError."""
    entries, directory = _directory_size(fileobj, size)
    if entries > XLSX_MAX_ENTRIES or directory > XLSX_MAX_DIRECTORY:
        raise UploadError(
            _("文件中的部件过多（%(n)s 个），不是正常的 Excel 工作簿。") % {"n": f"{entries:,}"}
        )
    fileobj.seek(0)
    try:
        zf = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, struct.error) as exc:
        raise _corrupt() from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > XLSX_MAX_ENTRIES:
            raise UploadError(
                _("文件中的部件过多（%(n)s 个），不是正常的 Excel 工作簿。") % {"n": f"{len(infos):,}"}
            )
        if "xl/workbook.xml" not in zf.namelist() and "[Content_Types].xml" not in zf.namelist():
            raise UploadError(_("文件不是 Excel 工作簿（.xlsx），请用模板填写后上传。"))
        total = 0
        for info in infos:
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _corrupt()
            total += info.file_size
            if info.file_size > XLSX_PART_RATIO_FLOOR and info.file_size > XLSX_MAX_PART_RATIO * max(
                info.compress_size, 1
            ):
                raise UploadError(
                    _("文件中的“%(part)s”压缩比异常（解压后 %(size)s），已拒绝。")
                    % {"part": info.filename[:100], "size": human_size(info.file_size)}
                )
        limit = min(XLSX_MAX_UNPACKED, max(XLSX_RATIO_FLOOR, XLSX_MAX_RATIO * size))
        if total > limit:
            raise _too_big(_("全部内容"), total, limit)
        try:
            sheets, shared = _part_roles(zf)
        except UploadError:
            raise
        except Exception as exc:  # any damage in these small parts: the file cannot be read
            raise _corrupt() from exc
        for info in infos:
            name = info.filename
            if name in shared:
                if info.file_size > XLSX_MAX_SHARED_STRINGS:
                    raise _too_big(_("共享字符串表"), info.file_size, XLSX_MAX_SHARED_STRINGS)
            elif name not in sheets and info.file_size > XLSX_MAX_OTHER_PART:
                raise _too_big(name[:100], info.file_size, XLSX_MAX_OTHER_PART)
        if not sheets:
            raise UploadError(_("文件不是 Excel 工作簿（.xlsx），请用模板填写后上传。"))


def _decode(head: bytes) -> str | None:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            # the sample may end inside a multi-byte character
            return codecs.getincrementaldecoder(enc)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return None


def _csv_encoding(fileobj: IO[bytes]) -> str:
    head = fileobj.read(1 << 20)
    fileobj.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


@dataclass
class Cell:
    row: int
    column: str
    reason: str


class CellError(Exception):
    """A cell refused while reading. It stands in the row in place of the value (``args[0]`` is the value
    as read); ``reason`` is for the user, who sees it with the row number and the column name."""

    def __init__(self, value: Any) -> None:
        super().__init__(value)
        self.reason = self.explain(value)

    def explain(self, value: Any) -> str:
        raise NotImplementedError


class FormulaCell(CellError):
    def explain(self, value: Any) -> str:
        return _("单元格含有公式，系统不计算公式，请改为直接填写值（粘贴为数值）。")


class ForbiddenText(CellError):
    """Text with control characters or bidi overrides (``core.text``)."""

    def explain(self, value: Any) -> str:
        return forbidden_cell_reason(forbidden_characters(value))


def read_rows(fileobj: IO[bytes], kind: str, *, sheet: str | None = None) -> Iterator[tuple[int, list[Any]]]:
    """Yield (row number as the user sees it, values) including the header row (number 1).

    A refused cell comes back as a CellError in place of the value, for the caller to report: FormulaCell
    (formulas are not computed), ForbiddenText (control characters; tab and newline are fine). A file that
    cannot be read, or an xlsx sheet beyond XLSX_MAX_ROWS x XLSX_MAX_COLUMNS, raises UploadError.
    """
    if kind == "csv":
        yield from _csv_rows(fileobj)
    else:
        yield from _xlsx_rows(fileobj, sheet)


def _refuse_text(values: list[Any]) -> list[Any]:
    return [ForbiddenText(v) if isinstance(v, str) and FORBIDDEN_RE.search(v) else v for v in values]


def _csv_rows(fileobj: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    text = io.TextIOWrapper(fileobj, encoding=_csv_encoding(fileobj), newline="")
    search, join = FORBIDDEN_RE.search, "\n".join
    try:
        for number, texts in enumerate(csv.reader(text), start=1):
            # one search over the whole row: the hot path of a 1.3-million-row import
            yield number, (_refuse_text(texts) if search(join(texts)) else texts)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _csv_unreadable() from exc
    finally:
        text.detach()


def _xlsx_rows(fileobj: IO[bytes], sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(fileobj, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl fails in many ways on damaged files; all mean "cannot read it"
        logger.info("unreadable workbook: %r", exc)
        raise _corrupt() from exc
    try:
        ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
        rows_declared, columns_declared = ws.max_row or 0, ws.max_column or 0
        if rows_declared > XLSX_MAX_ROWS or columns_declared > XLSX_MAX_COLUMNS:
            raise _sheet_too_big(rows_declared, columns_declared)
        for number, row in enumerate(ws.iter_rows(), start=1):
            if number > XLSX_MAX_ROWS or len(row) > XLSX_MAX_COLUMNS:
                raise _sheet_too_big(number, len(row))
            values: list[Any] = []
            for cell in row:
                value = cell.value
                if getattr(cell, "data_type", None) == "f":
                    value = FormulaCell(value)
                elif isinstance(value, str) and FORBIDDEN_RE.search(value):
                    value = ForbiddenText(value)
                values.append(value)
            yield number, values
    except UploadError:
        raise
    except Exception as exc:
        logger.info("unreadable workbook: %r", exc)
        raise _corrupt() from exc
    finally:
        wb.close()


def _sheet_too_big(rows: int, columns: int) -> UploadError:
    return UploadError(
        _(
            "工作表过大（%(rows)s 行 × %(columns)s 列），上限为 %(max_rows)s 行 × %(max_columns)s 列。"
            "请删除多余的行和列（包括只设置了格式的空白单元格）后重新上传。"
        )
        % {
            "rows": f"{rows:,}",
            "columns": f"{columns:,}",
            "max_rows": f"{XLSX_MAX_ROWS:,}",
            "max_columns": XLSX_MAX_COLUMNS,
        }
    )


def iter_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """CSV bytes, UTF-8 with a BOM so Excel opens Chinese text correctly; one chunk per ~1,000 rows."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow(header)
    for i, row in enumerate(rows, start=1):
        writer.writerow(["" if v is None else neutralize(v) for v in row])
        if i % 1000 == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    count = 0

    def counted() -> Iterator[Sequence[Any]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    with open(path, "wb") as fh:
        for chunk in iter_csv(header, counted()):
            fh.write(chunk)
    return count


def write_xlsx(
    path: Path | IO[bytes],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Sheet1",
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]] = (),
    validations: Sequence[tuple[int, Sequence[str]]] = (),
    lists_sheet: str = "代码表",
) -> int:
    """Write-only workbook (bounded memory). `validations`: (column index, allowed values) drop-downs."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    if validations:
        from openpyxl.utils import get_column_letter

        for n, (col, values) in enumerate(validations, start=1):
            letter = get_column_letter(col + 1)
            letter_n = get_column_letter(n)
            dv = DataValidation(
                type="list",
                formula1=f"'{lists_sheet}'!${letter_n}$2:${letter_n}${len(values) + 1}",
                allow_blank=True,
            )
            dv.error = _("请从下拉列表中选择")
            dv.add(f"{letter}2:{letter}1048576")
            ws.data_validations.append(dv)
    header_cells = []
    for h in header:
        c = WriteOnlyCell(ws, value=_xlsx_value(h))
        c.font = bold
        header_cells.append(c)
    ws.append(header_cells)
    count = 0
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
        count += 1
    for sheet_title, sheet_rows in extra_sheets:
        extra = wb.create_sheet(sheet_title)
        for r in sheet_rows:
            extra.append([_xlsx_value(v) for v in r])
    if validations:
        lists = wb.create_sheet(lists_sheet)
        columns = [[header[col], *values] for col, values in validations]
        height = max(len(c) for c in columns)
        for i in range(height):
            lists.append([_xlsx_value(c[i]) if i < len(c) else None for c in columns])
    wb.save(path)
    return count
