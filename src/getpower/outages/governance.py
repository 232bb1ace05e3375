"""Governance of frequent-outage units (闭环销号, rules R3): an explicit transition table, a
permission per transition, one transaction and one audit row per transition."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from getpower.core import audit
from getpower.core.scope import scope_for

from .models import GovernanceEvent, GovernanceItem

S = GovernanceItem.Status
VERIFICATION_METHODS = {"visit": "用户走访", "site_check": "现场检查"}


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    side: str  # "supplier": the company (or one above it); "regulator": an authority over the unit
    requires: tuple[str, ...] = ()


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("file_plan", "报送治理计划", (S.IDENTIFIED,), S.PLAN_FILED, "supplier", ("measures", "planned_completion")),
        Transition("start", "开始治理", (S.PLAN_FILED,), S.IN_PROGRESS, "supplier"),
        Transition("progress", "更新治理进展", (S.IN_PROGRESS,), S.IN_PROGRESS, "supplier", ("note",)),
        Transition("complete", "治理完成", (S.IN_PROGRESS,), S.COMPLETED, "supplier", ("note",)),
        Transition("verify", "监管核验", (S.COMPLETED,), S.VERIFIED, "regulator", ("verification_method", "note")),
        Transition("close", "销号", (S.VERIFIED,), S.CLOSED, "regulator"),
        Transition("send_back", "退回整改", (S.COMPLETED, S.VERIFIED), S.IN_PROGRESS, "regulator", ("note",)),
    )
}
TRANSITION_LABELS = {"identify": "识别", "reopen": "再次越限重新打开", **{t.name: t.label for t in TRANSITIONS.values()}}
STATUS_LABELS = dict(GovernanceItem.Status.choices)
FIELD_LABELS = {"measures": "治理措施", "planned_completion": "计划完成日期", "note": "说明",
                "verification_method": "核验方式"}


class TransitionError(ValueError):
    pass


def labelled_events(item: GovernanceItem) -> list[GovernanceEvent]:
    """The item's events with Chinese labels for display."""
    events = list(item.events.all())
    for e in events:
        e.transition_label = TRANSITION_LABELS.get(e.transition, e.transition)
        e.from_label = STATUS_LABELS.get(e.from_status, "")
        e.to_label = STATUS_LABELS.get(e.to_status, e.to_status)
    return events


def allowed(item: GovernanceItem, user) -> list[Transition]:
    """The transitions this user may make on this item now."""
    return [t for t in TRANSITIONS.values() if item.status in t.sources and may(t, item, user)]


def may(t: Transition, item: GovernanceItem, user) -> bool:
    scope = scope_for(user)
    if not scope.can_see(company_id=item.company_id, county_code=item.county_id):
        return False
    if t.side == "supplier":
        return scope.is_supplier and item.company_id in scope.org_ids
    return scope.is_regulator_side


def snapshot(item: GovernanceItem) -> dict:
    return audit.snapshot(item, ("status", "measures", "planned_completion", "completed_at", "verification_method",
                                 "verification_note", "closed_at", "cycle"))


@transaction.atomic
def transition(item: GovernanceItem, name: str, user, *, note: str = "", measures: str = "",
               planned_completion: dt.date | None = None, verification_method: str = "", attachment=None,
               now: dt.datetime | None = None) -> GovernanceEvent:
    """Apply one transition; raises PermissionDenied or TransitionError (Chinese message)."""
    item = GovernanceItem.objects.select_for_update().get(pk=item.pk)
    t = TRANSITIONS.get(name)
    if t is None:
        raise TransitionError(f"未知操作 {name}")
    if item.status not in t.sources:
        raise TransitionError(f"当前状态“{item.get_status_display()}”不能执行“{t.label}”")
    if not may(t, item, user):
        raise PermissionDenied(f"无权执行“{t.label}”")
    values = {"note": note.strip(), "measures": measures.strip(), "planned_completion": planned_completion,
              "verification_method": verification_method}
    missing = [FIELD_LABELS[f] for f in t.requires if not values.get(f)]
    if missing:
        raise TransitionError("请填写：" + "、".join(missing))
    if name == "verify" and verification_method not in VERIFICATION_METHODS:
        raise TransitionError("核验方式须为用户走访或现场检查")
    now = now or timezone.now()
    before = snapshot(item)
    previous = item.status
    if name == "file_plan":
        item.measures, item.planned_completion = values["measures"], planned_completion
    elif name == "complete":
        item.completed_at = now
    elif name == "verify":
        item.verification_method, item.verification_note = verification_method, values["note"]
    elif name == "close":
        item.closed_at = now
    elif name == "send_back":
        item.completed_at = None
        item.verification_method, item.verification_note = "", ""
    item.status = t.target
    item.save()
    event = GovernanceEvent.objects.create(
        item=item, at=now, actor=audit.actor_name(user), transition=name, from_status=previous, to_status=t.target,
        note=values["note"] or values["measures"], attachment=attachment)
    audit.record(user=user, action="transition", object_type="outages.governance", object_id=item.pk,
                 before=before, after=snapshot(item), reason=f"{t.label}：{values['note'] or values['measures']}",
                 organisation_id=item.company_id)
    return event


def open_items_over_time(items_qs, days: int = 365) -> list[tuple[str, int]]:
    """The 动态清零 series: how many items were open at the end of each day (from the event log)."""
    events = GovernanceEvent.objects.filter(item__in=items_qs).order_by("at").values_list(
        "item_id", "at", "to_status")
    today = timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    state: dict[int, str] = {}
    series, index = [], 0
    events = list(events)
    day = first
    # replay events up to the end of each day
    while day <= today:
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=timezone.get_current_timezone())
        while index < len(events) and events[index][1] < end:
            state[events[index][0]] = events[index][2]
            index += 1
        series.append((day.isoformat(), sum(1 for s in state.values() if s != S.CLOSED)))
        day += dt.timedelta(days=1)
    return series
