"""State changes of the calendar: loading a year's schedule, adding regional rest days. Audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.db import transaction

from getpower.core import audit

from .models import HolidaySchedule, RegionRestDay, ScheduleDay

DATA_DIR = Path(__file__).parent / "data"


class ScheduleError(ValueError):
    pass


def _parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError as exc:
        raise ScheduleError(f"{what}：“{text}”不是有效日期（应为 YYYY-MM-DD）") from exc


def parse_schedule(data: dict) -> tuple[int, dict, list[tuple[dt.date, bool, str]]]:
    """Validate a schedule document ({year, source_title, source_ref, published_on, off, workdays})."""
    errors: list[str] = []
    try:
        year = int(data["year"])
    except (KeyError, TypeError, ValueError):
        raise ScheduleError("缺少有效的年份 year") from None
    if not str(data.get("source_title", "")).strip():
        errors.append("缺少来源通知 source_title")
    days: dict[dt.date, tuple[bool, str]] = {}
    for item in data.get("off", []):
        try:
            start, end = _parse_date(item[0], "放假开始"), _parse_date(item[1], "放假结束")
        except ScheduleError as exc:
            errors.append(str(exc))
            continue
        name = item[2] if len(item) > 2 else "放假"
        if end < start:
            errors.append(f"放假区间 {start}—{end} 结束早于开始")
        day = start
        while day <= end:
            days[day] = (False, name)
            day += dt.timedelta(days=1)
    for item in data.get("workdays", []):
        try:
            day = _parse_date(item[0], "调休上班日")
        except ScheduleError as exc:
            errors.append(str(exc))
            continue
        if day in days:
            errors.append(f"{day} 同时被列为放假和上班")
        days[day] = (True, item[1] if len(item) > 1 else "调休上班")
    for day in days:
        if day.year != year:
            errors.append(f"{day} 不在 {year} 年内")
    if errors:
        raise ScheduleError("；".join(errors))
    meta = {
        "source_title": str(data["source_title"]).strip(),
        "source_ref": str(data.get("source_ref", "")).strip(),
        "published_on": _parse_date(data["published_on"], "发布日期") if data.get("published_on") else None,
        "note": str(data.get("note", "")),
    }
    return year, meta, sorted((d, w, n) for d, (w, n) in days.items())


def _schedule_snapshot(schedule: HolidaySchedule | None) -> dict | None:
    if schedule is None:
        return None
    return {
        "source_title": schedule.source_title,
        "source_ref": schedule.source_ref,
        "days": [[d.date.isoformat(), d.is_workday, d.name] for d in schedule.days.order_by("date")],
    }


@transaction.atomic
def load_schedule(data: dict, *, user=None, reason: str = "") -> HolidaySchedule:
    """Load or replace one year's national schedule."""
    year, meta, days = parse_schedule(data)
    existing = HolidaySchedule.objects.filter(year=year).first()
    before = _schedule_snapshot(existing)
    schedule, _ = HolidaySchedule.objects.update_or_create(year=year, defaults=meta)
    schedule.days.all().delete()
    ScheduleDay.objects.bulk_create(
        [ScheduleDay(schedule=schedule, date=d, is_workday=w, name=n) for d, w, n in days]
    )
    audit.record(
        user=user,
        action="update" if existing else "create",
        object_type="calendar.schedule",
        object_id=year,
        before=before,
        after=_schedule_snapshot(schedule),
        reason=reason or ("载入国务院节假日安排" if not existing else "更新国务院节假日安排"),
    )
    return schedule


def load_shipped_schedules() -> list[int]:
    """Load the schedules shipped with the platform for years not yet in the database."""
    loaded = []
    for path in sorted(DATA_DIR.glob("cn_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not HolidaySchedule.objects.filter(year=data["year"]).exists():
            load_schedule(data, reason=f"平台内置：{data['source_title']}")
            loaded.append(data["year"])
    return loaded


@transaction.atomic
def add_region_rest_day(*, region, date: dt.date, name: str, source: str, user=None, reason: str = "") -> RegionRestDay:
    if not source.strip():
        raise ScheduleError("地方补充假日必须注明依据")
    day = RegionRestDay.objects.create(region=region, date=date, name=name, source=source)
    audit.record(
        user=user,
        action="create",
        object_type="calendar.region_rest_day",
        object_id=day.pk,
        after={"region": region.code, "date": date, "name": name, "source": source},
        reason=reason or source,
    )
    return day
