"""The audit log, for the regulator side, within its jurisdiction."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from getpower.core import params
from getpower.core.models import AuditLog
from getpower.core.scope import scope_for


@login_required
def audit_page(request):
    scope = scope_for(request.user)
    if not scope.is_regulator_side:
        raise PermissionDenied("审计日志仅对监管和主管部门开放")
    qs = AuditLog.objects.all()
    if not scope.everything:
        qs = qs.filter(organisation__region__code__startswith=scope.region_prefix)
    for field in ("action", "object_type"):
        value = params.get_text(request.GET, field, max_length=64)
        if value:
            qs = qs.filter(**{field: value})
    actor = params.get_text(request.GET, "actor")
    if actor:
        qs = qs.filter(actor__icontains=actor)
    object_id = params.get_text(request.GET, "object_id")
    if object_id:
        qs = qs.filter(object_id__icontains=object_id)
    since = params.get_date(request.GET, "since")
    if since:
        qs = qs.filter(at__date__gte=since)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/audit.html", {
        "title": "审计日志", "page": page, "query": query.urlencode(),
        "types": AuditLog.objects.values_list("object_type", flat=True).distinct().order_by("object_type"),
    })
