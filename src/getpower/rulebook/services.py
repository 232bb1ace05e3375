"""Reading the rulebook in force, and changing it (administrators only, audited)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max

from getpower.core import audit

from .models import RulebookVersion, RuleParameter
from .parameters import BY_KEY, PARAMETERS, defaults


@dataclass(frozen=True)
class Rulebook:
    """The parameters in force, with the version that holds them (recorded on every finding)."""

    version: int
    effective_from: dt.date | None
    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @classmethod
    def default(cls) -> Rulebook:
        return cls(version=0, effective_from=None, values=defaults())


def rulebook_at(day: dt.date | None = None) -> Rulebook:
    """The version in force on ``day`` (the latest whose effective date is not after it)."""
    qs = RulebookVersion.objects.all()
    if day is not None:
        qs = qs.filter(effective_from__lte=day)
    version = qs.order_by("-effective_from", "-number").first()
    if version is None:
        version = RulebookVersion.objects.order_by("effective_from", "number").first()
    if version is None:
        return Rulebook.default()
    values = defaults()
    values.update(dict(version.parameters.values_list("key", "value")))
    return Rulebook(version=version.number, effective_from=version.effective_from, values=values)


def ensure_default_rulebook() -> None:
    if RulebookVersion.objects.exists():
        return
    create_version(
        effective_from=dt.date(2025, 1, 1),
        changes={},
        note="平台默认参数（shared/spec/rules.md）",
        user=None,
        reason="平台初始化",
        check_permission=False,
    )


@transaction.atomic
def create_version(
    *,
    effective_from: dt.date,
    changes: dict[str, Any],
    note: str,
    user,
    reason: str,
    check_permission: bool = True,
) -> RulebookVersion:
    """A new version: the parameters in force on ``effective_from`` with ``changes`` applied."""
    if check_permission and not getattr(user, "is_superuser", False):
        raise PermissionDenied("只有平台管理员可以修改规则参数")
    if check_permission and not reason.strip():
        raise ValueError("修改规则参数必须说明原因")
    base = rulebook_at(effective_from)
    values = dict(base.values)
    errors = []
    for key, raw in changes.items():
        if key not in BY_KEY:
            errors.append(f"未知参数 {key}")
            continue
        try:
            values[key] = BY_KEY[key].parse(raw)
        except ValueError as exc:
            errors.append(str(exc))
    if errors:
        raise ValueError("；".join(errors))
    number = (RulebookVersion.objects.aggregate(m=Max("number"))["m"] or 0) + 1
    version = RulebookVersion.objects.create(
        number=number, effective_from=effective_from, note=note, created_by=user if user and user.is_authenticated else None
    )
    RuleParameter.objects.bulk_create(
        [RuleParameter(version=version, key=p.key, value=values[p.key], source_tag=p.source_tag, note=p.note)
         for p in PARAMETERS]
    )
    audit.record(
        user=user,
        action="create",
        object_type="rulebook.version",
        object_id=number,
        before={"version": base.version, **{k: base.values.get(k) for k in changes}},
        after={"version": number, "effective_from": effective_from, **{k: values[k] for k in changes}},
        reason=reason,
    )
    return version
