"""Small real files for the tests: a PNG (a ruled sheet, like a sign-in sheet), a one-page PDF and a Word
document, made here byte by byte (no image library needed)."""

from __future__ import annotations

import io
import struct
import zlib

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn


def png(width: int = 360, height: int = 240, *, ruled: bool = True) -> bytes:
    """A white sheet with a red title bar and grey ruled rows and columns."""
    rows = []
    for y in range(height):
        line = bytearray([0])
        for x in range(width):
            if y < height // 8:
                pixel = (179, 38, 30)
            elif ruled and (
                y % (height // 8) == 0 or x % (width // 4) == 0 or x == width - 1 or y == height - 1
            ):
                pixel = (120, 120, 120)
            else:
                pixel = (255, 255, 255)
            line.extend(pixel)
        rows.append(bytes(line))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def pdf(text: str = "Sign-in sheet") -> bytes:
    """A one-page PDF with one line of (ASCII) text."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def docx(*, title: str = "征求意见汇总", link: str = "") -> bytes:
    """A Word document: a heading, a paragraph, a table and, with ``link``, a hyperlink to it."""
    document = Document()
    document.add_heading(title, level=1)
    document.add_paragraph("共发放征求意见表 120 份，收回 116 份，梳理意见建议 23 条。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "方面", "条数"
    table.cell(1, 0).text, table.cell(1, 1).text = "形式主义", "5"
    if link:
        paragraph = document.add_paragraph("详见：")
        rel = document.part.relate_to(link, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        hyperlink = OxmlElement("w:hyperlink")
        hyperlink.set(qn("r:id"), rel)
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "点此查看"
        run.append(text)
        hyperlink.append(run)
        paragraph._p.append(hyperlink)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
