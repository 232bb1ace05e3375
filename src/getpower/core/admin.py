from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from . import audit, tokens
from .lockout import record_unlock
from .models import ApiToken, AuditLog, ImportJob, Organisation, Profile, Region


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
        before = None
        if change:
            before = audit.snapshot(Organisation.objects.get(pk=obj.pk), form.changed_data)
        super().save_model(request, obj, form, change)
        audit.record(user=request.user, action="update" if change else "create", object_type="core.organisation",
                     object_id=obj.org_code, before=before, after=audit.snapshot(obj, form.changed_data),
                     reason="管理后台修改", organisation_id=obj.pk)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "is_org_admin")
    list_filter = ("is_org_admin",)


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


class ApiTokenForm(forms.ModelForm):
    days = forms.IntegerField(label="有效期（天）", min_value=1, max_value=3650, initial=365)

    class Meta:
        model = ApiToken
        fields = ("organisation", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here (the secret is shown once, on the page after saving) and revoked with the
    list action; they are never edited or deleted, so their use stays traceable."""

    list_display = ("prefix", "name", "organisation", "created_by", "created_at", "expires_at", "last_used_at",
                    "revoked_at")
    list_filter = ("organisation",)
    search_fields = ("prefix", "name", "organisation__org_code", "organisation__name")
    actions = ["revoke_tokens"]
    readonly_fields = ("prefix", "organisation", "name", "service_user", "created_by", "created_at", "expires_at",
                       "last_used_at", "revoked_at")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ("organisation", "name", "days") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        token, secret = tokens.issue(org=form.cleaned_data["organisation"], name=form.cleaned_data["name"],
                                     days=form.cleaned_data["days"], actor=request.user)
        obj.pk, obj.prefix, obj.name, obj.organisation = token.pk, token.prefix, token.name, token.organisation
        request._api_token_secret = (token, secret)

    def response_add(self, request, obj, post_url_continue=None):
        token, secret = request._api_token_secret
        return TemplateResponse(request, "web/token_created.html",
                                {"token": token, "secret": secret, "title": "API 令牌已创建", "back": "../"})

    @admin.action(description="吊销所选 API 令牌")
    def revoke_tokens(self, request, queryset):
        count = sum(tokens.revoke(token, actor=request.user) for token in queryset)
        self.message_user(request, f"已吊销 {count} 个令牌", messages.SUCCESS)


# Lock-outs (django-axes): deleting an access attempt lifts the lock; the audit log records who did it.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AuditedAccessAttemptAdmin(AccessAttemptAdmin):
    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        record_unlock(username=obj.username, ip_address=obj.ip_address, removed=1, actor=request.user,
                      via="管理后台")

    def delete_queryset(self, request, queryset):
        rows = list(queryset)
        super().delete_queryset(request, queryset)
        for obj in rows:
            record_unlock(username=obj.username, ip_address=obj.ip_address, removed=1, actor=request.user,
                          via="管理后台")
