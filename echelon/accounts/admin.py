from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db import router, transaction
from django.utils import timezone

from echelon.accounts.models import ApiToken, Grant, User
from echelon.accounts.selectors import user_unit_path
from echelon.core.admin import AuditedModelAdmin
from echelon.core.tree import ancestor_ids


class GrantInline(admin.TabularInline):
    model = Grant
    fk_name = "user"
    raw_id_fields = ["unit", "created_by"]
    extra = 0


class RevokingPasswordChangeForm(AdminPasswordChangeForm):
    """A password set in the admin ends the user's API tokens, like a reset by an office."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        user._tokens_revoked = ApiToken.objects.active().filter(user=user).update(revoked_at=timezone.now())
        return user


@admin.register(User)
class EchelonUserAdmin(AuditedModelAdmin, UserAdmin):
    inlines = [GrantInline]
    change_password_form = RevokingPasswordChangeForm

    def audit_unit(self, obj):
        # Like the account services: the deepest unit holding all of the user's grants.
        path = user_unit_path(obj)
        return (ancestor_ids(path)[-1] if path else None), path

    def audit_extra(self, request, obj):
        revoked = getattr(obj, "_tokens_revoked", None)
        return {} if revoked is None else {"tokens_revoked": revoked}

    def user_change_password(self, request, id, form_url=""):
        # The new password, the revoked tokens and the audit event commit together.
        with transaction.atomic(using=router.db_for_write(User)):
            return super().user_change_password(request, id, form_url)
