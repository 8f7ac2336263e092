"""Login, password, users and grants (offices manage their own subtree), API tokens."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from echelon.accounts import services
from echelon.accounts.forms import GrantForm, PasswordResetForm, TokenForm, UserCreateForm, UserImportForm
from echelon.accounts.imports import COLUMNS, import_users
from echelon.accounts.models import ApiToken, Grant, User
from echelon.accounts.roles import ROLE_ACTIONS, Role
from echelon.accounts.selectors import grants_visible_to, managed_users
from echelon.core import paging
from echelon.core.querysets import scope_paths
from echelon.core.tabular import UploadError
from echelon.orgs.models import Unit


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """After a password change the session ends everywhere, this one included: log in again."""

    template_name = "accounts/password_change.html"

    def form_valid(self, form):
        with transaction.atomic():  # the new password, its tokens revoked and the audit event: all or none
            form.save()
            services.password_changed(user=form.user)
        logout(self.request)
        messages.success(self.request, _("密码已修改，请用新密码重新登录。"))
        return redirect("accounts:login")


def _require_office(request: HttpRequest) -> None:
    if scope_paths(request.user, "manage_users") == []:
        raise PermissionDenied(_("您没有管理用户的权限。"))


def _unit_by_code(user: User, code: str, action: str = "manage_users") -> Unit | None:
    return Unit.objects.visible_to(user, action).filter(code=code.strip(), is_active=True).first()


def user_list(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    q = request.GET.get("q", "").strip()
    users = managed_users(request.user).order_by("username")
    if q:
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    page = paging.get_page(Paginator(users, 50), request)
    grants: dict[int, list[Grant]] = {}
    for g in grants_visible_to(request.user).filter(user__in=[u.pk for u in page]):
        grants.setdefault(g.user_id, []).append(g)
    rows = [(u, grants.get(u.pk, [])) for u in page]
    return render(request, "accounts/user_list.html", {"page": page, "rows": rows, "q": q})


def user_create(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = _unit_by_code(request.user, data["unit_code"])  # type: ignore[arg-type]
        if unit is None:
            form.add_error("unit_code", _("组织不存在，或不在您的管理范围内。"))
        else:
            try:
                user = services.user_add(
                    actor=request.user,
                    username=data["username"],
                    password=data["password"],
                    display_name=data["display_name"],
                    unit=unit,
                    role=data["role"],
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已创建用户“%(name)s”。") % {"name": user.username})
                return redirect("accounts:user_detail", user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_office(request)
    target = get_object_or_404(managed_users(request.user), pk=pk)
    grant_form = GrantForm(request.POST or None) if request.POST.get("form") == "grant" else GrantForm()
    reset_form = (
        PasswordResetForm(request.POST or None)
        if request.POST.get("form") == "reset"
        else PasswordResetForm()
    )
    if request.method == "POST":
        try:
            if request.POST.get("form") == "grant" and grant_form.is_valid():
                unit = _unit_by_code(request.user, grant_form.cleaned_data["unit_code"])  # type: ignore[arg-type]
                if unit is None:
                    grant_form.add_error("unit_code", _("组织不存在，或不在您的管理范围内。"))
                else:
                    services.grant_add(
                        actor=request.user, user=target, unit=unit, role=grant_form.cleaned_data["role"]
                    )
                    messages.success(request, _("已授权。"))
                    return redirect("accounts:user_detail", target.pk)
            elif request.POST.get("form") == "reset" and reset_form.is_valid():
                services.user_set_password(
                    actor=request.user, user=target, password=reset_form.cleaned_data["password"]
                )
                messages.success(request, _("密码已重置，该用户的全部会话已结束。"))
                return redirect("accounts:user_detail", target.pk)
            elif request.POST.get("form") == "active":
                services.user_set_active(
                    actor=request.user, user=target, active=request.POST.get("active") == "1"
                )
                return redirect("accounts:user_detail", target.pk)
        except ValidationError as exc:
            (grant_form if request.POST.get("form") == "grant" else reset_form).add_error(
                None, " ".join(exc.messages)
            )
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    grants = grants_visible_to(request.user).filter(user=target).order_by("unit__path")
    tokens = ApiToken.objects.filter(user=target)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "grants": grants,
            "grant_form": grant_form,
            "reset_form": reset_form,
            "tokens": tokens,
        },
    )


@require_POST
def grant_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _require_office(request)
    grant = get_object_or_404(grants_visible_to(request.user), pk=pk)
    try:
        services.grant_remove(actor=request.user, grant=grant)
        messages.success(request, _("已撤销授权。"))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("accounts:user_detail", grant.user_id)


def user_import(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    form = UserImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_users(actor=request.user, fileobj=upload.file, name=upload.name)
        except UploadError as exc:
            form.add_error("file", str(exc))
        else:
            if result.ok:
                messages.success(
                    request,
                    _("导入完成：新建用户 %(c)d 个，授权 %(g)d 项。")
                    % {"c": result.created, "g": result.granted},
                )
                return redirect("accounts:users")
    return render(
        request, "accounts/user_import.html", {"form": form, "result": result, "columns": list(COLUMNS)}
    )


def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        user = cast(User, request.user)  # the view requires a login
        _, new_key = services.token_issue(actor=user, user=user, name=form.cleaned_data["name"])
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)  # type: ignore[misc]
    return render(request, "accounts/token_list.html", {"tokens": tokens, "form": form, "new_key": new_key})


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)  # type: ignore[arg-type]
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("令牌已吊销。"))
    back = request.POST.get("next", "")
    return redirect(
        back if back.startswith("/") and not back.startswith("//") else reverse("accounts:tokens")
    )


def roles_help(request: HttpRequest) -> HttpResponse:
    rows = [(Role(r).label, r, sorted(actions)) for r, actions in ROLE_ACTIONS.items()]
    return render(request, "accounts/roles.html", {"rows": rows})
