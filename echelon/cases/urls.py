from django.urls import path

from echelon.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("review/", views.queue, name="queue"),
    path("<int:pk>/", views.library, name="library"),
    path("<int:pk>/new/", views.case_new, name="new"),
    path("c/<int:pk>/", views.case_detail, name="case"),
    path("c/<int:pk>/edit/", views.case_edit, name="edit"),
    path("c/<int:pk>/publish/", views.case_publish, name="publish"),
    path("c/<int:pk>/return/", views.case_return, name="return"),
    path("files/<int:pk>/", views.case_file, name="file"),
]
