import datetime as dt

import chinese_calendar
import pytest
from typer.testing import CliRunner

from getpower.cli import app
from getpower.workdays.calendar import CalendarError, load_calendar

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, list(args))


@pytest.mark.django_db
@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_agrees_with_chinesecalendar(year):
    cal = load_calendar()
    day = dt.date(year, 1, 1)
    while day.year == year:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


@pytest.mark.django_db
def test_2026_has_248_working_days_by_month():
    cal = load_calendar()
    expected = [21, 16, 22, 21, 19, 21, 23, 21, 22, 18, 21, 23]
    for month, count in enumerate(expected, start=1):
        first = dt.date(2026, month, 1)
        last = dt.date(2026 + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        assert cal.count_days(first, last).count == count
    assert cal.count_days(dt.date(2026, 1, 1), dt.date(2026, 12, 31)).count == 248


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start,end,expected",
    [
        ("2026-02-13", "2026-03-02", "7"),  # Spring Festival with make-up Saturdays 2/14 and 2/28
        ("2026-02-13", "2026-02-14", "1"),  # make-up Saturday counts
        ("2026-02-14", "2026-02-23", "0"),
        ("2026-09-30", "2026-10-10", "3"),  # National Day off 10/1–10/7; 10/8, 10/9 and make-up Saturday 10/10
        ("2025-09-26", "2025-10-11", "6"),  # 9/28 Sun worked, 9/29, 9/30, 10/9, 10/10, 10/11 Sat worked
        ("2026-03-02 08:00", "2026-03-02 17:00", "0"),  # same day: 0
        ("2026-03-02 23:59", "2026-03-03 00:01", "1"),
        ("2025-12-31", "2026-01-05", "2"),  # 1/4 Sunday worked, 1/5 Monday
    ],
)
def test_workdays_command(start, end, expected):
    result = cli("workdays", start, end)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == expected


@pytest.mark.django_db
def test_2025_national_day_week():
    # 2025-09-30 → 2025-10-12: 10/1–10/8 off, 10/9 Thu, 10/10 Fri, 10/11 Sat (worked)
    assert cli("workdays", "2025-09-30", "2025-10-12").stdout.strip() == "3"


@pytest.mark.django_db
def test_from_after_to_exits_2():
    result = cli("workdays", "2026-03-02", "2026-02-13")
    assert result.exit_code == 2
    assert "from_after_to" in result.stderr


@pytest.mark.django_db
def test_unreadable_date_exits_2():
    result = cli("workdays", "2026-02-30", "2026-03-01")
    assert result.exit_code == 2
    assert "bad_time" in result.stderr


@pytest.mark.django_db
def test_offset_is_converted_to_china_time():
    # 2026-03-02T20:00-05:00 is 2026-03-03 09:00 in China: one working day after 3/2
    assert cli("workdays", "2026-03-02 10:00", "2026-03-02T20:00:00-05:00").stdout.strip() == "1"


@pytest.mark.django_db
def test_unloaded_year_is_provisional_with_warning():
    result = cli("workdays", "2026-12-30", "2027-01-08")
    assert result.exit_code == 0
    assert result.stdout.strip() == "7"  # 12/31 + 1/1..1/8 as ordinary weeks (1/1 Fri counted)
    assert "2027" in result.stderr and "provisional" in result.stderr
    assert not load_calendar().elapsed(dt.date(2026, 1, 5), dt.date(2026, 1, 9)).provisional


@pytest.mark.django_db
def test_region_rest_day_applies_only_in_its_region():
    from getpower.core.models import Region
    from getpower.workdays.services import add_region_rest_day

    add_region_rest_day(region=Region.objects.get(code="532800"), date=dt.date(2026, 4, 14), name="泼水节",
                        source="西双版纳傣族自治州自治条例")
    assert cli("workdays", "2026-04-13", "2026-04-15", "--region", "532801").stdout.strip() == "1"
    assert cli("workdays", "2026-04-13", "2026-04-15").stdout.strip() == "2"
    assert cli("workdays", "2026-04-13", "2026-04-15", "--region", "530102").stdout.strip() == "2"


@pytest.mark.django_db
def test_admin_loads_a_new_year_and_it_is_audited():
    from getpower.core.models import AuditLog
    from getpower.workdays.services import load_schedule

    load_schedule({"year": 2027, "source_title": "测试通知", "off": [["2027-01-01", "2027-01-01", "元旦"]],
                   "workdays": []}, reason="test")
    cal = load_calendar()
    assert 2027 in cal.loaded_years and not cal.is_workday(dt.date(2027, 1, 1))
    assert not cal.elapsed(dt.date(2026, 12, 31), dt.date(2027, 1, 4)).provisional
    assert AuditLog.objects.filter(object_type="calendar.schedule", object_id="2027").exists()


def test_elapsed_refuses_reversed_interval():
    from getpower.workdays.calendar import WorkCalendar

    with pytest.raises(CalendarError):
        WorkCalendar(frozenset()).elapsed(dt.date(2026, 1, 2), dt.date(2026, 1, 1))
