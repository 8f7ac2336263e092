from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "echelon.accounts"
    label = "accounts"
    verbose_name = _("账号与权限")

    def ready(self) -> None:
        from echelon.accounts import signals  # noqa: F401
        from echelon.core import navigation as nav

        nav.register(
            "users",
            _("用户与授权"),
            "bi-people",
            "accounts:users",
            section="user",
            order=30,
            visible=nav.allowed_somewhere("manage_users"),
        )
        nav.register("tokens", _("API 令牌"), "bi-plug", "accounts:tokens", section="user", order=50)
        nav.register(
            "password", _("修改密码"), "bi-key", "accounts:password_change", section="user", order=60
        )
        nav.register(
            "logout",
            _("退出登录"),
            "bi-box-arrow-right",
            "accounts:logout",
            section="user",
            order=90,
            method="post",
        )
