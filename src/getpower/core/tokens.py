"""API tokens per organisation: issue, revoke, authenticate (docs/security.md).

A token reads ``gp_<prefix>_<secret>``; the database keeps the prefix (to identify it) and the SHA-256 of
the whole token, never the token itself, which is shown once when it is created. A request with a valid
token acts as the organisation's service account (``svc_<org code>``), so :func:`scope_for` gives it the
organisation's jurisdiction, and its audit rows and import jobs name the token ("API令牌“名称”（单位编码）").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from . import audit
from .lockout import address_locked, token_failure
from .models import ApiToken, Organisation
from .services import service_account

TOKEN_PREFIX = "gp_"
PREFIX_LENGTH = 8  # hex characters
MAX_DAYS = 3650
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)  # last_used_at is written at most once a minute


class TokenError(ValueError):
    pass


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def split(token: str) -> str | None:
    """The prefix of a well-formed token, else None."""
    token = token.strip()
    if not token.startswith(TOKEN_PREFIX):
        return None
    prefix = token[len(TOKEN_PREFIX):len(TOKEN_PREFIX) + PREFIX_LENGTH]
    if len(prefix) != PREFIX_LENGTH or token[len(TOKEN_PREFIX) + PREFIX_LENGTH:len(TOKEN_PREFIX) + PREFIX_LENGTH + 1] != "_":
        return None
    return prefix


def can_manage(user, org: Organisation) -> bool:
    """The platform administrator, or the organisation's own 单位管理员."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    profile = getattr(user, "profile", None)
    return bool(profile and profile.is_org_admin and profile.organisation_id == org.pk)


def issue(*, org: Organisation, name: str, days: int = 365, actor=None) -> tuple[ApiToken, str]:
    """Create a token; returns it with the secret, which is not kept anywhere."""
    name = name.strip()
    if not name:
        raise TokenError("令牌名称不能为空")
    if len(name) > 64:
        raise TokenError("令牌名称不能超过 64 个字符")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"有效期须为 1 至 {MAX_DAYS} 天")
    with transaction.atomic():
        service_user = service_account(org)
        for _ in range(5):
            prefix = secrets.token_hex(PREFIX_LENGTH // 2)
            secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
            try:
                with transaction.atomic():
                    token = ApiToken.objects.create(
                        organisation=org, name=name, prefix=prefix, key_sha256=digest(secret),
                        service_user=service_user,
                        created_by=actor if getattr(actor, "is_authenticated", False) else None,
                        expires_at=timezone.now() + dt.timedelta(days=days))
                break
            except IntegrityError:  # the prefix is taken (1 in 4 billion): draw again
                continue
        else:
            raise TokenError("无法生成唯一的令牌前缀，请重试")
        audit.record(user=actor, action="create", object_type="core.apitoken", object_id=prefix,
                     after={"organisation": org.org_code, "name": name, "expires_at": token.expires_at},
                     reason="创建 API 令牌", organisation_id=org.pk)
    return token, secret


def revoke(token: ApiToken, *, actor=None) -> bool:
    """Revoke a token (at once: the next request with it gets 401). False when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(user=actor, action="revoke", object_type="core.apitoken", object_id=token.prefix,
                 before={"revoked_at": None}, after={"revoked_at": token.revoked_at, "name": token.name},
                 reason="吊销 API 令牌", organisation_id=token.organisation_id)
    return True


def lookup(raw: str, *, now: dt.datetime | None = None) -> ApiToken | None:
    """The valid (known, matching, not revoked, not expired) token for a presented string."""
    prefix = split(raw)
    if prefix is None:
        return None
    token = (ApiToken.objects.select_related("organisation", "service_user", "service_user__profile")
             .filter(prefix=prefix).first())
    if token is None or not hmac.compare_digest(token.key_sha256, digest(raw.strip())):
        return None
    now = now or timezone.now()
    if token.revoked_at is not None or token.expires_at <= now or not token.service_user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer gp_…``. No cookie is involved, so no CSRF check (a browser session
    keeps ninja's CSRF-checked ``django_auth``). A wrong, revoked or expired token is a 401 at once;
    failures count against the address like failed passwords, and a locked address gets 429."""

    def authenticate(self, request, token: str):
        if address_locked(request):
            raise HttpError(429, "失败次数过多，该地址已暂时锁定，请稍后再试")
        found = lookup(token)
        if found is None:
            token_failure(request)
            raise AuthenticationError(401, "API 令牌无效、已吊销或已过期")
        user = found.service_user
        user.api_token = found
        request.user = user
        return user
