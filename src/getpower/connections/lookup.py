"""The applicant's progress lookup (public, no login): application number plus the last four digits
of the contact phone.

Guessing is throttled **per client address**, never per application number: an address that made
``MAX_FAILURES_PER_CLIENT`` failed lookups (or ``MAX_PER_CLIENT`` lookups of any outcome) within
``WINDOW_SECONDS`` gets 429 until the window ends, while the applicant asking from another address
with the right digits still gets the answer (a per-number lock-out would let anyone lock an applicant
out). The counters live in the "throttle" cache, which is in the database: every server process sees
the same counts (docs/decisions.md)."""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.shortcuts import render
from django.utils import timezone

from getpower.core.lockout import client_ip

from . import services
from .models import Application

WINDOW_SECONDS = 10 * 60
MAX_PER_CLIENT = 10  # lookups of any outcome per address and window
MAX_FAILURES_PER_CLIENT = 5  # failed lookups (wrong number or digits) per address and window
LIMITED = "查询过于频繁，请10分钟后再试"


def client_of(request) -> str:
    """The client's address (behind trusted reverse proxies, the one they forwarded)."""
    return (client_ip(request) or "")[:64]


def _keys(client: str) -> tuple[str, str]:
    digest = hashlib.sha256(client.encode()).hexdigest()[:32]  # any address text makes a valid cache key
    return f"lookup:all:{digest}", f"lookup:failed:{digest}"


def _count(key: str) -> int:
    return int(caches["throttle"].get(key, 0))


def _bump(key: str) -> None:
    """Counts one more within the window that began with the first count (the window does not slide)."""
    cache = caches["throttle"]
    if not cache.add(key, 1, WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            cache.add(key, 1, WINDOW_SECONDS)


def limited(client: str) -> bool:
    every, failed = _keys(client)
    return _count(every) >= MAX_PER_CLIENT or _count(failed) >= MAX_FAILURES_PER_CLIENT


def record(client: str, *, success: bool) -> None:
    every, failed = _keys(client)
    _bump(every)
    if not success:
        _bump(failed)


def lookup(request):
    context: dict = {"title": "用电报装进度查询"}
    if request.method == "POST":
        app_id = request.POST.get("app_id", "").strip()[:64]
        last4 = request.POST.get("last4", "").strip()
        client = client_of(request)
        if limited(client):
            context["error"] = LIMITED
            response = render(request, "connections/lookup.html", context, status=429)
            response["Retry-After"] = str(WINDOW_SECONDS)
            return response
        app = Application.objects.filter(app_id=app_id, contact_phone_last4=last4).exclude(
            contact_phone_last4="").first() if len(last4) == 4 and last4.isdigit() else None
        record(client, success=app is not None)
        if app is None:
            context["error"] = "未找到：请核对申请编号和联系电话后四位"
        else:
            checks = services.application_checks(app, timezone.now())
            current = next((c for c in checks if c["status"] in ("open", "overdue") and c["check"] != "total"), None)
            total = next((c for c in checks if c["check"] == "total"), None)
            context["result"] = {"app_id": app.app_id, "energized": app.energized_at is not None,
                                 "current": current, "total": total}
    return render(request, "connections/lookup.html", context)
