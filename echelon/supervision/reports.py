"""The supervision report (督导工作报告) of a group over a period, as a Word document in the official style.

Layout after the national standard for official documents (GB/T 9704): A4, margins 37/35/28/26 mm;
the title in a song-style display face (二号), first-level headings 一、二、三、 in 黑体 (三号),
body in 仿宋 (三号) with a two-character first-line indent and fixed 28-point line spacing.
The document defines its own named styles (督导报告标题, 督导报告一级标题, 督导报告正文,
督导报告表格) so a clerk can restyle the whole report at once. East Asian fonts are set per style,
and each font is registered in the font table with an alternative name (``w:altName``), so that
Word substitutes a face the machine has: 仿宋_GB2312 → 仿宋, 方正小标宋简体 → 宋体.
Latin text uses Times New Roman.
"""

from __future__ import annotations

import contextlib
import io
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from echelon.core.text import xml_safe
from echelon.supervision.selectors import ReportData

LATIN = "Times New Roman"
# (font, fallback the font table offers when the first is missing)
FONTS = {
    "title": ("方正小标宋简体", "宋体"),
    "heading": ("黑体", "SimHei"),
    "body": ("仿宋_GB2312", "仿宋"),
    "table": ("仿宋_GB2312", "仿宋"),
}
CN_NUMBERS = "一二三四五六七八九十"


def period_label(start: date, end: date) -> str:
    """2014年3月1日—3月31日 (the year once when both ends share it)."""
    first = f"{start.year}年{start.month}月{start.day}日"
    last = f"{end.month}月{end.day}日" if end.year == start.year else f"{end.year}年{end.month}月{end.day}日"
    return f"{first}—{last}"


def report_title(data: ReportData) -> str:
    return _("%(group)s督导工作报告（%(period)s）") % {
        "group": data.group.name,
        "period": period_label(data.start, data.end),
    }


def report_filename(data: ReportData) -> str:
    return f"{data.group.name}督导工作报告_{data.start:%Y%m%d}-{data.end:%Y%m%d}.docx"


def _set_fonts(style: Any, east_asian: str, size: float, bold: bool = False) -> None:
    font = style.font
    font.name = LATIN
    font.size = Pt(size)
    font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), LATIN)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def _register_fallbacks(document: Any) -> None:
    """Name each East Asian font in the font table with its fallback (``w:altName``)."""
    part = None
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            part = rel.target_part
            break
    if part is None:
        return
    from docx.oxml import parse_xml

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
        charset.set(qn("w:val"), "86")  # GB2312
        font.append(alt_name)
        font.append(charset)
        element.append(font)
    if not hasattr(part, "element"):
        from lxml import etree

        part._blob = etree.tostring(element, xml_declaration=True, encoding="UTF-8", standalone=True)


def _style(document: Any, name: str, base: str, kind: str, size: float, bold: bool = False) -> Any:
    styles = document.styles
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        with contextlib.suppress(KeyError):  # a template without the built-in style: stand alone
            style.base_style = styles[base]
    _set_fonts(style, FONTS[kind][0], size, bold)
    return style


def _setup(document: Any) -> dict[str, Any]:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    body = _style(document, "督导报告正文", "Normal", "body", 16)
    body.paragraph_format.first_line_indent = Pt(32)
    body.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    body.paragraph_format.line_spacing = Pt(28)
    body.paragraph_format.space_after = Pt(0)
    title = _style(document, "督导报告标题", "Title", "title", 22)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(24)
    heading = _style(document, "督导报告一级标题", "Heading 1", "heading", 16)
    heading.paragraph_format.first_line_indent = Pt(32)
    heading.paragraph_format.space_before = Pt(6)
    heading.paragraph_format.space_after = Pt(0)
    table = _style(document, "督导报告表格", "Normal", "table", 12)
    table.paragraph_format.first_line_indent = Pt(0)
    for style in (title, heading):  # the built-ins are coloured and underlined in some templates
        style.font.color.rgb = None
    _register_fallbacks(document)
    return {"body": body, "title": title, "heading": heading, "table": table}


def build_report(data: ReportData) -> bytes:
    document = Document()
    st = _setup(document)
    core = document.core_properties
    core.title = xml_safe(report_title(data))
    core.author = xml_safe(data.group.name)
    core.language = "zh-CN"

    def para(text: str, style: Any = None) -> Any:
        return document.add_paragraph(xml_safe(text), style=style or st["body"])  # stored text may hold \x0b

    def heading(n: int, text: str) -> None:
        para(f"{CN_NUMBERS[n]}、{text}", st["heading"])

    group = data.group
    para(report_title(data), st["title"])
    targets = len(data.targets)
    counts = "，".join(f"{label} {n} 次" for label, n in data.by_decision.items())

    heading(0, _("基本情况"))
    para(
        _(
            "%(home)s派出%(group)s，成员：%(members)s。本组负责督导 %(targets)d 个单位。"
            "%(period)s，共收到提交 %(subs)d 份，作出审核决定 %(decided)d 次（%(counts)s），"
            "目前尚有 %(open)d 份提交待审核，%(not_submitted)d 个单位尚未提交过审核。"
        )
        % {
            "home": group.home_unit.name,
            "group": group.name,
            "members": "、".join(data.members) or _("（未登记）"),
            "targets": targets,
            "period": period_label(data.start, data.end),
            "subs": data.submissions,
            "decided": sum(data.by_decision.values()),
            "counts": counts,
            "open": data.open_now,
            "not_submitted": data.not_submitted,
        }
    )
    if data.measures:
        para(_("坚持“不达目的不过关”，对以下单位作出打回、约谈或返工决定："))
        for i, m in enumerate(data.measures, 1):
            text = _("（%(i)d）%(unit)s“%(phase)s”：%(date)s %(decision)s。原因：%(reason)s") % {
                "i": i,
                "unit": m["unit"],
                "phase": m["phase"],
                "date": m["date"],
                "decision": m["decision"],
                "reason": m["reason"] or _("见审核意见"),
            }
            para(text + (f"；{m['extra']}。" if m["extra"] else "。"))
    else:
        para(_("本期没有打回、约谈或返工的情况。"))

    heading(1, _("发现的问题"))
    if data.problems:
        for i, p in enumerate(data.problems, 1):
            para(
                _("%(i)d. %(unit)s“%(phase)s”%(check)s未通过：%(comment)s")
                % {
                    "i": i,
                    "unit": p["unit"],
                    "phase": p["phase"],
                    "check": p["check"],
                    "comment": p["comment"] or _("（未填写意见）"),
                }
            )
    else:
        para(_("本期审核中未发现未通过的检查项。"))

    heading(2, _("下一步工作"))
    steps = []
    if data.open_now:
        steps.append(_("抓紧审核 %(n)d 份待审核的提交，不让提交积压超期。") % {"n": data.open_now})
    for a in data.awaiting:
        steps.append(
            _("督促%(unit)s按要求完成“%(phase)s”的整改（%(decision)s%(deadline)s），重新提交后逐项复核。")
            % {
                "unit": a["unit"],
                "phase": a["phase"],
                "decision": a["decision"],
                "deadline": _("，期限 %(d)s") % {"d": a["deadline"]} if a["deadline"] else "",
            }
        )
    if data.not_submitted:
        steps.append(
            _("对 %(n)d 个尚未提交审核的单位加强巡回督导，了解进度，帮助解决困难。")
            % {"n": data.not_submitted}
        )
    steps.append(_("继续坚持思想关、材料关、工作关逐项把关，防止走过场。"))
    for i, s in enumerate(steps, 1):
        para(f"{i}. {s}")

    para(_("附表：督导对象及当前环节"), st["heading"])
    table = document.add_table(rows=1, cols=5)
    with contextlib.suppress(KeyError):
        table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = [_("序号"), _("单位"), _("组织代码"), _("当前环节"), _("审核状态")]
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        cell.paragraphs[0].style = st["table"]
    for i, t in enumerate(data.targets, 1):
        cells = table.add_row().cells
        for cell, text in zip(cells, [str(i), t["unit"], t["code"], t["phase"], t["status"]], strict=True):
            cell.text = xml_safe(text)
            cell.paragraphs[0].style = st["table"]

    para("")
    sign = para(group.name, st["body"])
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    today = timezone.localdate()
    when = para(f"{today.year}年{today.month}月{today.day}日", st["body"])
    when.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
