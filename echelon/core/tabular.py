"""Spreadsheets in and out: upload checks by content and size, row readers, streaming writers.

Every cell written starting with = + - @ (or a tab / carriage return) is prefixed with an apostrophe so
that Excel never runs it as a formula. Readers refuse formula cells rather than trust their cached values.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"


class UploadError(Exception):
    """The file as a whole is refused (wrong type, too big, unreadable); the message is for the user."""


def neutralize(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
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
            with zipfile.ZipFile(fileobj) as zf:
                is_xlsx = "xl/workbook.xml" in zf.namelist()
        except zipfile.BadZipFile:
            is_xlsx = False
        fileobj.seek(0)
        if not is_xlsx:
            raise UploadError(_("文件不是 Excel 工作簿（.xlsx），请用模板填写后上传。"))
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


class FormulaCell(Exception):
    pass


def read_rows(fileobj: IO[bytes], kind: str, *, sheet: str | None = None) -> Iterator[tuple[int, list[Any]]]:
    """Yield (row number as the user sees it, values) including the header row (number 1).

    Formula cells come back as a FormulaCell instance in place of the value, for the caller to report.
    """
    if kind == "csv":
        text = io.TextIOWrapper(fileobj, encoding=_csv_encoding(fileobj), newline="")
        try:
            for number, texts in enumerate(csv.reader(text), start=1):
                yield number, list(texts)
        finally:
            text.detach()
        return
    from openpyxl import load_workbook

    wb = load_workbook(fileobj, read_only=True, data_only=False)
    try:
        ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
        for number, row in enumerate(ws.iter_rows(), start=1):
            values: list[Any] = []
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    values.append(FormulaCell(cell.value))
                else:
                    values.append(cell.value)
            yield number, values
    finally:
        wb.close()


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
        c = WriteOnlyCell(ws, value=h)
        c.font = bold
        header_cells.append(c)
    ws.append(header_cells)
    count = 0
    for row in rows:
        ws.append([neutralize(v) for v in row])
        count += 1
    for sheet_title, sheet_rows in extra_sheets:
        extra = wb.create_sheet(sheet_title)
        for r in sheet_rows:
            extra.append([neutralize(v) for v in r])
    if validations:
        lists = wb.create_sheet(lists_sheet)
        columns = [[header[col], *values] for col, values in validations]
        height = max(len(c) for c in columns)
        for i in range(height):
            lists.append([c[i] if i < len(c) else None for c in columns])
    wb.save(path)
    return count
