"""The audit trail: every change to master data, ledgers, rulebook and calendar writes one row."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from .models import AuditLog


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance, fields: Iterable[str]) -> dict[str, Any]:
    """A JSON-ready picture of the named fields (foreign keys by their raw id)."""
    out = {}
    for name in fields:
        field = instance._meta.get_field(name)
        out[name] = jsonable(getattr(instance, field.attname))
    return out


def actor_name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    token = getattr(user, "api_token", None)  # set by the API's token authentication
    if token is not None:
        return token.label
    return user.get_username()


def record(
    *,
    user,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    organisation_id: int | None = None,
    job_id: int | None = None,
) -> AuditLog:
    row = build(user=user, action=action, object_type=object_type, object_id=object_id, before=before, after=after,
                reason=reason, organisation_id=organisation_id, job_id=job_id)
    row.save()
    return row


def build(*, user, action, object_type, object_id, before=None, after=None, reason="", organisation_id=None,
          job_id=None) -> AuditLog:
    """An unsaved audit row, for bulk writing inside an import transaction."""
    return AuditLog(
        user=user if getattr(user, "is_authenticated", False) else None,
        actor=actor_name(user),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        organisation_id=organisation_id,
        before=jsonable(before),
        after=jsonable(after),
        reason=reason,
        job_id=job_id,
    )
