from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response

from echelon.accounts import services
from echelon.accounts.api import schema  # noqa: F401  (registers the token scheme)
from echelon.accounts.api.serializers import (
    GrantCreateSerializer,
    GrantSerializer,
    MeSerializer,
    TokenCreateSerializer,
    TokenIssuedSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserSerializer,
)
from echelon.accounts.models import ApiToken, User
from echelon.accounts.selectors import grants_visible_to, managed_users
from echelon.core.api.base import ScopedViewSetMixin
from echelon.core.permissions import require_somewhere
from echelon.core.querysets import scoped_object
from echelon.orgs.models import Unit


def _unit(user: User, code: str) -> Unit:
    return scoped_object(
        user,
        Unit.objects,
        "manage_users",
        code=code,
        otherwise=exceptions.ValidationError({"unit_code": ["组织不存在，或不在您的管理范围内。"]}),
    )


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request: Request) -> Response:
    """Who the caller is and what they were granted."""
    user = request.user
    grants = user.grants.select_related("unit")  # type: ignore[union-attr]
    return Response(
        MeSerializer(
            {
                "username": user.get_username(),
                "display_name": getattr(user, "display_name", ""),
                "is_superuser": user.is_superuser,
                "grants": grants,
            }
        ).data
    )


class UserViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Users an office manages (holding a grant in its subtree). Create = user + first grant."""

    serializer_class = UserSerializer

    def get_queryset(self):
        # Scoped by the one rule for users (ADR 11: an office manages a user whose every grant it contains);
        # only the grants inside the caller's subtree are shown (a managed user has no others anyway).
        in_scope = Prefetch("grants", queryset=grants_visible_to(self.request.user).order_by("unit__path"))
        return managed_users(self.request.user).prefetch_related(in_scope).order_by("username")

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        require_somewhere(request.user, "manage_users", _("您没有管理用户的权限。"))
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        unit = _unit(request.user, v["unit_code"])  # type: ignore[arg-type]
        user = services.user_add(
            actor=request.user,
            username=v["username"],
            password=v["password"],
            display_name=v.get("display_name", ""),
            unit=unit,
            role=v["role"],
        )
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class GrantViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Grants inside the caller's manage_users scope."""

    serializer_class = GrantSerializer

    def get_queryset(self):
        # Scoped on the granted unit's path, with the manage_users action (not the user's own path).
        return grants_visible_to(self.request.user).order_by("unit__path", "user__username")

    @extend_schema(request=GrantCreateSerializer, responses={201: GrantSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        require_somewhere(request.user, "manage_users", _("您没有管理用户的权限。"))
        data = GrantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        target = get_object_or_404(managed_users(request.user), username=v["username"])
        unit = _unit(request.user, v["unit_code"])  # type: ignore[arg-type]
        grant = services.grant_add(actor=request.user, user=target, unit=unit, role=v["role"])
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance) -> None:
        services.grant_remove(actor=self.request.user, grant=instance)


class TokenViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The caller's tokens (and, for an office, those of the users it manages). Create issues one for the
    caller; the key is returned once."""

    queryset = ApiToken.objects.select_related("user")
    serializer_class = TokenSerializer

    @extend_schema(request=TokenCreateSerializer, responses={201: TokenIssuedSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = services.token_issue(
            actor=request.user,
            user=request.user,  # type: ignore[arg-type]
            name=data.validated_data.get("name", ""),
        )
        token.key = key  # type: ignore[attr-defined]
        return Response(TokenIssuedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        token = self.get_object()
        token = services.token_revoke(actor=request.user, token=token)
        return Response(TokenSerializer(token).data)
