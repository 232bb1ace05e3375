from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "label", "status", "progress", "actor", "attempts", "worker", "created_at",
                    "duration_seconds")
    list_filter = ("kind", "status")
    search_fields = ("label", "actor", "subject", "period_key")
    readonly_fields = [f.name for f in Job._meta.fields]
