from django.contrib import admin

from echelon.core.admin import AuditedModelAdmin
from echelon.orgs import pinyin
from echelon.orgs.columns import UNIT
from echelon.orgs.models import Unit


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    """Repairs of a unit's own attributes. Its place in the tree, its kind and its counts change only
    through the services (create, move, merge, imports), so they are read-only here, and nothing is added
    or deleted from the admin."""

    list_display = ["code", "name", "level", "kind", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["code", "name", "pinyin", "initials"]
    ordering = ["path"]
    fields = [c.name for c in UNIT.file_columns]  # the columns of its import and export
    readonly_fields = ["code", "parent", "level", "kind", "division"]
    show_full_result_count = False  # ~70,000 units

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if "name" in form.changed_data:
            obj.pinyin, obj.initials = pinyin.keys(obj.name)
        super().save_model(request, obj, form, change)
