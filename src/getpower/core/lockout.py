"""Throttled logins (django-axes): per account and per address, audited, liftable by an administrator.

- An **account** is locked after ``GETPOWER_LOGIN_FAILURE_LIMIT`` failed passwords (axes' own limit);
- an **address** after ``GETPOWER_LOGIN_ADDRESS_FAILURE_LIMIT`` failures of any account or API token
  from it (higher: an office behind one NAT address must not be locked by one person's typos);
- for ``GETPOWER_LOGIN_COOLOFF_MINUTES`` after the last counted failure; attempts during a lock-out
  neither count nor extend it (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``).

Every lock-out writes an ``auth.lockout`` audit row (once per lock, not per refused attempt); lifting
one — ``getpower unlock`` or deleting the access attempt in the Django admin — writes an ``unlock`` row.
"""

from __future__ import annotations

import ipaddress

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_credentials, get_failure_limit
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from . import audit
from .models import AuditLog, Profile

LOCKOUT_OBJECT = "auth.lockout"


def account_limit() -> int:
    return max(1, int(settings.AXES_FAILURE_LIMIT))


def address_limit() -> int:
    return max(1, int(getattr(settings, "GETPOWER_LOGIN_ADDRESS_FAILURE_LIMIT", 20)))


def cooloff_minutes() -> int:
    cool_off = get_cool_off()
    return int(cool_off.total_seconds() // 60) if cool_off else 0


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with separate limits for an account and for an address."""

    def failure_counts(self, request, credentials: dict | None = None) -> tuple[int, int]:
        """Failures within the cool-off of (the account named in the credentials, the request's address)."""
        attempts = AccessAttempt.objects.all()
        if get_cool_off(request) is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        address = getattr(request, "axes_ip_address", None)

        def total(qs) -> int:
            return qs.aggregate(n=Sum("failures_since_start"))["n"] or 0

        return (total(attempts.filter(username=username)) if username else 0,
                total(attempts.filter(ip_address=address)) if address else 0)

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """What axes compares with its (account) limit: the account's failures, or the address's
        scaled so that reaching the address limit reaches the account limit."""
        by_account, by_address = self.failure_counts(request, credentials)
        limit = get_failure_limit(request, credentials)
        return max(by_account, by_address * limit // address_limit())


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind ``GETPOWER_TRUSTED_PROXIES`` reverse proxies the
    entry of X-Forwarded-For the outermost trusted proxy added (entries further left can be forged)."""
    proxies = int(getattr(settings, "GETPOWER_TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")


def lockout_message() -> str:
    return f"登录失败次数过多，已暂时锁定。请 {cooloff_minutes()} 分钟后再试，或联系平台管理员解除锁定。"


def lockout_response(request, original_response=None, credentials=None):
    """The lock-out page (HTTP 429): Chinese HTML for pages, JSON for the API."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        response = render(request, "web/locked_out.html",
                          {"title": "登录已锁定", "message": lockout_message(), "minutes": cooloff_minutes()},
                          status=429)
    response["Retry-After"] = str(cooloff_minutes() * 60)
    return response


def _organisation_id(username: str | None) -> int | None:
    if not username:
        return None
    return Profile.objects.filter(user__username=username).values_list("organisation_id", flat=True).first()


def record_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """``axes.signals.user_locked_out`` receiver: one audit row per lock (account and/or address)."""
    by_account, by_address = LockoutHandler().failure_counts(request, get_credentials(username))
    locks = []
    if username and by_account >= account_limit():
        locks.append(("account", username[:128], by_account))
    if ip_address and by_address >= address_limit():
        locks.append(("address", ip_address, by_address))
    if not locks:
        locks.append(("account" if username else "address", (username or ip_address or "-")[:128],
                      max(by_account, by_address)))
    now = timezone.now()
    cool_off = get_cool_off(request)
    for kind, key, failures in locks:
        last = (AuditLog.objects.filter(object_type=LOCKOUT_OBJECT, object_id=key)
                .order_by("-at", "-id").only("action", "at").first())
        if last is not None and last.action == "lockout" and (cool_off is None or last.at >= now - cool_off):
            continue  # the same lock, refused again
        what = "账号" if kind == "account" else "地址"
        audit.record(user=None, action="lockout", object_type=LOCKOUT_OBJECT, object_id=key,
                     after={"kind": kind, "username": username, "ip_address": ip_address, "failures": failures,
                            "path": request.path_info, "until": now + cool_off if cool_off else None},
                     reason=f"{what}连续登录失败 {failures} 次，锁定 {cooloff_minutes()} 分钟",
                     organisation_id=_organisation_id(username) if kind == "account" else None)


def record_unlock(*, username: str | None, ip_address: str | None, removed: int, actor=None, via: str) -> None:
    key = (username or ip_address or "-")[:128]
    audit.record(user=actor, action="unlock", object_type=LOCKOUT_OBJECT, object_id=key,
                 after={"username": username, "ip_address": ip_address, "attempts_removed": removed},
                 reason=f"解除登录锁定（{via}）", organisation_id=_organisation_id(username))


def unlock(*, username: str | None = None, ip_address: str | None = None, actor=None, via: str = "命令行") -> int:
    """Lift the lock of an account (every address) or of an address (every account): removes the
    failed attempts with axes' reset helper and audits it. Returns how many attempt records went."""
    if not username and not ip_address:
        raise ValueError("须指定用户名或地址")
    removed = reset(ip=ip_address or None, username=username or None)
    if removed:
        record_unlock(username=username, ip_address=ip_address, removed=removed, actor=actor, via=via)
    return removed


def token_failure(request) -> None:
    """Count a failed API token against the request's address (same counter as passwords)."""
    user_login_failed.send(sender=__name__, credentials=get_credentials(None), request=request)


def address_locked(request) -> bool:
    """Whether the request's address is locked (checked before an API token is looked at)."""
    if not settings.AXES_ENABLED:
        return False
    return not AxesProxyHandler.is_allowed(request, get_credentials(None))
