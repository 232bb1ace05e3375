"""API tokens of one's own organisation, for its 单位管理员 (the platform administrator uses the Django
admin or ``getpower token``). The token is shown once, on the page answering its creation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from getpower.core import tokens
from getpower.core.models import ApiToken
from getpower.core.scope import organisation_of


def managed_organisation(request):
    org = organisation_of(request.user)
    if org is None or not tokens.can_manage(request.user, org):
        raise PermissionDenied("只有单位管理员可以管理本单位的 API 令牌（平台管理员请使用管理后台或 getpower token 命令）")
    return org


@login_required
def token_list(request):
    org = managed_organisation(request)
    error = ""
    if request.method == "POST":
        try:
            days = int(request.POST.get("days") or 365)
            token, secret = tokens.issue(org=org, name=request.POST.get("name", ""), days=days, actor=request.user)
        except ValueError as exc:  # TokenError, or a days value that is not a number
            error = str(exc) if isinstance(exc, tokens.TokenError) else "有效期须为整数天数"
        else:
            response = render(request, "web/token_created.html",
                              {"token": token, "secret": secret, "title": "API 令牌已创建", "back": "/account/tokens/"})
            response["Cache-Control"] = "no-store"
            return response
    now = timezone.now()
    rows = [(t, t.status_at(now)) for t in ApiToken.objects.filter(organisation=org).select_related("created_by")]
    return render(request, "web/tokens.html", {"org": org, "rows": rows, "error": error, "title": "API 令牌"})


@login_required
@require_POST
def token_revoke(request, prefix: str):
    org = managed_organisation(request)
    token = get_object_or_404(ApiToken, organisation=org, prefix=prefix)
    if tokens.revoke(token, actor=request.user):
        messages.success(request, f"已吊销令牌“{token.name}”（{token.prefix}）")
    return redirect("account-tokens")
