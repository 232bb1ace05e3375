"""The rulebook page: the parameters in force, their sources, and new versions (platform administrator)."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from getpower.rulebook.models import RulebookVersion
from getpower.rulebook.parameters import PARAMETERS, SOURCE_LABELS
from getpower.rulebook.services import create_version, rulebook_at


@login_required
@require_http_methods(["GET", "POST"])
def rulebook_page(request):
    if request.method == "POST":
        if not request.user.is_superuser:
            raise PermissionDenied("只有平台管理员可以修改规则参数")
        changes = {p.key: request.POST[p.key] for p in PARAMETERS
                   if p.key in request.POST and request.POST[p.key] != json.dumps(p.default, ensure_ascii=False)}
        current = rulebook_at(None)
        changes = {k: v for k, v in changes.items() if str(v) != str(current.values.get(k)) and
                   v != json.dumps(current.values.get(k), ensure_ascii=False)}
        try:
            version = create_version(
                effective_from=dt.date.fromisoformat(request.POST.get("effective_from", "")),
                changes=changes, note=request.POST.get("note", ""), user=request.user,
                reason=request.POST.get("reason", ""))
            messages.success(request, f"已发布规则版本 v{version.number}")
        except ValueError as exc:
            messages.error(request, f"未保存：{exc}")
    book = rulebook_at(dt.date.today())
    rows = [{"p": p, "value": book.values.get(p.key), "json": json.dumps(book.values.get(p.key), ensure_ascii=False),
             "source": SOURCE_LABELS[p.source_tag]} for p in PARAMETERS]
    return render(request, "web/rulebook.html", {
        "title": "规则参数", "book": book, "rows": rows, "versions": RulebookVersion.objects.all()[:20],
        "today": dt.date.today(),
    })
