from django.urls import path

from echelon.dashboards.views import board, dispatch, reports, warnings

app_name = "dashboards"

urlpatterns = [
    # --- the dashboard, its drill-down and the dispatch report (views/board.py) ---
    path("", board.index, name="index"),
    path("u/<str:code>/", board.unit, name="unit"),
    path("u/<str:code>/units/", board.units, name="units"),
    # --- trends and early warnings (views/warnings.py) ---
    path("u/<str:code>/warnings/", warnings.index, name="warnings"),
    path("u/<str:code>/warnings/<slug:rule>/", warnings.rule, name="warnings_rule"),
    # --- dispatch meetings (views/dispatch.py) ---
    path("meetings/", dispatch.meetings, name="meetings"),
    path("meetings/<int:pk>/", dispatch.meeting_detail, name="meeting"),
    path("u/<str:code>/meetings/new/", dispatch.meeting_new, name="meeting_new"),
    path("items/", dispatch.items, name="items"),
    path("items/<int:pk>/done/", dispatch.item_done, name="item_done"),
    path("items/<int:pk>/reopen/", dispatch.item_reopen, name="item_reopen"),
    path("u/<str:code>/report.docx", dispatch.report_docx, name="report_docx"),
    path("u/<str:code>/report.xlsx", dispatch.report_xlsx, name="report_xlsx"),
    # --- information reports (views/reports.py) ---
    path("reports/", reports.index, name="info_reports"),
    path("u/<str:code>/reports/", reports.unit_reports, name="info_unit_reports"),
    path("u/<str:code>/reports/new/", reports.report_new, name="info_new"),
    path("reports/<int:pk>/", reports.report_detail, name="info_report"),
    path("reports/<int:pk>/edit/", reports.report_edit, name="info_edit"),
    path("reports/<int:pk>/submit/", reports.report_submit, name="info_submit"),
    path("reports/<int:pk>/approve/", reports.report_approve, name="info_approve"),
    path("reports/<int:pk>/return/", reports.report_return, name="info_return"),
    path("reports/<int:pk>/report.docx", reports.report_docx, name="info_docx"),
    path("reports/<int:pk>/report.xlsx", reports.report_xlsx, name="info_xlsx"),
]
