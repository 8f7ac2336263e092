"""The Django admin: superusers only, and every change it makes goes to the audit trail.

The admin writes to the database without the domain services, so it is a repair tool for superusers and
nothing more. Two rules make it safe to keep:

* `EchelonAdminSite.has_permission` (and its login form) require an active superuser: `is_staff` alone opens
  nothing.
* Every ModelAdmin on the site is an `AuditedModelAdmin`: the site wraps whatever is registered (ours and
  third-party ones: auth's groups, axes, django_tasks_db), so Django's own `log_addition` / `log_change` /
  `log_deletions` also write an audit event `admin.add` / `admin.change` / `admin.delete` in the same
  transaction as the change, with the change message, the changed fields and the object's unit path.

This module is imported while the app registry is still loading (`EchelonAdminConfig` is in
INSTALLED_APPS): nothing here may import models at module level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import router, transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from echelon.core import verbs

if TYPE_CHECKING:
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.forms import AuthenticationForm
    from django.forms import BaseFormSet, Form
    from django.http import HttpRequest, HttpResponse

    # The stubs' ModelAdmin is generic over the model; Django's is not subscriptable. Any model: the site
    # wraps whatever is registered.
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin

REDACTED = "***"


def _plain(value: Any) -> Any:
    """A form value as something the audit's JSON can hold (objects by primary key)."""
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, QuerySet):
        return sorted(obj.pk for obj in value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Mapping | list | tuple | set):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _is_secret(field: str) -> bool:
    return "password" in field


def object_unit(obj: Any) -> tuple[int | None, str]:
    """The unit an object belongs to: its own `path` (a unit), its `unit_path`, or its `unit`'s path."""
    from echelon.core.tree import ancestor_ids

    path = getattr(obj, "path", None) or getattr(obj, "unit_path", None)
    if not path:
        unit = getattr(obj, "unit", None)
        path = getattr(unit, "path", "") if unit is not None else ""
    if not isinstance(path, str) or not path:
        return None, ""
    try:
        return ancestor_ids(path)[-1], path
    except ValueError:
        return None, path


class AuditedModelAdmin(_ModelAdmin):
    """Django's admin log, plus one audit event per added, changed or deleted object."""

    def audit_unit(self, obj: Any) -> tuple[int | None, str]:
        return object_unit(obj)

    def audit_extra(self, request: Any, obj: Any) -> dict[str, Any]:
        """More facts for the event's `after` (subclasses: e.g. API tokens revoked)."""
        return {}

    def _audit(self, request: Any, obj: Any, *, verb: str, message: Any = "") -> None:
        from echelon.core import audit

        unit_id, unit_path = self.audit_unit(obj)
        before, after = getattr(request, "_echelon_admin_diff", {}).get(id(obj), ({}, {}))
        after = {**after, "message": message, **self.audit_extra(request, obj)}
        with transaction.atomic(using=router.db_for_write(type(obj))):
            audit.record(
                actor=request.user,
                verb=verb,
                obj=obj,
                unit_id=unit_id,
                unit_path=unit_path,
                before=before or None,
                after=after,
            )

    def construct_change_message(
        self, request: HttpRequest, form: Form, formsets: Iterable[BaseFormSet[Any]], add: bool = False
    ) -> list[dict[str, dict[str, list[str]]]]:
        """Keep the form's changed fields (old and new values, secrets blanked) for the audit event."""
        message = super().construct_change_message(request, form, formsets, add)
        instance = getattr(form, "instance", None) or getattr(form, "user", None)
        if instance is not None:
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            for field in form.changed_data:
                if _is_secret(field):
                    after[field] = REDACTED
                    continue
                if not add:
                    before[field] = _plain(form.initial.get(field))
                after[field] = _plain(form.cleaned_data.get(field))
            # Read back by _audit (log_addition / log_change), later in the same request.
            diffs = request.__dict__.setdefault("_echelon_admin_diff", {})
            diffs[id(instance)] = (before, after)
        return message

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> LogEntry:
        entry = super().log_addition(request, obj, message)
        self._audit(request, obj, verb=verbs.ADMIN_ADD, message=message)
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> LogEntry:
        entry = super().log_change(request, obj, message)
        self._audit(request, obj, verb=verbs.ADMIN_CHANGE, message=message)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> list[LogEntry] | LogEntry:
        # Called before the deletion, with the objects still in the database: record each of them.
        objects = list(queryset)  # a queryset keeps these rows: Django's log reads the same ones
        entries = super().log_deletions(request, queryset)
        for obj in objects:
            self._audit(request, obj, verb=verbs.ADMIN_DELETE, message=str(obj))
        return entries

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Bulk actions (delete selected, list_editable) log and change in one transaction."""
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().changelist_view(request, extra_context)


_login_form: type[AuthenticationForm] | None = None


def superuser_login_form() -> type[AuthenticationForm]:
    """The admin's login form, refusing anyone but an active superuser (built on first use: it needs the
    auth models)."""
    global _login_form
    if _login_form is None:
        from django.contrib.admin.forms import AdminAuthenticationForm
        from django.contrib.auth.forms import AuthenticationForm
        from django.core.exceptions import ValidationError

        class SuperuserAuthenticationForm(AdminAuthenticationForm):
            error_messages = {
                **AdminAuthenticationForm.error_messages,
                "invalid_login": _("请输入超级管理员的用户名和密码。"),
            }

            def confirm_login_allowed(self, user: Any) -> None:
                AuthenticationForm.confirm_login_allowed(self, user)  # active
                if not (user.is_active and user.is_superuser):
                    raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")

        _login_form = SuperuserAuthenticationForm
    return _login_form


# Chinese headings for the third-party apps and models the site lists (their own names are English and
# untranslated): by app label, and by app label and model name.
APP_NAMES = {
    "axes": _("登录防护"),
    "django_tasks_database": _("后台任务"),
}
MODEL_NAMES = {
    ("axes", "AccessAttempt"): _("登录尝试"),
    ("axes", "AccessFailureLog"): _("登录失败记录"),
    ("axes", "AccessLog"): _("登录日志"),
    ("django_tasks_database", "DBTaskResult"): _("任务结果"),
}


def name_third_party_apps() -> None:
    """The app's and the models' own names in Chinese too, so the breadcrumbs and titles of a model's pages
    (which read ``opts.app_config.verbose_name`` and ``opts.verbose_name_plural``) say 登录防护, not Axes.
    Only the live names change: the models' declared ``Meta`` (what migrations compare) stays as it is."""
    from django.apps import apps as registry

    for label, name in APP_NAMES.items():
        if label in registry.app_configs:
            registry.get_app_config(label).verbose_name = name
    for model in registry.get_models():
        model_name = MODEL_NAMES.get((model._meta.app_label, model._meta.object_name or ""))
        if model_name is not None:
            model._meta.verbose_name = model_name
            model._meta.verbose_name_plural = model_name


class EchelonAdminSite(admin.AdminSite):
    site_header = _("梯次 · 系统维护（仅超级管理员）")
    site_title = _("梯次系统维护")
    index_title = _("系统维护")

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        """The index, the sidebar and an app's page name third-party apps and models in Chinese."""
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            app["name"] = APP_NAMES.get(app["app_label"], app["name"])
            for model in app["models"]:
                model["name"] = MODEL_NAMES.get((app["app_label"], model["object_name"]), model["name"])
        return app_list

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        # Built here, not at import: it needs the auth models (the site is made once the apps are ready).
        self.login_form = superuser_login_form()
        name_third_party_apps()

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)

    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: type[admin.ModelAdmin[Any]] | None = None,
        **options: Any,
    ) -> None:
        """Every ModelAdmin registered here is audited, whoever registers it (third-party apps too)."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedModelAdmin):
            admin_class = type(
                admin_class.__name__, (AuditedModelAdmin, admin_class), {"__module__": admin_class.__module__}
            )
        return super().register(model_or_iterable, admin_class, **options)


class EchelonAdminConfig(AdminConfig):
    """`django.contrib.admin` with `EchelonAdminSite` as `admin.site` (see INSTALLED_APPS)."""

    default_site = "echelon.core.admin.EchelonAdminSite"
