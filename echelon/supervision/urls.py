from django.urls import path

from echelon.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.index, name="index"),
    path("workbench/", views.workbench, name="workbench"),
    path("<int:pk>/", views.campaign_groups, name="campaign"),
    path("<int:pk>/groups/new/", views.group_create, name="group_create"),
    path("<int:pk>/coverage/", views.coverage_page, name="coverage"),
    path("<int:pk>/coverage/apply/", views.coverage_apply, name="coverage_apply"),
    path("<int:pk>/u/<str:code>/", views.unit_phase, name="unit"),
    path("<int:pk>/u/<str:code>/confirm/", views.unit_confirm, name="unit_confirm"),
    path("<int:pk>/u/<str:code>/material/", views.unit_material, name="unit_material"),
    path("<int:pk>/u/<str:code>/meeting/", views.unit_meeting, name="unit_meeting"),
    path("<int:pk>/u/<str:code>/submit/", views.unit_submit, name="unit_submit"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("groups/<int:pk>/members/", views.group_member, name="group_member"),
    path("groups/<int:pk>/assign/", views.group_assign, name="group_assign"),
    path("groups/<int:pk>/patrol/", views.group_patrol, name="group_patrol"),
    path("assignments/<int:pk>/remove/", views.unassign, name="unassign"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("materials/<int:pk>/", views.material_download, name="material"),
    path("groups/<int:pk>/report/", views.group_report, name="group_report"),
    path("groups/<int:pk>/report.docx", views.group_report_docx, name="group_report_docx"),
    path("liaison/", views.liaison_calendar, name="liaison_calendar"),
    path("liaison/attend/", views.liaison_attend, name="liaison_attend"),
    path("liaison/points/", views.liaison_points, name="liaison_points"),
    path("liaison/points/add/", views.liaison_add, name="liaison_add"),
    path("liaison/points/<int:pk>/remove/", views.liaison_remove, name="liaison_remove"),
    path("liaison/<int:pk>/defaults/", views.liaison_defaults, name="liaison_defaults"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
