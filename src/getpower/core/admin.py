from django.contrib import admin

from .models import AuditLog, ImportJob, Organisation, Profile, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("org_code", "name", "kind", "level", "region", "parent")
    list_filter = ("kind", "level")
    search_fields = ("org_code", "name")

    def save_model(self, request, obj, form, change):
        from . import audit

        before = None
        if change:
            before = audit.snapshot(Organisation.objects.get(pk=obj.pk), form.changed_data)
        super().save_model(request, obj, form, change)
        audit.record(user=request.user, action="update" if change else "create", object_type="core.organisation",
                     object_id=obj.org_code, before=before, after=audit.snapshot(obj, form.changed_data),
                     reason="管理后台修改", organisation_id=obj.pk)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation")


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id", "reason")
    list_filter = ("action", "object_type")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "ledger", "actor", "file_name", "status", "rows_added", "rows_updated", "started_at")

    def has_change_permission(self, request, obj=None):
        return False
