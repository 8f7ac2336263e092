from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from echelon.accounts.models import Grant, User


class GrantInline(admin.TabularInline):
    model = Grant
    fk_name = "user"
    raw_id_fields = ["unit", "created_by"]
    extra = 0


@admin.register(User)
class EchelonUserAdmin(UserAdmin):
    inlines = [GrantInline]
