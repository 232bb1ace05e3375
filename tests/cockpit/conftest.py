"""The cockpit's test data: the test province with the small ledgers, evaluated in October and
November 2026, with the present fixed at 2026-11-27 (November is the running month)."""

from __future__ import annotations

import datetime as dt

import pytest

from getpower.cockpit import services
from tests.factories import import_text

from .ledgers import APPS, CASES, OUTAGES_2026, PAUSES

CHINA = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=CHINA)


@pytest.fixture(autouse=True)
def _no_board_cache(settings):
    """Pages build their board on every view here (tests read it from the response context)."""
    settings.GETPOWER_COCKPIT_CACHE_SECONDS = 0
    settings.GETPOWER_COCKPIT_RECHECK_SECONDS = 0


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(services, "now", lambda: NOW)
    return NOW


@pytest.fixture
def ledgers(province, fixed_now):
    import_text("outages", OUTAGES_2026, name="outages.csv")
    import_text("applications", APPS, name="apps.csv")
    import_text("application_pauses", PAUSES, name="pauses.csv")
    import_text("arrears_cases", CASES, name="cases.csv")
    return province


def evaluate_month(month: str) -> dict:
    """The three evaluations the cockpit is built from, for October or November 2026."""
    from getpower.arrears import services as arrears
    from getpower.connections import services as connections
    from getpower.outages import services as outages

    if month == "2026-10":
        return {"R3": outages.evaluate(dt.date(2026, 10, 31)).run,
                "R2": connections.evaluate(dt.datetime(2026, 10, 20, 12, tzinfo=CHINA)).run}
    return {"R3": outages.evaluate(dt.date(2026, 11, 25)).run,
            "R2": connections.evaluate(dt.datetime(2026, 11, 20, 12, tzinfo=CHINA)).run,
            "R4": arrears.evaluate(dt.datetime(2026, 11, 26, 12, tzinfo=CHINA)).run}


@pytest.fixture
def evaluated(ledgers):
    october = evaluate_month("2026-10")
    november = evaluate_month("2026-11")
    return {"2026-10": october, "2026-11": november, "province": ledgers}
