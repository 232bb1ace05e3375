"""The cockpit's test data: the test province with the small ledgers, evaluated in October and
November 2026, with the present fixed at 2026-11-27 (November is the running month).

The modules that read the evaluated months share them (``pytestmark = pytest.mark.shared_data(build=build_evaluated)``,
tests/conftest.py): built once per module, each test in a savepoint rolled back after it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from getpower.cockpit import services
from tests.factories import build_province, import_text

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


def import_ledgers() -> None:
    import_text("outages", OUTAGES_2026, name="outages.csv")
    import_text("applications", APPS, name="apps.csv")
    import_text("application_pauses", PAUSES, name="pauses.csv")
    import_text("arrears_cases", CASES, name="cases.csv")


def _evaluated_in(shared_data) -> bool:
    """Whether the module shares `build_evaluated`'s data (which holds the ledgers and the runs)."""
    return isinstance(shared_data, dict) and "2026-11" in shared_data


@pytest.fixture
def ledgers(province, fixed_now, shared_data):
    if not _evaluated_in(shared_data):
        import_ledgers()
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


def build_evaluated() -> dict:
    """The province, its ledgers and the runs of October and November 2026, as of the fixed present."""
    with pytest.MonkeyPatch.context() as patch, override_settings(GETPOWER_COCKPIT_CACHE_SECONDS=0,
                                                                  GETPOWER_COCKPIT_RECHECK_SECONDS=0):
        patch.setattr(services, "now", lambda: NOW)
        province = build_province()
        import_ledgers()
        return {"2026-10": evaluate_month("2026-10"), "2026-11": evaluate_month("2026-11"), "province": province}


@pytest.fixture
def evaluated(request, db, shared_data, fixed_now):
    """The evaluated months: the module's shared ones (runs and users read afresh), or built for this test."""
    if not _evaluated_in(shared_data):
        province = request.getfixturevalue("ledgers")
        return {"2026-10": evaluate_month("2026-10"), "2026-11": evaluate_month("2026-11"), "province": province}
    return {"2026-10": fresh_runs(shared_data["2026-10"]), "2026-11": fresh_runs(shared_data["2026-11"]),
            "province": shared_data["province"].fresh()}


def fresh_runs(runs: dict) -> dict:
    return {rule: type(run).objects.get(pk=run.pk) for rule, run in runs.items()}
