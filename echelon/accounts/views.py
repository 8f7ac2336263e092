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
from echelon.accounts.roles import ROLE_ACTIONS, Action, Role
from echelon.accounts.selectors import grants_visible_to, managed_users
from echelon.core import paging
from echelon.core.actors import Actor
from echelon.core.pages import attempt
from echelon.core.querysets import scope_paths, scoped_object
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


def _unit_by_code(user: Actor, code: str) -> Unit:
    """A unit the user manages users in; otherwise a refusal on the form's ``unit_code`` (run it inside
    ``attempt``)."""
    return scoped_object(
        user,
        Unit.objects,
        "manage_users",
        code=code.strip(),
        is_active=True,
        otherwise=ValidationError({"unit_code": [_("组织不存在，或不在您的管理范围内。")]}),
    )


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
    form = UserCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = attempt(
            request,
            lambda: services.user_add(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                display_name=data["display_name"],
                unit=_unit_by_code(request.user, data["unit_code"]),
                role=data["role"],
            ),
            success=lambda user: _("已创建用户“%(name)s”。") % {"name": user.username},
            form=form,
        )
        if done.value is not None:
            return redirect("accounts:user_detail", done.value.pk)
    return render(request, "accounts/user_form.html", {"form": form})


def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_office(request)
    target = get_object_or_404(managed_users(request.user), pk=pk)
    grant_form = (
        GrantForm(request.POST or None, user=request.user)
        if request.POST.get("form") == "grant"
        else GrantForm(user=request.user)
    )
    reset_form = (
        PasswordResetForm(request.POST or None)
        if request.POST.get("form") == "reset"
        else PasswordResetForm()
    )
    done = False  # a service ran and accepted: back to the page (post/redirect/get)
    if request.method == "POST":
        if request.POST.get("form") == "grant" and grant_form.is_valid():
            grant = grant_form.cleaned_data
            done = attempt(
                request,
                lambda: services.grant_add(
                    actor=request.user,
                    user=target,
                    unit=_unit_by_code(request.user, grant["unit_code"]),
                    role=grant["role"],
                ),
                success=_("已授权。"),
                form=grant_form,
            ).ok
        elif request.POST.get("form") == "reset" and reset_form.is_valid():
            done = attempt(
                request,
                lambda: services.user_set_password(
                    actor=request.user, user=target, password=reset_form.cleaned_data["password"]
                ),
                success=_("密码已重置，该用户的全部会话已结束。"),
                form=reset_form,
            ).ok
        elif request.POST.get("form") == "active":
            done = attempt(
                request,
                lambda: services.user_set_active(
                    actor=request.user, user=target, active=request.POST.get("active") == "1"
                ),
            ).ok
    if done:
        return redirect("accounts:user_detail", target.pk)
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
    attempt(
        request, lambda: services.grant_remove(actor=request.user, grant=grant), success=_("已撤销授权。")
    )
    return redirect("accounts:user_detail", grant.user_id)


def user_import(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    form = UserImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_users(actor=request.user, fileobj=upload.file, name=upload.name)
        except UploadError as exc:  # the file as a whole is refused (type, size): an error on its field
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
        issued = attempt(
            request,
            lambda: services.token_issue(actor=user, user=user, name=form.cleaned_data["name"]),
            form=form,
        ).value
        if issued is not None:
            new_key = issued[1]
            form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)  # type: ignore[misc]
    return render(request, "accounts/token_list.html", {"tokens": tokens, "form": form, "new_key": new_key})


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)  # type: ignore[arg-type]
    attempt(
        request, lambda: services.token_revoke(actor=request.user, token=token), success=_("令牌已吊销。")
    )
    back = request.POST.get("next", "")
    return redirect(
        back if back.startswith("/") and not back.startswith("//") else reverse("accounts:tokens")
    )


def roles_help(request: HttpRequest) -> HttpResponse:
    rows = [
        (Role(r).label, [a.label for a in Action if a.value in actions])
        for r, actions in ROLE_ACTIONS.items()
    ]
    return render(request, "accounts/roles.html", {"rows": rows})
