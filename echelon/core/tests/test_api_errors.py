"""API errors are Chinese and never name a model (issue 8, item 6): ``echelon.core.api.exceptions``."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from echelon.accounts.models import ApiToken, User
from echelon.core.errors import Conflict

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(personas) -> APIClient:
    client = APIClient()
    client.force_login(personas["county_office"])
    return client


class TestThroughTheRealApi:
    def test_a_missing_review_says_not_found_without_the_model(self, api):
        response = api.get("/api/v1/supervision/reviews/999999/")
        assert response.status_code == 404
        assert response.json() == {"detail": "未找到。"}
        assert "Review" not in response.content.decode()

    def test_anonymous(self, db):
        response = APIClient().get("/api/v1/units/")
        assert response.status_code == 401 and response.json() == {"detail": "身份认证信息未提供。"}

    def test_a_bad_token(self, db):
        response = APIClient().get("/api/v1/units/", HTTP_AUTHORIZATION="Token nope")
        assert response.status_code == 401 and response.json() == {"detail": "令牌无效或已吊销。"}

    def test_a_service_refusal_is_a_400_in_chinese(self, api):
        """``accounts.services.user_add`` refuses a taken username with a ``ValidationError``; the view has no
        try/except: the exception handler answers for it, and nothing is written."""
        users = User.objects.count()
        response = api.post(
            "/api/v1/users/",
            {
                "username": "village_secretary",
                "password": "A-long-pass-2014",
                "unit_code": "150125100201",
                "role": "operator",
            },
            format="json",
        )
        assert response.status_code == 400
        assert response.json() == {"detail": ["用户名“village_secretary”已存在。"]}
        assert User.objects.count() == users

    def test_method_not_allowed(self, api):
        response = api.delete("/api/v1/units/")
        assert response.status_code == 405 and response.json() == {"detail": "方法 “DELETE” 不被允许。"}

    def test_unparsable_json(self, api):
        response = api.post("/api/v1/tokens/", "{not json", content_type="application/json")
        assert response.status_code == 400 and response.json() == {"detail": "请求内容不是有效的 JSON。"}
        assert not ApiToken.objects.exists()

    def test_unsupported_media_type(self, api):
        response = api.post("/api/v1/tokens/", "name=x", content_type="text/plain")
        assert response.status_code == 415 and "不支持请求中的媒体类型" in response.json()["detail"]

    def test_a_session_without_the_csrf_token(self, personas):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(personas["county_office"])
        response = client.post("/api/v1/tokens/", {"name": "x"}, format="json")
        assert response.status_code == 403
        assert (
            response.json()["detail"].startswith("CSRF 校验失败")
            and "Failed" not in response.json()["detail"]
        )
        assert not ApiToken.objects.exists()

    def test_field_errors_of_serializers(self, api):
        response = api.post("/api/v1/users/", {"username": ""}, format="json")
        assert response.status_code == 400
        assert response.json()["username"] == ["该字段不能为空。"]

    def test_a_service_refusal_caught_by_the_view_still_comes_through(self, api, personas, tree):
        data = {
            "username": "county_office",  # taken
            "display_name": "重复",
            "password": "Long-enough-2014",
            "unit_code": tree.village.code,
            "role": "operator",
        }
        response = api.post("/api/v1/users/", data, format="json")
        assert response.status_code == 400
        assert response.json() == {"detail": ["用户名“county_office”已存在。"]}
        assert User.objects.filter(username="county_office").count() == 1


# Views that raise what services raise, without a try/except of their own: the handler answers for them.


def _raising(exc: Exception):
    class View(APIView):
        def get(self, request):
            raise exc

        def post(self, request):  # pragma: no cover - not reached
            return Response()

    return View.as_view()


urlpatterns = [
    path("api/v1/t/validation/", _raising(ValidationError(["名称不能为空。", "代码重复。"]))),
    path(
        "api/v1/t/fields/", _raising(ValidationError({"name": ["名称不能为空。"], "__all__": ["整体有误。"]}))
    ),
    path("api/v1/t/denied/", _raising(PermissionDenied("只有组织部门可以发布活动。"))),
    path("api/v1/t/denied-plain/", _raising(PermissionDenied())),
    path("api/v1/t/denied-english/", _raising(PermissionDenied("You shall not pass"))),
    path("api/v1/t/conflict/", _raising(Conflict("该提交已被其他人处理（通过）。"))),
    path("api/v1/t/missing/", _raising(Http404("No Review matches the given query."))),
    path("api/v1/t/does-not-exist/", _raising(User.DoesNotExist("User matching query does not exist."))),
]


@pytest.mark.urls(__name__)
class TestServiceExceptions:
    @pytest.mark.parametrize(
        ("url", "status", "body"),
        [
            ("validation", 400, {"detail": ["名称不能为空。", "代码重复。"]}),
            ("fields", 400, {"name": ["名称不能为空。"], "detail": ["整体有误。"]}),
            ("denied", 403, {"detail": "只有组织部门可以发布活动。"}),
            ("denied-plain", 403, {"detail": "您没有执行该操作的权限。"}),
            ("denied-english", 403, {"detail": "您没有执行该操作的权限。"}),
            ("conflict", 409, {"detail": ["该提交已被其他人处理（通过）。"]}),
            ("missing", 404, {"detail": "未找到。"}),
            ("does-not-exist", 404, {"detail": "未找到。"}),
        ],
    )
    def test_mapping(self, api, url, status, body):
        response = api.get(f"/api/v1/t/{url}/")
        assert response.status_code == status
        assert response.json() == body

    def test_conflict_is_a_validation_error_for_the_pages(self):
        assert issubclass(Conflict, ValidationError)
        assert Conflict("已被处理。").messages == ["已被处理。"]
