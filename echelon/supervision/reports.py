"""The supervision report (督导工作报告) of a group over a period, as a Word document in the official style.

The page, the faces and the named styles are the house style of ``core.docx`` (GB/T 9704): A4, the title
in a song-style display face (二号), first-level headings 一、二、三、 in 黑体 (三号), body in 仿宋 (三号)
with a two-character first-line indent and fixed 28-point line spacing. The document defines its own named
styles (督导报告标题, 督导报告一级标题, 督导报告正文, 督导报告表格) so a clerk can restyle the whole report
at once; each East Asian face is registered with its fallback (仿宋_GB2312 → 仿宋, 方正小标宋简体 → 宋体).
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH

from echelon.core.docx import date_label, describe, official_setup, period_label, save
from echelon.core.text import clause, xml_safe
from echelon.supervision.selectors import ReportData

CN_NUMBERS = "一二三四五六七八九十"


def report_title(data: ReportData) -> str:
    return _("%(group)s督导工作报告（%(period)s）") % {
        "group": data.group.name,
        "period": period_label(data.start, data.end),
    }


def report_filename(data: ReportData) -> str:
    return f"{data.group.name}督导工作报告_{data.start:%Y%m%d}-{data.end:%Y%m%d}.docx"


def build_report(data: ReportData) -> bytes:
    document = Document()
    st = official_setup(document, "督导报告")
    describe(document, report_title(data), author=data.group.name)

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
                "reason": clause(m["reason"]) or _("见审核意见"),
            }
            para(clause(text) + (f"；{clause(m['extra'])}。" if clause(m["extra"]) else "。"))
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
                    "comment": clause(p["comment"]) or _("（未填写意见）"),
                }
                + "。"
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
    when = para(date_label(timezone.localdate()), st["body"])
    when.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return save(document)
