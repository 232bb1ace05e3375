"""Filing centre state changes (rules R5): opening periods, drafts, immutable submissions, review,
reminders and the scheduled tick. Every transition is one transaction with an event and an audit row."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from getpower.core import audit
from getpower.core.scope import scope_for
from getpower.deliverables import CHINA, Deliverable, Period, cell, to_xlsx
from getpower.workdays.calendar import load_calendar

from . import schedule
from .models import Filing, FilingEvent, FilingType, FilingVersion, MissingFromF1, Notification, TickRun

S = Filing.Status
TYPES_FILE = __import__("pathlib").Path(__file__).parent / "data" / "filing_types.json"


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
    from django.db.models import Q

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
    module, name = filing.type.producer.split(":")
    return getattr(importlib.import_module(module), name)(filing.filer, Period.parse(filing.period))


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
    FilingEvent.objects.create(filing=filing, at=at or timezone.now(), actor=audit.actor_name(user), transition=name,
                               from_status=previous, to_status=filing.status, comment=comment)
    audit.record(user=user, action="transition", object_type="filings.filing", object_id=filing.pk,
                 before={"status": previous}, after={"status": filing.status}, reason=f"{TRANSITIONS[name].label}：{comment}",
                 organisation_id=filing.filer_id)


@transaction.atomic
def save_entries(filing: Filing, user, entries: dict) -> Filing:
    filing = Filing.objects.select_for_update().get(pk=filing.pk)
    check(filing, "edit", user)
    previous = filing.status
    filing.entries = entries
    if filing.status == S.NOT_STARTED:
        filing.status = S.DRAFT
    filing.save(update_fields=["entries", "status"])
    record(filing, user, "edit", previous)
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
def review(filing: Filing, user, decision: str, comment: str = "") -> Filing:
    filing = Filing.objects.select_for_update().get(pk=filing.pk)
    t = check(filing, decision, user)
    if decision == "return" and not comment.strip():
        raise FilingError("退回须填写意见")
    previous = filing.status
    filing.status = t.target
    if decision == "accept":
        filing.accepted_at = timezone.now()
    filing.save(update_fields=["status", "accepted_at"])
    record(filing, user, decision, previous, comment)
    kind = "accepted" if decision == "accept" else "returned"
    text = f"{filing.type.name}（{filing.period}）已被{filing.recipient.name if filing.recipient else '主管部门'}" + (
        "接收" if decision == "accept" else f"退回修改：{comment}")
    notify_filer(filing, kind, text, unique=False)  # the inbox is in the same database and transaction
    return filing


# -- notifications --------------------------------------------------------------------------------

def users_of(org_id: int) -> list:
    return list(get_user_model().objects.filter(profile__organisation_id=org_id, is_active=True))


def notify_filer(filing: Filing, kind: str, text: str, *, unique: bool = True) -> int:
    sent = 0
    for user in users_of(filing.filer_id):
        if unique:
            try:
                with transaction.atomic():
                    Notification.objects.create(user=user, filing=filing, kind=kind, text=text,
                                                link=f"/filings/{filing.pk}/", at=timezone.now())
                sent += 1
            except IntegrityError:
                pass
        else:
            Notification.objects.create(user=user, filing=None, kind=kind, text=text, link=f"/filings/{filing.pk}/",
                                        at=timezone.now())
            sent += 1
    return sent


# -- the scheduled tick ---------------------------------------------------------------------------

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
    """F2: one filing per arrears case, due before the cut; the case's advance report is its submission."""
    from getpower.arrears.models import ArrearsCase

    ftype = FilingType.objects.filter(code="F2", active=True).first()
    if ftype is None:
        return 0
    have = set(Filing.objects.filter(type=ftype).values_list("case_id", flat=True))
    created = 0
    for case in ArrearsCase.objects.exclude(pk__in=have).select_related("company"):
        Filing.objects.create(type=ftype, filer=case.company, recipient=case.routed_to, county_id=case.county_id,
                              period=case.case_id, due_at=case.cut_time, case=case)
        created += 1
    for filing in Filing.objects.filter(type=ftype, submitted_at__isnull=True, case__reported_at__isnull=False
                                        ).select_related("case", "filer", "type"):
        case = filing.case
        row = {"case_id": case.case_id, "community": case.community, "households": case.households,
               "planned_cut_at": cell(case.planned_cut_at), "reported_at": cell(case.reported_at),
               "authority": case.authority, "_key": case.case_id, "filer_note": "", "filer_date": ""}
        content = {"columns": [["case_id", "案件编号"], ["community", "小区名称"], ["households", "涉及户数"],
                               ["planned_cut_at", "计划停电时间"], ["reported_at", "报告时间"], ["authority", "报告的主管部门"]],
                   "rows": [row], "remarks": "", "meta": {}}
        data = version_xlsx(filing, content)
        with transaction.atomic():
            FilingVersion.objects.create(filing=filing, number=1, created_at=case.reported_at, actor="arrears-report",
                                         content=content, xlsx=data, sha256=hashlib.sha256(data).hexdigest())
            filing.status, filing.submitted_at = S.SUBMITTED, case.reported_at
            filing.is_late = case.reported_at >= case.cut_time
            filing.due_at = case.cut_time
            filing.save(update_fields=["status", "submitted_at", "is_late", "due_at"])
            FilingEvent.objects.create(filing=filing, at=case.reported_at, actor="arrears-report", transition="submit",
                                       from_status=S.NOT_STARTED, to_status=S.SUBMITTED, comment="欠费停电提前报告")
    return created


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
        kind, words = ("due_today", "今天到期") if due_day == today else ("due_soon", f"将于 {due_day} 到期")
        sent += notify_filer(filing, kind, f"{filing.type.name}（{filing.period}）{words}")
    for filing in pending.filter(is_overdue=True):
        sent += notify_filer(filing, "overdue", f"{filing.type.name}（{filing.period}）已逾期未报")
    return sent


def check_f1_missing(now: dt.datetime) -> int:
    """The seam from R2: a late grid-upgrade connection missing from a filed F1 becomes a finding."""
    found = 0
    for filing in Filing.objects.filter(type__code__in=["F1", "F1L"], status__in=[S.SUBMITTED, S.RESUBMITTED, S.ACCEPTED]
                                        ).select_related("type", "filer"):
        latest = filing.versions.order_by("-number").first()
        if latest is None:
            continue
        filed = {r["_key"] for r in latest.content["rows"]}
        from getpower.connections.f1 import f1_rows

        rows, _ = f1_rows(filing.filer, Period.parse(filing.period))
        for row in rows:
            if row["state"].startswith("预计") or row["app_id"] in filed:
                continue
            _, created = MissingFromF1.objects.get_or_create(
                filing=filing, application_id=row["_app_pk"], defaults={"state": row["state"], "detected_at": now})
            found += int(created)
    return found


def tick(now: dt.datetime | None = None) -> dict:
    """Open new periods, sync per-case filings, mark overdue, send reminders, check F1 completeness.
    Running it twice in a row changes nothing more (every step is idempotent)."""
    now = now or timezone.now()
    run = TickRun.objects.create(started_at=timezone.now())
    load_filing_types()
    summary = {"opened": open_periods(now), "cases": sync_case_filings(now), "overdue": mark_overdue(now),
               "reminders": send_reminders(now), "f1_missing": check_f1_missing(now), "as_of": now.isoformat()}
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


