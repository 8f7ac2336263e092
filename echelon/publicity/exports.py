"""The 公示 notice as a Word file for notice boards (公示栏), in the official-document layout of
``core.docx``: the title, the unit and the kind, the period, the frozen copy (promises as numbered lines,
problems and results as tables), the way to raise an objection, the unit's QR code and the signature."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _

from echelon.orgs.models import Unit
from echelon.publicity.selectors import PublicItem

TEXT_WIDTH = 156  # mm between the official page's margins

TASK_STATES = {"verified": "已完成", "claimed": "待验收", "deferred": "暂不能解决"}


def _progress(tasks: list[dict[str, Any]]) -> str:
    lines = []
    for t in tasks:
        state = TASK_STATES.get(t["status"]) or _("限 %(d)s 前完成") % {"d": t["deadline"]}
        lines.append(f"{t['measure']}（{_(state)}）")
    return "\n".join(lines)


def notice_docx(unit: Unit, item: PublicItem, url: str) -> bytes:
    import segno
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    from echelon.core.docx import Table, date_label, describe, official_setup, save
    from echelon.core.text import xml_safe

    document = Document()
    st = official_setup(document, "公示")
    describe(document, item.title, author=unit.name)

    def para(text: str, style: Any = None) -> Any:
        return document.add_paragraph(xml_safe(text), style=style or st["body"])

    para(_("公示"), st["title"])
    para(f"{unit.name}{item.kind_label}", st["title"])
    period = para(
        _("公示期：%(a)s 至 %(b)s") % {"a": date_label(item.starts_on), "b": date_label(item.ends_on)},
        st["table"],
    )
    period.alignment = WD_ALIGN_PARAGRAPH.CENTER
    snapshot = item.snapshot
    counts = snapshot.get("counts") or {}
    if item.kind == "promises":
        for n, text in enumerate(snapshot.get("items", []), start=1):
            para(f"{n}. {text}")
    elif item.kind == "problems":
        para(
            _("共查摆问题 %(n)s 个，已整改销号 %(d)s 个；整改措施 %(t)s 项，已完成 %(td)s 项。")
            % {
                "n": counts.get("problems", 0),
                "d": counts.get("done", 0),
                "t": counts.get("tasks", 0),
                "td": counts.get("tasks_done", 0),
            }
        )
        table = Table(
            document,
            ["序号", "问题", "类别", "整改措施及进展", "状态"],
            (12, 48, 22, 52, 22),
            body=st["table"],
            head=st["table"],
        )
        for n, p in enumerate(snapshot.get("items", []), start=1):
            state = _("已整改") if p["status"] == "done" else _("整改中")
            table.add([n, p["title"], p["category"], _progress(p.get("tasks", [])), state])
    elif item.kind == "results":
        para(
            _("共查摆问题 %(n)s 个，已整改销号 %(d)s 个。")
            % {"n": counts.get("problems", 0), "d": counts.get("done", 0)}
        )
        table = Table(
            document,
            ["序号", "问题", "销号日期", "整改结果"],
            (12, 52, 26, 66),
            body=st["table"],
            head=st["table"],
        )
        for n, p in enumerate(snapshot.get("items", []), start=1):
            table.add([n, p["title"], p.get("done_on") or "", "\n".join(p.get("results", []))])
    else:  # a kind another app added: its copy's lines as they are
        for key, value in snapshot.items():
            para(f"{key}：{value}")
    para(_("公示期间，对公示内容有意见，请扫码反映，或向上级党组织反映。"))
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=8, border=4)
    png.seek(0)
    document.add_picture(png, width=Mm(30))
    para(url.split("://", 1)[-1], st["table"])
    for text in (unit.name, date_label(item.starts_on)):
        sign = para(text, st["table"])
        sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return save(document)


__all__ = ["notice_docx"]
