"""The health check, for a load balancer or a monitor: no database, no login."""

from __future__ import annotations

from django.http import JsonResponse


def healthz(request):
    return JsonResponse({"status": "ok"})
