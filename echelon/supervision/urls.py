from django.urls import path

from echelon.supervision.views import coverage, files, gates, groups, liaison, patrol, reports, unit_work

app_name = "supervision"

urlpatterns = [
    path("", groups.index, name="index"),
    path("workbench/", gates.workbench, name="workbench"),
    path("<int:pk>/", groups.campaign_groups, name="campaign"),
    path("<int:pk>/groups/new/", groups.group_create, name="group_create"),
    path("<int:pk>/coverage/", coverage.coverage_page, name="coverage"),
    path("<int:pk>/coverage/apply/", coverage.coverage_apply, name="coverage_apply"),
    path("<int:pk>/u/<str:code>/", unit_work.unit_phase, name="unit"),
    path("<int:pk>/u/<str:code>/confirm/", unit_work.unit_confirm, name="unit_confirm"),
    path("<int:pk>/u/<str:code>/material/", unit_work.unit_material, name="unit_material"),
    path("<int:pk>/u/<str:code>/meeting/", unit_work.unit_meeting, name="unit_meeting"),
    path("<int:pk>/u/<str:code>/submit/", unit_work.unit_submit, name="unit_submit"),
    path("<int:pk>/u/<str:code>/own/", unit_work.unit_own_add, name="unit_own_add"),
    path("<int:pk>/u/<str:code>/own/<int:own>/", unit_work.unit_own_edit, name="unit_own_edit"),
    path("<int:pk>/u/<str:code>/own/<int:own>/remove/", unit_work.unit_own_remove, name="unit_own_remove"),
    path("groups/<int:pk>/", groups.group_detail, name="group"),
    path("groups/<int:pk>/members/", groups.group_member, name="group_member"),
    path("groups/<int:pk>/assign/", groups.group_assign, name="group_assign"),
    path("groups/<int:pk>/patrol/", patrol.group_patrol, name="group_patrol"),
    path("assignments/<int:pk>/remove/", groups.unassign, name="unassign"),
    path("reviews/<int:pk>/", gates.review_detail, name="review"),
    path("materials/<int:pk>/", unit_work.material_download, name="material"),
    path("materials/<int:pk>/view/", files.material_view, name="material_view"),
    path("meeting-files/<int:pk>/", files.meeting_file, name="meeting_file"),
    path("groups/<int:pk>/report/", reports.group_report, name="group_report"),
    path("groups/<int:pk>/report.docx", reports.group_report_docx, name="group_report_docx"),
    path("liaison/", liaison.liaison_calendar, name="liaison_calendar"),
    path("liaison/attend/", liaison.liaison_attend, name="liaison_attend"),
    path("liaison/points/", liaison.liaison_points, name="liaison_points"),
    path("liaison/points/add/", liaison.liaison_add, name="liaison_add"),
    path("liaison/points/<int:pk>/remove/", liaison.liaison_remove, name="liaison_remove"),
    path("liaison/<int:pk>/defaults/", liaison.liaison_defaults, name="liaison_defaults"),
]
