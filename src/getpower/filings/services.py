"""Filing centre state changes (rules R5): opening periods, drafts, immutable submissions, review,
reminders and the scheduled tick. Every transition is one transaction with an event and an audit row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from getpower.core import audit
from getpower.core.scope import scope_for
from getpower.workdays.calendar import load_calendar

from . import schedule
from .models import Filing, FilingEvent, FilingType, FilingVersion, Notification, TickRun
from .producers import CHINA, Deliverable, Period, cell, producer, to_xlsx

S = Filing.Status
TYPES_FILE = Path(__file__).parent / "data" / "filing_types.json"


def load_filing_types() -> None:
    """The shipped filing types (F1, F1L, F2, F3); an administrator adds more (F4, F5) as data."""
    for spec in json.loads(TYPES_FILE.read_text(encoding="utf-8")):
        FilingType.objects.get_or_create(code=spec["code"], defaults={k: v for k, v in spec.items() if k != "code"})


# -- permissions ----------------------------------------------------------------------------------

def is_filer(user, filing: Filing) -> bool:
    scope = scope_for(user)
    return scope.is_supplier and filing.filer_id in scope.org_ids


def is_reviewer(user, filing: Filing) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    org = getattr(getattr(user, "profile", None), "organisation", None)
    return org is not None and filing.recipient_id == org.pk


def visible_filings(user):
    """Filings a user may see: its own and its subordinates' (suppliers), those addressed to it and
    those inside its region (authorities), all (regulator, provincial bureau, administrator)."""
    scope = scope_for(user)
    qs = Filing.objects.select_related("type", "filer", "recipient", "county")
    if scope.everything:
        return qs
    org = getattr(getattr(user, "profile", None), "organisation", None)
    if scope.is_supplier:
        return qs.filter(filer_id__in=scope.org_ids)
    if scope.region_prefix is not None:
        return qs.filter(Q(county__code__startswith=scope.region_prefix) | Q(recipient=org))
    return qs.none()


# -- content --------------------------------------------------------------------------------------

def produce(filing: Filing) -> Deliverable:
    """The platform-generated ledger of a filing, by the producer its type names (``producers``)."""
    return producer(filing.type.producer)(filing.filer, Period.parse(filing.period))


def row_key(ftype: FilingType, row: dict) -> str:
    return "|".join(str(row.get(k, "")) for k in ftype.row_key)


def freeze(filing: Filing, deliverable: Deliverable) -> dict:
    """The content of a version: the platform-generated rows plus the filer's own entries."""
    entries = filing.entries or {}
    row_entries = entries.get("rows", {})
    rows = []
    for row in deliverable.rows:
        clean = {code: cell(row.get(code)) for code, _ in deliverable.columns}
        key = row_key(filing.type, row)
        clean["_key"] = key
        clean["filer_note"] = row_entries.get(key, {}).get("note", "")
        clean["filer_date"] = row_entries.get(key, {}).get("date", "")
        rows.append(clean)
    columns = [*deliverable.columns, ("filer_note", "报送单位说明"), ("filer_date", "计划完成日期（报送单位）")]
    return {"columns": [list(c) for c in columns],  # as stored (JSON has no tuples)
            "rows": rows, "remarks": entries.get("remarks", ""), "meta": {k: str(cell(v)) for k, v in deliverable.meta.items()}}


def version_xlsx(filing: Filing, content: dict) -> bytes:
    d = Deliverable(code=filing.type.code, title=filing.type.name, company_name=filing.filer.name,
                    company_code=filing.filer.org_code, period=Period.parse(filing.period) if filing.type.period == "month"
                    else Period(timezone.localdate().year, timezone.localdate().month),
                    columns=[tuple(c) for c in content["columns"]], rows=content["rows"], meta=content["meta"],
                    notes=[f"报送单位说明：{content['remarks']}"] if content.get("remarks") else [])
    return to_xlsx(d)


def diff(old: dict, new: dict) -> dict:
    """Rows added, removed and changed (by row key) between two versions' contents."""
    before = {r["_key"]: r for r in old["rows"]}
    after = {r["_key"]: r for r in new["rows"]}
    labels = dict((c[0], c[1]) for c in new["columns"])
    changed = []
    for key in sorted(before.keys() & after.keys()):
        fields = [(labels.get(k, k), before[key].get(k), after[key].get(k)) for k in after[key]
                  if k != "_key" and before[key].get(k) != after[key].get(k)]
        if fields:
            changed.append({"key": key, "fields": fields})
    remarks = (old.get("remarks"), new.get("remarks")) if old.get("remarks") != new.get("remarks") else None
    return {"added": [after[k] for k in sorted(after.keys() - before.keys())],
            "removed": [before[k] for k in sorted(before.keys() - after.keys())], "changed": changed,
            "remarks": remarks}


# -- transitions ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: stays
    side: str  # filer | reviewer


TRANSITIONS = {t.name: t for t in (
    Transition("edit", "保存草稿", (S.NOT_STARTED, S.DRAFT, S.RETURNED), None, "filer"),
    Transition("submit", "提交", (S.NOT_STARTED, S.DRAFT), S.SUBMITTED, "filer"),
    Transition("resubmit", "修改后重新提交", (S.RETURNED, S.SUBMITTED, S.RESUBMITTED), S.RESUBMITTED, "filer"),
    Transition("accept", "接收", (S.SUBMITTED, S.RESUBMITTED), S.ACCEPTED, "reviewer"),
    Transition("return", "退回修改", (S.SUBMITTED, S.RESUBMITTED), S.RETURNED, "reviewer"),
)}


class FilingError(ValueError):
    pass


def check(filing: Filing, name: str, user) -> Transition:
    t = TRANSITIONS[name]
    if filing.status not in t.sources:
        raise FilingError(f"当前状态“{filing.get_status_display()}”不能执行“{t.label}”")
    allowed = is_filer(user, filing) if t.side == "filer" else is_reviewer(user, filing)
    if not allowed:
        raise PermissionDenied(f"无权执行“{t.label}”")
    return t


def record(filing: Filing, user, name: str, previous: str, comment: str = "", at: dt.datetime | None = None) -> None:
    """One event of the filing's history. History is written in order: an event is never dated before
    the filing's latest one (a backdated submission after a later event would tell a story that did
    not happen — an "overdue" mark followed by an earlier, on-time submission)."""
    at = at or timezone.now()
    latest = filing.events.order_by("-at").values_list("at", flat=True).first()
    if latest is not None and at < latest:
        raise FilingError(f"事件时间 {at:%Y-%m-%d %H:%M} 早于该报备的上一事件（{latest:%Y-%m-%d %H:%M}）")
    FilingEvent.objects.create(filing=filing, at=at, actor=audit.actor_name(user), transition=name,
                               from_status=previous, to_status=filing.status, comment=comment)
    audit.record(user=user, action="transition", object_type="filings.filing", object_id=filing.pk,
                 before={"status": previous}, after={"status": filing.status}, reason=f"{TRANSITIONS[name].label}：{comment}",
                 organisation_id=filing.filer_id)


@transaction.atomic
def save_entries(filing: Filing, user, entries: dict, *, now: dt.datetime | None = None) -> Filing:
    filing = Filing.objects.select_for_update().get(pk=filing.pk)
    check(filing, "edit", user)
    previous = filing.status
    filing.entries = entries
    if filing.status == S.NOT_STARTED:
        filing.status = S.DRAFT
    record(filing, user, "edit", previous, at=now)
    filing.save(update_fields=["entries", "status"])
    return filing


@transaction.atomic
def submit(filing: Filing, user, *, reason: str = "", now: dt.datetime | None = None,
           deliverable: Deliverable | None = None) -> FilingVersion:
    """Freeze the platform-generated ledger plus the filer's entries as a new immutable version.
    ``deliverable``: the ledger already produced for this filing (batch submissions reuse one evaluation)."""
    filing = Filing.objects.select_for_update().get(pk=filing.pk)
    first = not filing.versions.exists()
    t = check(filing, "submit" if first and filing.status in (S.NOT_STARTED, S.DRAFT) else "resubmit", user)
    if not first and not reason.strip():
        raise FilingError("提交新版本须说明修改原因")
    now = now or timezone.now()
    content = freeze(filing, deliverable or produce(filing))
    data = version_xlsx(filing, content)
    number = filing.versions.count() + 1
    version = FilingVersion.objects.create(filing=filing, number=number, created_at=now, actor=audit.actor_name(user),
                                           reason=reason.strip(), content=content, xlsx=data,
                                           sha256=hashlib.sha256(data).hexdigest())
    previous = filing.status
    filing.status = t.target
    if filing.submitted_at is None:
        filing.submitted_at = now
        filing.is_late = now > filing.due_at
    filing.is_overdue = False
    filing.save(update_fields=["status", "submitted_at", "is_late", "is_overdue"])
    record(filing, user, t.name, previous, reason, at=now)
    return version


@transaction.atomic
def review(filing: Filing, user, decision: str, comment: str = "", *, now: dt.datetime | None = None) -> Filing:
    filing = Filing.objects.select_for_update().get(pk=filing.pk)
    t = check(filing, decision, user)
    if decision == "return" and not comment.strip():
        raise FilingError("退回须填写意见")
    now = now or timezone.now()
    previous = filing.status
    filing.status = t.target
    if decision == "accept":
        filing.accepted_at = now
    record(filing, user, decision, previous, comment, at=now)
    filing.save(update_fields=["status", "accepted_at"])
    kind = Notification.Kind.ACCEPTED if decision == "accept" else Notification.Kind.RETURNED
    text = f"{filing.type.name}（{filing.period}）已被{filing.recipient.name if filing.recipient else '主管部门'}" + (
        "接收" if decision == "accept" else f"退回修改：{comment}")
    notify_filer(filing, kind, text, at=now, unique=False)  # the inbox is in the same database and transaction
    return filing


# -- notifications --------------------------------------------------------------------------------

def users_of(org_id: int) -> list:
    return list(get_user_model().objects.filter(profile__organisation_id=org_id, is_active=True))


def notify_filer(filing: Filing, kind: str, text: str, *, at: dt.datetime, unique: bool = True) -> int:
    """A message to each user of the filer about an event at ``at``. ``unique``: once per (user, filing,
    kind) — a reminder is never repeated; review messages are one per review (``filing`` left empty)."""
    sent = 0
    for user in users_of(filing.filer_id):
        if unique:
            try:
                with transaction.atomic():
                    Notification.objects.create(user=user, filing=filing, kind=kind, text=text,
                                                link=f"/filings/{filing.pk}/", at=at)
                sent += 1
            except IntegrityError:
                pass
        else:
            Notification.objects.create(user=user, filing=None, kind=kind, text=text, link=f"/filings/{filing.pk}/",
                                        at=at)
            sent += 1
    return sent


# -- the scheduled tick ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TickStep:
    """A step a domain adds to the tick, registered in its ``AppConfig.ready()``: ``run(now)`` returns
    the count reported under ``key`` in the tick's summary. ``stage``: ``"sync"`` runs after the new
    periods open and before overdue filings are marked (F2's per-case filings); ``"check"`` runs last
    (F1's completeness against R2)."""

    key: str
    run: Callable[[dt.datetime], int]
    stage: str


_TICK_STEPS: dict[str, TickStep] = {}


def register_tick_step(key: str, run: Callable[[dt.datetime], int], *, stage: str) -> None:
    if stage not in ("sync", "check"):
        raise ValueError(f"unknown tick stage: {stage}")
    _TICK_STEPS[key] = TickStep(key, run, stage)


def first_month() -> Period:
    """The month from which the platform opens filing periods (its go-live; a deployment setting)."""
    return Period.parse(getattr(settings, "GETPOWER_FILINGS_FIRST_MONTH", "2026-10"))


def months_until(last: Period) -> list[Period]:
    out, p = [], first_month()
    while (p.year, p.month) <= (last.year, last.month):
        out.append(p)
        p = p.next()
    return out


def open_periods(now: dt.datetime) -> int:
    """Create the filing of every filer for every month from FIRST_MONTH to this month (idempotent)."""
    current = Period(now.astimezone(CHINA).year, now.astimezone(CHINA).month)
    calendar = load_calendar()
    created = 0
    for ftype in FilingType.objects.filter(active=True, period="month"):
        existing = set(Filing.objects.filter(type=ftype).values_list("filer_id", "period"))
        new = []
        for filer in schedule.filers(ftype):
            recipient = schedule.recipient_for(ftype, filer)
            for period in months_until(current):
                if (filer.pk, period.label) in existing:
                    continue
                new.append(Filing(type=ftype, filer=filer, recipient=recipient, county_id=filer.region_id,
                                  period=period.label, due_at=schedule.due_at(ftype, period, calendar)))
        Filing.objects.bulk_create(new, batch_size=2000)
        created += len(new)
    return created


def sync_case_filings(now: dt.datetime) -> int:
    """The filings opened per case rather than per month (F2: one per arrears case) — the registered
    ``sync`` steps of the tick."""
    return sum(step.run(now) for step in _TICK_STEPS.values() if step.stage == "sync")


def mark_overdue(now: dt.datetime) -> int:
    qs = Filing.objects.filter(status__in=[S.NOT_STARTED, S.DRAFT], due_at__lt=now, is_overdue=False)
    ids = list(qs.values_list("pk", flat=True))
    Filing.objects.filter(pk__in=ids).update(is_overdue=True)
    for filing in Filing.objects.filter(pk__in=ids).select_related("type"):
        FilingEvent.objects.create(filing=filing, at=now, actor="system", transition="overdue",
                                   from_status=filing.status, to_status=filing.status, comment="截止时间已过，未提交")
    return len(ids)


def send_reminders(now: dt.datetime) -> int:
    """Due within 3 working days, due today, overdue — each once per filing and user."""
    calendar = load_calendar()
    today = now.astimezone(CHINA).date()
    horizon = today
    for _ in range(3):
        horizon += dt.timedelta(days=1)
        while not calendar.is_workday(horizon):
            horizon += dt.timedelta(days=1)
    sent = 0
    pending = Filing.objects.filter(status__in=[S.NOT_STARTED, S.DRAFT, S.RETURNED]).select_related("type")
    for filing in pending.filter(due_at__gte=now, due_at__lte=schedule.end_of(horizon)):
        due_day = filing.due_at.astimezone(CHINA).date()
        kind, words = ((Notification.Kind.DUE_TODAY, "今天到期") if due_day == today
                       else (Notification.Kind.DUE_SOON, f"将于 {due_day} 到期"))
        sent += notify_filer(filing, kind, f"{filing.type.name}（{filing.period}）{words}", at=now)
    for filing in pending.filter(is_overdue=True):
        sent += notify_filer(filing, Notification.Kind.OVERDUE, f"{filing.type.name}（{filing.period}）已逾期未报",
                             at=now)
    return sent


def tick(now: dt.datetime | None = None) -> dict:
    """Open new periods, sync per-case filings, mark overdue, send reminders, check F1 completeness.
    Running it twice in a row changes nothing more (every step is idempotent)."""
    now = now or timezone.now()
    run = TickRun.objects.create(started_at=timezone.now())
    load_filing_types()
    summary = {"opened": open_periods(now)}
    summary.update((step.key, step.run(now)) for step in _TICK_STEPS.values() if step.stage == "sync")
    summary.update(overdue=mark_overdue(now), reminders=send_reminders(now))
    summary.update((step.key, step.run(now)) for step in _TICK_STEPS.values() if step.stage == "check")
    summary["as_of"] = now.isoformat()
    run.summary, run.finished_at = summary, timezone.now()
    run.save(update_fields=["summary", "finished_at"])
    return summary


def on_time_counts(month: str | None = None) -> list[dict]:
    """Per county: the filings due (in ``month``, or up to now) and how many of them were submitted
    by their due time — ``{"county_id", "due", "on_time"}``."""
    qs = Filing.objects.filter(due_at__lte=timezone.now())
    if month:
        p = Period.parse(month)
        qs = qs.filter(due_at__gte=p.start, due_at__lte=p.end)
    return list(qs.values("county_id").annotate(
        due=Count("id"), on_time=Count("id", filter=Q(submitted_at__isnull=False, is_late=False))).order_by())


