"""The error pages (400, 403, 404, 500): Chinese, in the site's layout, saying what happened and where
to go. Under /api/ the answers stay JSON (``{"detail": ...}``), as the API declares them.

The 500 page is rendered without the request: no context processor runs, so it needs neither the
database nor the session (the failure may be theirs)."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.exceptions import DisallowedHost
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import requires_csrf_token

from getpower.core.params import BadParameter

CHINESE = re.compile(r"[\u4e00-\u9fff]")
FAVICON = Path(__file__).parent / "static" / "web" / "favicon.ico"
PLAIN_500 = ("<!doctype html><html lang=\"zh-hans\"><meta charset=\"utf-8\"><title>服务器内部错误</title>"
             "<h1>服务器内部错误（500）</h1><p>平台处理您的请求时出错，请稍后重试；如问题持续，请联系平台管理员。</p>"
             "<p><a href=\"/\">返回首页</a></p></html>")


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def shown_reason(exception) -> str:
    """An exception's message when it was written for the user (in Chinese); never Django's English
    internals such as "No Asset matches the given query"."""
    text = str(exception or "")
    if exception is not None and exception.args:
        text = str(exception.args[0])
    return text if CHINESE.search(text) else ""


@requires_csrf_token
def bad_request(request, exception=None):
    if is_api(request):
        return JsonResponse({"detail": shown_reason(exception) or "请求有误"}, status=400)
    context = {"title": "请求有误", "reason": shown_reason(exception)}
    if isinstance(exception, BadParameter):
        context.update({"parameter": exception.name, "value": exception.shown_value, "why": exception.reason})
        return render(request, "400.html", context, status=400)
    if isinstance(exception, DisallowedHost):
        context["reason"] = ""
    # other malformed requests (a forbidden host, a broken upload): rendered without the request, as
    # Django does, since the request itself may be what is wrong
    return HttpResponse(loader.get_template("400.html").render(context), status=400)


@requires_csrf_token
def permission_denied(request, exception=None):
    if is_api(request):
        return JsonResponse({"detail": shown_reason(exception) or "无权访问"}, status=403)
    return render(request, "403.html", {"title": "无权访问", "reason": shown_reason(exception)}, status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    if is_api(request):
        return JsonResponse({"detail": "Not Found"}, status=404)
    return render(request, "404.html", {"title": "页面不存在", "reason": shown_reason(exception),
                                        "path": request.path}, status=404)


@requires_csrf_token
def server_error(request):
    if is_api(request):
        return JsonResponse({"detail": "服务器内部错误"}, status=500)
    try:
        html = loader.get_template("500.html").render({"title": "服务器内部错误"})
    except Exception:  # the layout itself failed: still answer in Chinese
        html = PLAIN_500
    return HttpResponse(html, status=500)


@cache_control(max_age=86400, public=True)
def favicon(request):
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")
