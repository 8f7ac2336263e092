from django.urls import path

from echelon.evaluation.views import pages

app_name = "evaluation"

urlpatterns = [
    path("", pages.index, name="index"),
    path("export/", pages.export, name="export"),
    path("unit/<str:code>/", pages.unit, name="unit"),
    path("unit/<str:code>/new/", pages.session_new, name="session_new"),
    path("sessions/<int:pk>/", pages.session, name="session"),
    path("sessions/<int:pk>/group/", pages.session_group, name="session_group"),
    path("sessions/<int:pk>/tally/", pages.session_tally, name="session_tally"),
    path("sessions/<int:pk>/codes/", pages.session_codes, name="session_codes"),
    path("sessions/<int:pk>/close/", pages.session_close, name="session_close"),
    path("redos/<int:pk>/", pages.redo, name="redo"),
    path("redos/<int:pk>/work/", pages.redo_work, name="redo_work"),
    path("redos/<int:pk>/files/", pages.redo_file, name="redo_file"),
    path("redos/<int:pk>/decide/", pages.redo_decide, name="redo_decide"),
    path("files/<int:pk>/", pages.redo_download, name="redo_download"),
]
