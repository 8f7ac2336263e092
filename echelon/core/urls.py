from django.urls import path

from echelon.core import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("<uuid:pk>/", views.job_detail, name="detail"),
    path("<uuid:pk>/download/", views.job_download, name="download"),
]

audit_urlpatterns = (
    [
        path("", views.audit_list, name="list"),
        path("export.xlsx", views.audit_export, name="export"),
    ],
    "audit",
)

notification_urlpatterns = (
    [
        path("", views.notification_list, name="list"),
        path("read/", views.notification_read, name="read"),
    ],
    "notifications",
)
