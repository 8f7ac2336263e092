"""Audit events told in words (``{% for e in events|told %}``): a sentence for what happened, the unit's
name, and before/after as labelled readable values, in Chinese where the product has the words.

Generic: the verb's action (``<entity>.<action>``) gives the sentence's verb; the object type's model
(among the installed models, by its ``app_label.model`` label) gives the object's name and the fields'
labels and choices; anything unknown shows as stored. Values are only formatted, never evaluated.
Fast: the unit names of a page come in one query, through the lookup the app owning the tree registers
(as ``filters.unit_path``: core imports no domain app, ADR 13).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from echelon.core.models import AuditEvent
from echelon.core.text import CJK_RE

UnitNames = Callable[[Collection[int]], Mapping[int, str]]
_unit_names: list[UnitNames] = []

EMPTY = "—"
LONGEST = 200  # characters of one value (a long comment is cut, the event keeps it whole)

# The sentence's verb for the action part of ``<entity>.<action>`` (every action the apps' verbs use); one
# that names the object itself (``%(kind)s``, ``%(object)s``) is the whole sentence; "系统" words take none.
ACTIONS = {
    "activate": gettext_lazy("启用"),
    "add": gettext_lazy("添加"),
    "add_member": gettext_lazy("为%(kind)s“%(object)s”添加成员"),
    "apply": gettext_lazy("应用"),
    "approve": gettext_lazy("批准"),
    "accept": gettext_lazy("接收"),
    "backfill": gettext_lazy("补算"),
    "change": gettext_lazy("修改"),
    "claim": gettext_lazy("申请销号"),
    "close": gettext_lazy("关闭"),
    "confirm": gettext_lazy("确认完成"),
    "create": gettext_lazy("新建"),
    "deactivate": gettext_lazy("停用"),
    "defer": gettext_lazy("暂缓"),
    "delete": gettext_lazy("删除"),
    "digest": gettext_lazy("发送每日摘要"),
    "draft": gettext_lazy("起草"),
    "escalate": gettext_lazy("上报"),
    "evidence": gettext_lazy("上传佐证材料"),
    "export": gettext_lazy("导出"),
    "generate": gettext_lazy("生成"),
    "import": gettext_lazy("导入"),
    "interview": gettext_lazy("决定约谈"),
    "issue": gettext_lazy("签发"),
    "item_done": gettext_lazy("完成事项"),
    "item_reopen": gettext_lazy("重新打开事项"),
    "load": gettext_lazy("载入"),
    "lockout": gettext_lazy("锁定"),
    "login": gettext_lazy("登录系统"),
    "logout": gettext_lazy("退出系统"),
    "merge": gettext_lazy("合并"),
    "move": gettext_lazy("移动"),
    "notify": gettext_lazy("发出通知"),
    "offer": gettext_lazy("移交"),
    "override": gettext_lazy("调整"),
    "pass": gettext_lazy("审核通过"),
    "password_change": gettext_lazy("修改密码"),
    "password_reset": gettext_lazy("重置密码"),
    "publish": gettext_lazy("发布"),
    "read": gettext_lazy("标为已读"),
    "record": gettext_lazy("登记"),
    "redo": gettext_lazy("要求返工"),
    "refresh": gettext_lazy("刷新"),
    "remove": gettext_lazy("移除"),
    "remove_member": gettext_lazy("从%(kind)s“%(object)s”移除成员"),
    "reopen": gettext_lazy("重新打开"),
    "reply": gettext_lazy("答复"),
    "return": gettext_lazy("退回"),
    "revoke": gettext_lazy("吊销"),
    "schedule": gettext_lazy("排程"),
    "seed": gettext_lazy("生成"),
    "simulate": gettext_lazy("模拟生成"),
    "submit": gettext_lazy("提交"),
    "take": gettext_lazy("生成"),
    "to_problem": gettext_lazy("转为问题"),
    "update": gettext_lazy("修改"),
    "upload": gettext_lazy("上传"),
    "verify": gettext_lazy("验收"),
    "withdraw": gettext_lazy("撤回"),
}

# Labels of keys that are no model field (summaries services write), used when the model has none.
KEYS = {
    "batch": gettext_lazy("批次"),
    "campaign": gettext_lazy("活动"),
    "count": gettext_lazy("数量"),
    "counts": gettext_lazy("数量"),
    "day": gettext_lazy("日期"),
    "deadline": gettext_lazy("期限"),
    "member": gettext_lazy("成员"),
    "members": gettext_lazy("成员"),
    "name": gettext_lazy("名称"),
    "note": gettext_lazy("说明"),
    "phase": gettext_lazy("环节"),
    "reason": gettext_lazy("理由"),
    "role": gettext_lazy("角色"),
    "rows": gettext_lazy("行数"),
    "state": gettext_lazy("状态"),
    "status": gettext_lazy("状态"),
    "today": gettext_lazy("日期"),
    "unit": gettext_lazy("组织"),
    "units": gettext_lazy("组织数"),
    "user": gettext_lazy("用户"),
    "username": gettext_lazy("用户名"),
}


def register_unit_names(lookup: UnitNames) -> UnitNames:
    """Let the app that owns the unit tree (orgs, in its ``ready()``) name units by id, many at once."""
    _unit_names[:] = [lookup]
    return lookup


@dataclass(frozen=True)
class Told:
    event: AuditEvent
    sentence: str
    unit: str
    before: list[tuple[str, str]]
    after: list[tuple[str, str]]

    @property
    def at(self) -> datetime:
        return self.event.at

    @property
    def who(self) -> str:
        e = self.event
        return _("系统") if e.actor_id is None and e.actor_name == "system" else e.actor_name


@cache
def _models() -> dict[str, type[models.Model]]:
    """Every installed model by its ``app_label.model`` label, the form ``AuditEvent.object_type`` stores
    (generic: no model is named here, ADR 13)."""
    return {model._meta.label_lower: model for model in apps.get_models()}


def _model(object_type: str) -> type[models.Model] | None:
    return _models().get(object_type.lower())


def _chinese(text: Any) -> str:
    text = str(text)
    return text if CJK_RE.search(text) else ""


def _field(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    for name in (key, key.removesuffix("_id")):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        return field if isinstance(field, models.Field) else None
    return None


def _label(model: type[models.Model] | None, key: str) -> str:
    field = _field(model, key)
    return (_chinese(field.verbose_name) if field is not None else "") or str(KEYS.get(key, key))


def _short(text: str) -> str:
    return text if len(text) <= LONGEST else text[: LONGEST - 1] + "…"


def _is_check(item: Any) -> bool:
    return isinstance(item, Mapping) and "passed" in item and ("name" in item or "key" in item)


def value_text(value: Any, field: models.Field[Any, Any] | None = None, depth: int = 0) -> str:
    """One stored value, readable: None and empty as "—", choices by their label, yes/no, gate checks
    as "思想关：通过；…", lists joined, mappings as "label：value"."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field is not None and field.choices and isinstance(value, str | int):
        labels = {str(k): str(v) for k, v in field.flatchoices}
        if str(value) in labels:
            return labels[str(value)]
    if isinstance(value, list):
        if all(_is_check(item) for item in value):
            return "；".join(
                f"{item.get('name') or item.get('key')}：{_('通过') if item['passed'] else _('未通过')}"
                for item in value
            )
        if depth > 1:
            return _("%(n)d 项") % {"n": len(value)}
        return "、".join(value_text(item, depth=depth + 1) for item in value)
    if isinstance(value, Mapping):
        if depth > 1:
            return _("%(n)d 项") % {"n": len(value)}
        return "；".join(f"{KEYS.get(k, k)}：{value_text(v, depth=depth + 1)}" for k, v in value.items())
    return _short(str(value))


def _pairs(model: type[models.Model] | None, data: Any) -> list[tuple[str, str]]:
    if data is None:
        return []
    if not isinstance(data, Mapping):
        return [("", value_text(data))]
    return [(_label(model, str(k)), value_text(v, _field(model, str(k)))) for k, v in data.items()]


def sentence(event: AuditEvent, model: type[models.Model] | None = None) -> str:
    """ "新建督导组“黄旗镇指导员”": the verb's action, the object's kind and name; the verb as stored
    when its action has no words."""
    action = ACTIONS.get(event.verb.partition(".")[2])
    if action is None:
        return f"{event.verb} {event.object_repr}".strip()
    kind = _chinese(model._meta.verbose_name) if model is not None else ""
    words = str(action)
    if "%(" in words:
        return words % {"kind": kind, "object": event.object_repr}
    if words.endswith("系统"):
        return words
    if not event.object_repr:
        return f"{words}{kind}"
    return _("%(action)s%(kind)s“%(object)s”") % {"action": words, "kind": kind, "object": event.object_repr}


def told(events: Iterable[AuditEvent]) -> list[Told]:
    events = list(events)
    ids = {e.unit_id for e in events if e.unit_id is not None}
    names = _unit_names[0](ids) if ids and _unit_names else {}
    out = []
    for e in events:
        model = _model(e.object_type) if e.object_type else None
        out.append(
            Told(
                event=e,
                sentence=sentence(e, model),
                unit=names.get(e.unit_id, "") if e.unit_id is not None else "",
                before=_pairs(model, e.before),
                after=_pairs(model, e.after),
            )
        )
    return out
