"""Fixtures of the pure R2 engine tests."""

import pytest

from getpower.workdays.shipped import shipped_calendar


@pytest.fixture(scope="session")
def shipped():
    """The 2025 and 2026 schedules shipped with the platform, read without the database."""
    return shipped_calendar()


@pytest.fixture(scope="module", params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def backend(request):
    """Every hand-computed case runs on both engines."""
    return request.param


@pytest.fixture(scope="module")
def duckdb_con():
    """One DuckDB connection for the property tests (connecting is cheap, compiling is not)."""
    from getpower.analytics import engine

    con = engine.connect("duckdb")
    yield con
    con.disconnect()
