from django.urls import path

from echelon.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template_create"),
    path("templates/load/", views.template_load, name="template_load"),
    path("templates/<slug:key>/", views.template_detail, name="template_detail"),
    path("templates/<slug:key>/edit/", views.template_edit, name="template_edit"),
    path("unit/<str:code>/", views.unit_campaigns, name="unit_campaigns"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/schedule/", views.campaign_schedule, name="schedule"),
    path("<int:pk>/what-if/", views.campaign_what_if, name="what_if"),
    path("<int:pk>/publish/", views.campaign_publish, name="publish"),
    path("<int:pk>/units/", views.campaign_units, name="units"),
    path("<int:pk>/gantt/", views.campaign_gantt, name="gantt"),
    path("<int:pk>/export.csv", views.campaign_export_csv, name="export_csv"),
    path("<int:pk>/export.xlsx", views.campaign_export_xlsx, name="export_xlsx"),
    path("<int:pk>/u/<str:code>/", views.unit_plan, name="unit_plan"),
    path("<int:pk>/u/<str:code>/actual/", views.unit_actual, name="unit_actual"),
    path("<int:pk>/u/<str:code>/calendar.ics", views.unit_ical, name="unit_ical"),
    path("<int:pk>/u/<str:code>/print/", views.unit_print, name="unit_print"),
]
