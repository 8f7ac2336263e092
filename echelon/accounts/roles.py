"""Roles are named sets of actions.

A grant (user, unit, role) allows the role's actions in the unit's subtree.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICE = "office", _("领导小组办公室")
    SUPERVISOR = "supervisor", _("督导组")
    OPERATOR = "operator", _("联络员/书记")
    LEADER = "leader", _("联系点领导")
    ADMIN = "admin", _("系统管理员")


class Action(models.TextChoices):
    VIEW = "view", _("查看")
    CHANGE = "change", _("修改组织与党员")
    IMPORT = "import", _("导入")
    EXPORT = "export", _("导出")
    MANAGE_USERS = "manage_users", _("管理用户与授权")
    AUDIT = "audit", _("查看审计记录")
    REVIEW = "review", _("督导审核")
    ATTEND = "attend", _("出席记录")
    PLAN = "plan", _("部署活动（创建、排程、发布）")
    DISPATCH = "dispatch", _("派出督导组、确定联系点")
    VERIFY = "verify", _("验收整改（销号）")


# The rule table of ADR 11: who may do what inside a granted subtree.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.OFFICE: frozenset(
        {"view", "change", "import", "export", "manage_users", "audit", "plan", "dispatch", "verify"}
    ),
    Role.SUPERVISOR: frozenset({"view", "export", "review", "verify"}),
    Role.OPERATOR: frozenset({"view", "change", "import", "export"}),
    Role.LEADER: frozenset({"view", "attend"}),
    Role.ADMIN: frozenset(Action.values),
}

# The roles an office may hand out, and so the roles a user may hold to be managed by one (never admin).
GRANTABLE_BY_OFFICE = frozenset({Role.OFFICE, Role.SUPERVISOR, Role.OPERATOR, Role.LEADER})


def roles_with(action: str) -> list[str]:
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]
