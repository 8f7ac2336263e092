from django.contrib import admin
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from echelon.core import health, metrics
from echelon.core import views as core_views
from echelon.core.urls import audit_urlpatterns, notification_urlpatterns

urlpatterns = [
    path("", core_views.home, name="home"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/", include("echelon.accounts.urls")),
    path("orgs/", include("echelon.orgs.urls")),
    path("campaigns/", include("echelon.campaigns.urls")),
    path("supervision/", include("echelon.supervision.urls")),
    path("ledger/", include("echelon.ledger.urls")),
    path("appraisal/", include("echelon.appraisal.urls")),
    path("dashboard/", include("echelon.dashboards.urls")),
    path("cases/", include("echelon.cases.urls")),
    path("evaluation/", include("echelon.evaluation.urls")),
    path("p/ballot/", include("echelon.evaluation.public_urls")),
    path("publicity/", include("echelon.publicity.urls")),
    path("p/", include("echelon.publicity.public_urls")),
    path("p/", include("echelon.ledger.public_urls")),
    path("jobs/", include("echelon.core.urls")),
    path("audit/", include(audit_urlpatterns)),
    path("notifications/", include(notification_urlpatterns)),
    path("api/v1/", include("echelon.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
]

handler400 = "echelon.core.views.bad_request"
handler403 = "echelon.core.views.permission_denied"
handler404 = "echelon.core.views.page_not_found"
handler500 = "echelon.core.views.server_error"
