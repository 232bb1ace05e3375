"""The working-day schedules shipped with the platform, as a WorkCalendar without the database.

``services.parse_schedule`` cannot be imported without a configured Django (its module imports the
models), so pure code — rule tests, benchmarks, the analytics engine run outside the web process —
reads the shipped documents here. The format is the one ``services.load_schedule`` takes:
``{year, source_title, off: [[first, last, name], …], workdays: [[day, name], …]}``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .calendar import WorkCalendar

DATA_DIR = Path(__file__).parent / "data"


def schedule_days(data: dict) -> tuple[int, dict[dt.date, bool]]:
    """The year and the exceptions (date → is_workday) of one schedule document."""
    year = int(data["year"])
    days: dict[dt.date, bool] = {}
    for first, last, *_ in data.get("off", []):
        day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        while day <= end:
            days[day] = False
            day += dt.timedelta(days=1)
    for item in data.get("workdays", []):
        days[dt.date.fromisoformat(item[0])] = True
    outside = sorted(d for d in days if d.year != year)
    if outside:
        raise ValueError(f"schedule {year} lists days of another year: {outside}")
    return year, days


def shipped_calendar(data_dir: Path = DATA_DIR) -> WorkCalendar:
    """The national calendar from the shipped ``cn_*.json`` schedules (no regional rest days)."""
    years: set[int] = set()
    exceptions: dict[dt.date, bool] = {}
    for path in sorted(data_dir.glob("cn_*.json")):
        year, days = schedule_days(json.loads(path.read_text(encoding="utf-8")))
        years.add(year)
        exceptions.update(days)
    return WorkCalendar(frozenset(years), exceptions)
