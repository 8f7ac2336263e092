from django.urls import path
from rest_framework.routers import SimpleRouter

from echelon.dashboards.api import board, dispatch, reports, warnings

# dispatch meetings: /api/v1/dispatch/meetings/, /api/v1/dispatch/items/ (not under dashboard/<code>/)
dispatch_router = SimpleRouter()
dispatch_router.register("dispatch/meetings", dispatch.MeetingViewSet, basename="dispatch-meeting")
dispatch_router.register("dispatch/items", dispatch.ItemViewSet, basename="dispatch-item")

# information reports: /api/v1/info-reports/ (not under dashboard/: that is dashboard/<code>/)
reports_router = SimpleRouter()
reports_router.register("info-reports", reports.ReportViewSet, basename="info-report")

urlpatterns = [
    # --- the dashboard (api/board.py) ---
    path("dashboard/<str:code>/", board.DashboardView.as_view(), name="dashboard"),
    # --- trends and early warnings (api/warnings.py) ---
    path("dashboard/<str:code>/trends/", warnings.TrendView.as_view(), name="dashboard-trends"),
    path("warnings/", warnings.AlertList.as_view(), name="warning-list"),
    # --- dispatch meetings (api/dispatch.py) ---
    *dispatch_router.urls,
    # --- information reports (api/reports.py) ---
    *reports_router.urls,
]
