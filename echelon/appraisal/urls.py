from django.urls import path

from echelon.appraisal import views

app_name = "appraisal"

urlpatterns = [
    path("", views.index, name="index"),
    path("u/<str:code>/", views.unit, name="unit"),
    path("u/<str:code>/summary.xlsx", views.summary_xlsx, name="summary_xlsx"),
    path("u/<str:code>/branch/", views.branch, name="branch"),
    path("u/<str:code>/branch/new/", views.create, name="create"),
    path("<int:pk>/update/", views.update, name="update"),
    path("<int:pk>/rate/", views.rate, name="rate"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/sheet.xlsx", views.sheet_xlsx, name="sheet_xlsx"),
    path("ratings/<int:pk>/followup/", views.followup, name="followup"),
    path("followups/<int:pk>/close/", views.followup_close, name="followup_close"),
]
