"""Working-day arithmetic (rules R1).

A working day is Monday–Friday unless the State Council's schedule makes it a rest day, or a
weekend day that the schedule makes a make-up working day (调休上班). Regional extra rest days
apply where given. Elapsed working days between a ≤ b are the working days d with
date(a) < d ≤ date(b) (the day of the event is not counted). Days in a year without a loaded
schedule are counted as ordinary weeks and make the result *provisional*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


class CalendarError(ValueError):
    """FROM later than TO and similar misuse."""


def china_time(value: dt.datetime | dt.date) -> dt.datetime:
    """A timestamp in China time; naive times are taken to be China time already."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=CHINA)
        return value.astimezone(CHINA)
    return dt.datetime(value.year, value.month, value.day, tzinfo=CHINA)


def china_date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return china_time(value).date()
    return value


@dataclass(frozen=True)
class WorkdayCount:
    count: int
    provisional_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)


@dataclass
class WorkCalendar:
    """The national schedule plus regional rest days, as plain data (loaded once per use)."""

    loaded_years: frozenset[int]
    exceptions: dict[dt.date, bool] = field(default_factory=dict)
    # region code prefix (GB/T 2260: "5331" for a prefecture, "533102" for a county) → rest days
    region_rest_days: dict[str, frozenset[dt.date]] = field(default_factory=dict)

    def rest_days_for(self, region_code: str | None) -> frozenset[dt.date]:
        if not region_code:
            return frozenset()
        days: set[dt.date] = set()
        for prefix, dates in self.region_rest_days.items():
            if region_code.startswith(prefix):
                days |= dates
        return frozenset(days)

    def is_workday(self, day: dt.date, region_code: str | None = None, _rest: frozenset | None = None) -> bool:
        rest = self.rest_days_for(region_code) if _rest is None else _rest
        if day in rest:
            return False
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def elapsed(self, start, end, region_code: str | None = None) -> WorkdayCount:
        """Working days elapsed from ``start`` to ``end`` (dates or times), rules R1."""
        a, b = china_time(start), china_time(end)
        if a > b:
            raise CalendarError("起始时间晚于结束时间")
        first, last = a.date() + dt.timedelta(days=1), b.date()
        return self.count_days(first, last, region_code)

    def count_days(self, first: dt.date, last: dt.date, region_code: str | None = None) -> WorkdayCount:
        """Working days d with first ≤ d ≤ last (an empty range counts 0)."""
        if last < first:
            return WorkdayCount(0)
        rest = self.rest_days_for(region_code)
        count, day = 0, first
        one = dt.timedelta(days=1)
        while day <= last:
            if self.is_workday(day, _rest=rest):
                count += 1
            day += one
        missing = tuple(y for y in range(first.year, last.year + 1) if y not in self.loaded_years)
        return WorkdayCount(count, missing)

    def deadline(self, start, workdays: int, region_code: str | None = None) -> tuple[dt.date, bool]:
        """The date whose end (24:00) is the deadline N working days after ``start``; and provisional."""
        day = china_date(start)
        rest = self.rest_days_for(region_code)
        provisional = False
        remaining = workdays
        while remaining > 0:
            day += dt.timedelta(days=1)
            provisional = provisional or day.year not in self.loaded_years
            if self.is_workday(day, _rest=rest):
                remaining -= 1
        return day, provisional

    def day_rows(self, first: dt.date, last: dt.date, region_code: str | None = None):
        """(date, is_workday, running working-day number, provisional) for each day — the calendar
        table the analytics engine joins instead of looping per row."""
        rest = self.rest_days_for(region_code)
        number, day = 0, first
        one = dt.timedelta(days=1)
        while day <= last:
            work = self.is_workday(day, _rest=rest)
            number += int(work)
            yield day, work, number, day.year not in self.loaded_years
            day += one


def load_calendar() -> WorkCalendar:
    """The calendar as stored in the database."""
    # the calendar's arithmetic is part of the Django-free engine (connections/rules.py imports it):
    # the models load only here, when the calendar is read from the database
    from getpower.core.models import region_prefix

    from .models import HolidaySchedule, RegionRestDay, ScheduleDay

    years = frozenset(HolidaySchedule.objects.values_list("year", flat=True))
    exceptions = dict(ScheduleDay.objects.values_list("date", "is_workday"))
    region_days: dict[str, set[dt.date]] = {}
    for code, level, day in RegionRestDay.objects.values_list("region_id", "region__level", "date"):
        region_days.setdefault(region_prefix(code, level), set()).add(day)
    return WorkCalendar(years, exceptions, {k: frozenset(v) for k, v in region_days.items()})
