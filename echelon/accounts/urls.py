from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from echelon.accounts import views
from echelon.accounts.api.lookup import UserLookupView
from echelon.core.api.base import page_endpoint

app_name = "accounts"

urlpatterns = [
    path("login/", login_not_required(views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/import/", views.user_import, name="user_import"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    # The people picker's type-ahead (core.widgets): the API's look-up, answered in JSON to the pages.
    path("users/lookup/", page_endpoint(UserLookupView), name="user_lookup"),
    path("grants/<int:pk>/remove/", views.grant_remove, name="grant_remove"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("roles/", views.roles_help, name="roles"),
]
