"""The applicant's progress lookup (public, no login): application number plus the last four digits
of the contact phone; rate-limited per client address and per application number."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.utils import timezone

from . import services
from .models import Application, LookupAttempt

WINDOW = dt.timedelta(minutes=10)
MAX_PER_CLIENT = 10
MAX_FAILURES_PER_APP = 5


def client_of(request) -> str:
    return request.META.get("REMOTE_ADDR", "")[:64]


def limited(client: str, app_id: str) -> bool:
    since = timezone.now() - WINDOW
    if LookupAttempt.objects.filter(client=client, at__gte=since).count() >= MAX_PER_CLIENT:
        return True
    return LookupAttempt.objects.filter(app_id=app_id, at__gte=since, success=False).count() >= MAX_FAILURES_PER_APP


def lookup(request):
    context: dict = {"title": "用电报装进度查询"}
    if request.method == "POST":
        app_id = request.POST.get("app_id", "").strip()[:64]
        last4 = request.POST.get("last4", "").strip()
        client = client_of(request)
        if limited(client, app_id):
            context["error"] = "查询过于频繁，请10分钟后再试"
            return render(request, "connections/lookup.html", context, status=429)
        app = Application.objects.filter(app_id=app_id, contact_phone_last4=last4).exclude(
            contact_phone_last4="").first() if len(last4) == 4 and last4.isdigit() else None
        LookupAttempt.objects.create(client=client, app_id=app_id, success=app is not None)
        if app is None:
            context["error"] = "未找到：请核对申请编号和联系电话后四位"
        else:
            checks = services.application_checks(app, timezone.now())
            current = next((c for c in checks if c["status"] in ("open", "overdue") and c["check"] != "total"), None)
            total = next((c for c in checks if c["check"] == "total"), None)
            context["result"] = {"app_id": app.app_id, "energized": app.energized_at is not None,
                                 "current": current, "total": total}
    return render(request, "connections/lookup.html", context)
