"""Every error page is Chinese and looks like the product (issue 8, item 6): 400, 403, 404, 429, 500, CSRF."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse

from echelon.accounts.models import ApiToken
from echelon.core import todo
from echelon.core import views as core_views

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False  # the handlers only answer when DEBUG is off


def login(personas, name: str = "county_office") -> Client:
    client = Client()
    client.force_login(personas[name])
    return client


def assert_product_page(response, status: int, *texts: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f'data-status="{status}"' in html
    assert "/static/echelon/echelon.css" in html and "ech-navbar" in html  # the product's own look
    for text in texts:
        assert text in html, text
    return html


class TestNotFound:
    def test_a_missing_page(self, personas):
        html = assert_product_page(login(personas).get("/no/such/page/"), 404, "页面不存在")
        assert "Not Found" not in html and "The requested resource" not in html

    def test_a_missing_page_for_anyone(self, db):
        assert_product_page(Client().get("/no/such/page/"), 404, "页面不存在")

    def test_a_missing_object_does_not_name_the_model(self, personas):
        response = login(personas).get(reverse("supervision:review", args=[999999]))
        html = assert_product_page(response, 404, "页面不存在")
        assert "Review" not in html and "matches the given query" not in html

    def test_a_missing_api_route_answers_json(self, personas):
        response = login(personas).get("/api/v1/no-such-thing/")
        assert response.status_code == 404 and response.json() == {"detail": "未找到。"}


class TestForbidden:
    def test_our_own_message_is_shown(self, personas):
        response = login(personas, "village_secretary").get(reverse("audit:list"))
        assert_product_page(response, 403, "没有权限", "您没有查看审计记录的权限。")

    def test_a_message_in_english_is_not(self, rf_user):
        from django.core.exceptions import PermissionDenied

        response = core_views.permission_denied(rf_user, PermissionDenied("Forbidden by some library"))
        html = assert_product_page(response, 403, "您没有执行该操作的权限。")
        assert "Forbidden by some library" not in html


@pytest.fixture
def rf_user(personas):
    request = RequestFactory().get("/orgs/")
    request.user = personas["county_office"]
    return request


class TestCsrf:
    def test_a_post_without_the_token_gets_the_chinese_page_and_nothing_written(self, personas):
        client = Client(enforce_csrf_checks=True)
        client.force_login(personas["county_office"])
        response = client.post(reverse("accounts:tokens"), {"name": "新令牌"})
        html = assert_product_page(response, 403, "页面已过期", "没有写入任何数据")
        assert "CSRF verification failed" not in html and "Forbidden" not in html
        assert not ApiToken.objects.exists()
        # the same post with the token goes through (so the refusal above was the CSRF check)
        page = client.get(reverse("accounts:tokens"))
        token = page.context["csrf_token"]
        ok = client.post(reverse("accounts:tokens"), {"name": "新令牌", "csrfmiddlewaretoken": str(token)})
        assert ok.status_code == 200 and ApiToken.objects.count() == 1

    def test_the_login_form_too(self, db):
        client = Client(enforce_csrf_checks=True)
        response = client.post(reverse("accounts:login"), {"username": "x", "password": "y"})
        assert_product_page(response, 403, "页面已过期")


class TestBadRequest:
    def test_a_host_not_allowed(self, db):
        response = Client(HTTP_HOST="evil.example").get(reverse("accounts:login"))
        html = assert_product_page(response, 400, "请求有误")
        assert "Bad Request" not in html

    def test_under_the_api_it_is_json(self, db):
        response = Client(HTTP_HOST="evil.example").get("/api/v1/units/")
        assert response.status_code == 400 and response.json() == {"detail": "请求有误。"}


class TestServerError:
    def test_the_handler_is_ours_and_needs_no_database(self, django_assert_num_queries):
        handler = get_resolver().resolve_error_handler(500)
        assert handler is core_views.server_error
        request = RequestFactory().get("/orgs/")
        request.request_id = "abc123"  # type: ignore[attr-defined]
        with django_assert_num_queries(0):
            response = handler(request)
        assert response.status_code == 500
        html = response.content.decode()
        assert "系统出错" in html and "abc123" in html and "/static/echelon/echelon.css" in html
        assert "Server Error" not in html

    def test_a_view_that_fails(self, personas, monkeypatch):
        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(todo, "sections", broken)  # the home page lists the user's work
        client = login(personas)
        client.raise_request_exception = False
        response = client.get("/")
        assert response.status_code == 500
        html = response.content.decode()
        assert "系统出错" in html and response["X-Request-ID"] in html and "boom" not in html
        assert "/static/echelon/echelon.css" in html

    def test_under_the_api_it_is_json(self, personas, monkeypatch):
        from echelon.accounts.api import views as account_api

        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(account_api, "MeSerializer", broken)
        client = login(personas)
        client.raise_request_exception = False
        response = client.get("/api/v1/me/")
        assert response.status_code == 500
        assert response.json() == {"detail": "系统出错，请稍后重试。", "request_id": response["X-Request-ID"]}


class TestTooManyRequests:
    def test_page(self, rf_user):
        response = core_views.too_many_requests(rf_user, retry_after=30)
        assert_product_page(response, 429, "操作过于频繁", "请在 30 秒后重试。")
        assert response["Retry-After"] == "30"

    def test_api(self, personas):
        request = RequestFactory().post("/api/v1/tokens/")
        response = core_views.too_many_requests(request, retry_after=5)
        assert response.status_code == 429 and response["Retry-After"] == "5"
        assert json.loads(response.content) == {"detail": "请求过于频繁，请稍后再试。"}
