"""Who files what, to whom, and by when (rules R5), from the filing types' data."""

from __future__ import annotations

import datetime as dt

from getpower.core.models import Organisation
from getpower.rulebook.services import rulebook_at
from getpower.workdays.calendar import load_calendar

from .models import FilingType
from .producers import CHINA, Period


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=CHINA)


def due_at(ftype: FilingType, period: Period, calendar=None) -> dt.datetime:
    """The due time of a monthly filing for month M.

    ``day_of_next_month``: the end of day N of the following month (N a rulebook parameter, 10 for F1);
    with rulebook ``due_day_roll = next_workday`` a day that is not a working day rolls forward to the
    next working day (the usual rule for statutory deadlines; docs/decisions.md). ``end_of_month``:
    23:59:59 on M's last day, as R5 says for F3."""
    rule = ftype.due["rule"]
    if rule == "end_of_month":
        return end_of(period.last_day)
    if rule == "day_of_next_month":
        nxt = period.next()
        book = rulebook_at(nxt.first_day)
        day = dt.date(nxt.year, nxt.month, int(book[ftype.due.get("day_param", "f1_due_day")]))
        if book["due_day_roll"] == "next_workday":
            calendar = calendar or load_calendar()
            while not calendar.is_workday(day):
                day += dt.timedelta(days=1)
        return end_of(day)
    raise ValueError(f"due rule {rule} is not a monthly rule")


def filers(ftype: FilingType) -> list[Organisation]:
    spec = ftype.filers
    qs = Organisation.objects.filter(kind=spec.get("kind", "supplier")).select_related("region")
    if spec.get("top_level") is True:
        qs = qs.filter(parent__isnull=True)
    elif spec.get("top_level") is False:
        qs = qs.filter(parent__isnull=False)
    return list(qs.order_by("org_code"))


def recipient_for(ftype: FilingType, filer: Organisation) -> Organisation | None:
    """regulator → the NEA Yunnan office; local_authority → the energy authority of the filer's level
    and region; provincial → the provincial energy bureau."""
    authorities = Organisation.objects.filter(kind=Organisation.Kind.ENERGY_AUTHORITY)
    if ftype.recipient == "regulator":
        return Organisation.objects.filter(kind=Organisation.Kind.REGULATOR).order_by("id").first()
    if ftype.recipient == "local_authority":
        return authorities.filter(level=filer.level, region_id=filer.region_id).order_by("id").first()
    if ftype.recipient == "provincial":
        return authorities.filter(level="province").order_by("id").first()
    return None
