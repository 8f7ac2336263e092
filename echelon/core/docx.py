"""Official documents: the house style of every Word file Echelon writes.

The page and the faces follow the national standard for official documents (GB/T 9704): A4, margins
37/35/28/26 mm; titles in a song-style display face (方正小标宋简体), headings in 黑体, body and tables in
仿宋_GB2312; Latin text in Times New Roman. East Asian faces are named on each style or run (``w:eastAsia``)
and registered in the font table with an alternative (``w:altName``), so that Word substitutes a face the
reader's machine has (仿宋_GB2312 → 仿宋, 方正小标宋简体 → 宋体): nothing is embedded.

- ``set_fonts``: the Latin and East Asian face, size and weight of a style or a run;
- ``paragraph_style``: a named paragraph style (so a clerk can restyle a whole document at once);
- ``official_page`` / ``official_setup``: the A4 portrait page, and with it the four styles of an official
  document (body, title, first-level heading, table);
- ``Table``: a big Word table written row by row as XML (python-docx's own row API is quadratic);
- ``rule``: a line above or below a paragraph (the red line under a masthead);
- ``date_label`` / ``period_label``: dates as documents write them (2014年3月1日);
- ``docx_text``, ``describe``, ``save``.

Every text goes through ``core.text.xml_safe``: stored text may hold characters XML cannot. Importing this
module loads python-docx (and lxml): callers that Django loads at start-up import it where they build a
document (ADR 12).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.utils import timezone
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import CharacterStyle, ParagraphStyle
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from echelon.core.text import xml_safe

LATIN = "Times New Roman"
# The faces by use: (font, the fallback the font table offers where the first is missing).
FONTS: dict[str, tuple[str, str]] = {
    "title": ("方正小标宋简体", "宋体"),
    "heading": ("黑体", "SimHei"),
    "body": ("仿宋_GB2312", "仿宋"),
    "table": ("仿宋_GB2312", "仿宋"),
}
# Millimetres between the margins of the official A4 page (210 - 28 - 26).
TEXT_WIDTH = 156
GB2312 = "86"  # the font table's charset of the Chinese faces

# The children of ``w:pPr`` that come after ``w:pBdr`` (ECMA-376 CT_PPrBase): Word refuses them out of order.
PPR_AFTER_BORDERS = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def set_fonts(
    target: CharacterStyle | Run,
    east_asian: str,
    size: float,
    *,
    bold: bool = False,
    color: RGBColor | None = None,
) -> None:
    """The fonts of a style (and so of every paragraph in it) or of one run: Latin Times New Roman, the East
    Asian face named on its ``w:rFonts`` (``w:eastAsia``), the size in points, the weight and the colour."""
    font = target.font
    font.name = LATIN
    font.size = Pt(size)
    font.bold = bold
    if color is not None:
        font.color.rgb = color
    element: Any = target.element  # a style's w:style or a run's w:r: both hold a w:rPr
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), LATIN)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def register_fallbacks(document: Document) -> None:
    """Name each East Asian face of ``FONTS`` in the font table with its fallback (``w:altName``)."""
    part: Any = None
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            part = rel.target_part
            break
    if part is None:
        return
    element = parse_xml(part.blob) if not hasattr(part, "element") else part.element
    present = {f.get(qn("w:name")) for f in element.findall(qn("w:font"))}
    for name, alt in FONTS.values():
        if name in present:
            continue
        present.add(name)
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        alt_name = OxmlElement("w:altName")
        alt_name.set(qn("w:val"), alt)
        charset = OxmlElement("w:charset")
        charset.set(qn("w:val"), GB2312)
        font.append(alt_name)
        font.append(charset)
        element.append(font)
    if not hasattr(part, "element"):
        from lxml import etree

        part._blob = etree.tostring(element, xml_declaration=True, encoding="UTF-8", standalone=True)


def paragraph_style(
    document: Document, name: str, base: str, kind: str, size: float, *, bold: bool = False
) -> ParagraphStyle:
    """The paragraph style ``name`` (added, based on the built-in ``base``, when the document has none),
    in the face of ``kind`` (a key of ``FONTS``) at ``size`` points."""
    styles = document.styles
    try:
        style: ParagraphStyle = styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        with contextlib.suppress(KeyError):  # a template without the built-in style: stand alone
            style.base_style = styles[base]
    set_fonts(style, FONTS[kind][0], size, bold=bold)
    return style


def official_page(document: Document) -> None:
    """The first section as the official page: A4 portrait, margins 37/35/28/26 mm."""
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)


def official_setup(document: Document, prefix: str) -> dict[str, ParagraphStyle]:
    """The official page and the document's four named styles (``<prefix>正文``, ``标题``, ``一级标题``,
    ``表格``): body in 仿宋 三号 with a two-character first-line indent and fixed 28-point lines, the title
    in 小标宋 二号 centred, headings in 黑体 三号, tables in 仿宋 小四. Registers the fallbacks. Returns the
    styles by use: ``body``, ``title``, ``heading``, ``table``."""
    official_page(document)
    body = paragraph_style(document, f"{prefix}正文", "Normal", "body", 16)
    body.paragraph_format.first_line_indent = Pt(32)
    body.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    body.paragraph_format.line_spacing = Pt(28)
    body.paragraph_format.space_after = Pt(0)
    title = paragraph_style(document, f"{prefix}标题", "Title", "title", 22)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(24)
    heading = paragraph_style(document, f"{prefix}一级标题", "Heading 1", "heading", 16)
    heading.paragraph_format.first_line_indent = Pt(32)
    heading.paragraph_format.space_before = Pt(6)
    heading.paragraph_format.space_after = Pt(0)
    table = paragraph_style(document, f"{prefix}表格", "Normal", "table", 12)
    table.paragraph_format.first_line_indent = Pt(0)
    for style in (title, heading):  # the built-ins are coloured and underlined in some templates
        style.font.color.rgb = None
    register_fallbacks(document)
    return {"body": body, "title": title, "heading": heading, "table": table}


def describe(document: Document, title: str, author: str = "") -> None:
    """The document's properties: its title, its author (the issuing body) when given, Chinese."""
    core = document.core_properties
    core.title = xml_safe(title)
    if author:
        core.author = xml_safe(author)
    core.language = "zh-CN"


def rule(paragraph: Paragraph, side: str, color: str, *, size: int = 12, space: int = 4) -> None:
    """A line on the ``side`` (``top``, ``bottom``) of a paragraph: the red line under a masthead, the lines
    of a 报送 block. ``size`` in eighths of a point, ``space`` in points, ``color`` as RRGGBB."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.insert_element_before(borders, *PPR_AFTER_BORDERS)  # the schema's order: Word is strict
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:space"), str(space))
    line.set(qn("w:color"), color)
    borders.append(line)


class Table:
    """A Word table written row by row as XML text, parsed once per row (python-docx's ``add_row().cells``
    walks the whole table for every row, and its element API costs milliseconds per cell: minutes for a
    table of two thousand rows). Fixed column widths (mm), the header row in ``head`` (bold) and repeated on
    every printed page, the rows in ``body``; vertical merges for cells that span rows."""

    def __init__(
        self,
        document: Document,
        header: Sequence[str],
        widths_mm: Sequence[float],
        *,
        body: ParagraphStyle,
        head: ParagraphStyle,
    ) -> None:
        self.table = document.add_table(rows=0, cols=len(header))
        with contextlib.suppress(KeyError):
            self.table.style = document.styles["Table Grid"]
        self.table.alignment = WD_TABLE_ALIGNMENT.CENTER
        self.table.autofit = False
        for column, width in zip(self.table._tbl.tblGrid.gridCol_lst, widths_mm, strict=True):
            column.w = Mm(width)
        self.twips = [round(w * 1440 / 25.4) for w in widths_mm]
        self.body_style: str = body.style_id
        self.add(header, style=head.style_id, header=True)

    def add(
        self,
        values: Sequence[Any],
        *,
        style: str = "",
        header: bool = False,
        merge: int = 0,
        restart: int = 0,
    ) -> None:
        """A row of ``values`` (``docx_text``). ``restart``: its first cells start a vertical merge;
        ``merge``: its first cells continue the merge above (and stay empty)."""
        style_attr = quoteattr(style or self.body_style)
        bold = "<w:rPr><w:b/></w:rPr>" if header else ""
        cells = []
        for i, (value, twips) in enumerate(zip(values, self.twips, strict=True)):
            merged = '<w:vMerge w:val="restart"/>' if i < restart else "<w:vMerge/>" if i < merge else ""
            text = "" if i < merge else docx_text(value)
            run = ""
            if text:
                lines = escape(text.replace("\r\n", "\n").replace("\t", " ")).split("\n")
                body = '</w:t><w:br/><w:t xml:space="preserve">'.join(lines)
                run = f'<w:r>{bold}<w:t xml:space="preserve">{body}</w:t></w:r>'
            cells.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{twips}" w:type="dxa"/>{merged}</w:tcPr>'
                f"<w:p><w:pPr><w:pStyle w:val={style_attr}/></w:pPr>{run}</w:p></w:tc>"
            )
        head = '<w:trPr><w:tblHeader w:val="true"/></w:trPr>' if header else ""
        self.table._tbl.append(parse_xml(f"<w:tr {nsdecls('w')}>{head}{''.join(cells)}</w:tr>"))


def docx_text(value: Any) -> str:
    """A cell's text: nothing for None, a date (a moment: its local date) as 2014-06-30, else ``str``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localdate(value)
    if isinstance(value, date):
        return value.isoformat()
    return xml_safe(str(value))


def date_label(day: date) -> str:
    """2014年3月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def period_label(start: date, end: date) -> str:
    """2014年3月1日—3月31日 (the year once when both ends share it)."""
    last = f"{end.month}月{end.day}日" if end.year == start.year else date_label(end)
    return f"{date_label(start)}—{last}"


def save(document: Document) -> bytes:
    """The document's file."""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
