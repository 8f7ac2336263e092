from django.urls import path

from echelon.core.api.base import page_endpoint
from echelon.orgs.api.lookup import UnitLookupView
from echelon.orgs.views import edit, io, tree

app_name = "orgs"

urlpatterns = [
    path("", tree.browse, name="browse"),
    path("search/", tree.search, name="search"),
    # The unit pickers' and the header search's type-ahead (core.widgets): the API's look-up, in JSON.
    path("autocomplete/", page_endpoint(UnitLookupView), name="autocomplete"),
    path("u/<str:code>/", tree.unit_detail, name="unit"),
    path("u/<str:code>/tree/", tree.tree_children, name="tree_children"),
    path("u/<str:code>/members/", tree.unit_members, name="unit_members"),
    path("u/<str:code>/blind-spots/", tree.unit_blind_spots, name="unit_blind_spots"),
    path("u/<str:code>/history/", tree.unit_history, name="unit_history"),
    path("u/<str:code>/move/", tree.unit_move, name="unit_move"),
    path("u/<str:code>/new/", edit.unit_create, name="unit_create"),
    path("u/<str:code>/edit/", edit.unit_edit, name="unit_edit"),
    path("u/<str:code>/members/new/", edit.member_create, name="member_create"),
    path("m/<str:code>/", tree.member_detail, name="member"),
    path("m/<str:code>/edit/", edit.member_edit, name="member_edit"),
    path("u/<str:code>/io/", io.unit_io, name="io"),
    path("u/<str:code>/io/export/<slug:kind>/<slug:fmt>/", io.unit_export, name="io_export"),
    path("u/<str:code>/io/import/", io.unit_import, name="io_import"),
    path("u/<str:code>/io/import/<uuid:pk>/", io.import_job, name="io_import_job"),
]
