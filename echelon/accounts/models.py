from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from echelon.accounts.roles import GRANTABLE_BY_OFFICE, Role, roles_with
from echelon.core.actors import Actor, is_person
from echelon.core.querysets import provided_paths, scope_paths
from echelon.core.tree import collapse, subtree_q


class UserQuerySet(models.QuerySet["User"]):
    def managed_by(self, actor: Actor) -> UserQuerySet:
        """Users ``actor`` manages (ADR 11: "manages" means fully contains): the user holds at least one
        grant, every grant lies inside the actor's ``manage_users`` subtrees, none carries a role an office
        may not hand out, and the user is neither a superuser nor staff. Nobody manages themself.
        Superusers manage everyone."""
        paths = scope_paths(actor, "manage_users")
        if paths is None:
            return self.all()
        if not paths or not is_person(actor):  # a scope with paths is always a person's
            return self.none()
        inside = subtree_q("unit__path", paths)
        grants = Grant.objects.all()
        return (
            self.filter(pk__in=grants.filter(inside).values("user_id"), is_superuser=False, is_staff=False)
            .exclude(pk__in=grants.exclude(inside).values("user_id"))
            .exclude(pk__in=grants.exclude(role__in=GRANTABLE_BY_OFFICE).values("user_id"))
            .exclude(pk=actor.pk)
        )


class EchelonUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person. What they may see and do comes only from their grants."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)

    objects = EchelonUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def scope_paths(self, action: str) -> list[str] | None:
        """Paths of the subtrees where `action` is allowed; None means everywhere (superuser)."""
        if self.is_superuser:
            return None
        cache: dict[str, list[str]] = self.__dict__.setdefault("_scope_cache", {})
        if action not in cache:
            paths = Grant.objects.filter(
                user=self, role__in=roles_with(action), unit__is_active=True
            ).values_list("unit__path", flat=True)
            cache[action] = collapse([*paths, *provided_paths(self, action)])
        return cache[action]

    def forget_scope(self) -> None:
        self.__dict__.pop("_scope_cache", None)


class Grant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants", verbose_name=_("用户"))
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="grants", verbose_name=_("组织")
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("授权人")
    )

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="grant_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="grant_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


def user_of(actor: Actor) -> User | None:
    """The signed-in user behind ``actor``, for the columns that say who did something (``created_by``);
    None for the system and for an anonymous visitor."""
    return actor if isinstance(actor, User) else None


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)

    def visible_to(self, user: User, action: str = "view") -> ApiTokenQuerySet:
        """A user's own tokens, plus the tokens of the users they manage (``User.objects.managed_by``)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(models.Q(user=user) | models.Q(user__in=User.objects.managed_by(user)))


class ApiToken(models.Model):
    """A machine's credential. Only a hash of the key is stored; the key is shown once, when issued."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户")
    )
    name = models.CharField(_("用途"), max_length=100, blank=True)
    prefix = models.CharField(_("前缀"), max_length=8, db_index=True)
    key_hash = models.CharField(_("摘要"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
