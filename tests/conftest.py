"""Shared test set-up: the markers' policy, browser launch options, the test settings, and the small
province — built per test, or once per module where the module shares it (``shared_data``).

Markers (pyproject.toml; every module marks itself, ``--strict-markers``):

- ``engine``: pure rule-engine tests; they never touch the operational database (checked below), so the
  PostgreSQL pass leaves them out.
- ``spark``, ``browser``, ``worker``: need Java, Chromium, real worker processes. Missing Java or Chromium
  skips them, except in required mode (``CI=1`` / ``GETPOWER_REQUIRE_ALL``), where they fail.
- ``postgres``: only meaningful on PostgreSQL; skipped on SQLite (the PostgreSQL pass runs them, and it is
  required in required mode).
- ``shared_data(build=f)``: the module's database tests share the data ``f()`` makes, built once per
  module (and per xdist worker) inside a transaction that is rolled back after the module; each test runs
  in a savepoint inside it, so its writes are gone before the next test starts.
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest

REQUIRE_ALL = bool(os.environ.get("GETPOWER_REQUIRE_ALL"))
CHROMIUM = "/usr/bin/chromium"

# The settings of every test (applied per test by `_test_settings`, and while a module's shared data is built).
TEST_SETTINGS = {
    "GETPOWER_IMPORT_SYNC": True,
    "GETPOWER_JOBS_SYNC": True,  # jobs run inline, in the test's process and transaction
    # fixtures evaluate at fixed days: no automatic re-evaluation after their imports (tests/jobs turn it on)
    "GETPOWER_REEVALUATE_ON_IMPORT": False,
    # the production hasher costs ~0.3 s a password: too slow for dozens of test users
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    # login throttling off: the test client's login() calls authenticate() without a request, which axes
    # refuses; tests/core/test_login_security.py turns it on (the `axes_on` fixture there)
    "AXES_ENABLED": False,
}

_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    names = set(getattr(item, "fixturenames", ()))
    return bool({"transactional_db", "live_server", "django_db_reset_sequences"} & names) or bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))


def _uses_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(_DB_FIXTURES & set(getattr(item, "fixturenames", ())))


def _on_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    postgres = any(item.get_closest_marker("postgres") for item in items) and _on_postgres()
    misuse = []
    for item in items:
        if item.get_closest_marker("engine") and _uses_database(item):
            misuse.append(f"{item.nodeid}: an `engine` test must not use the operational database")
        if item.get_closest_marker("shared_data") and _is_transactional(item):
            misuse.append(f"{item.nodeid}: a transactional test cannot run inside its module's shared data "
                          "(give it a module of its own)")
        if not REQUIRE_ALL:  # in required mode a missing tool fails the test (pytest_runtest_setup)
            if item.get_closest_marker("browser") and not os.path.exists(CHROMIUM):
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not installed (make system-deps)"))
            if item.get_closest_marker("spark") and shutil.which("java") is None:
                item.add_marker(pytest.mark.skip(reason="no Java runtime for Spark (make system-deps)"))
        if item.get_closest_marker("postgres") and not postgres:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only (the PostgreSQL pass runs it)"))
    if misuse:
        raise pytest.UsageError("\n".join(misuse))


def pytest_runtest_setup(item):
    if not REQUIRE_ALL:
        return
    if item.get_closest_marker("browser") and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is required (CI / GETPOWER_REQUIRE_ALL) but not installed", pytrace=False)
    if item.get_closest_marker("spark") and shutil.which("java") is None:
        pytest.fail("a Java runtime for Spark is required (CI / GETPOWER_REQUIRE_ALL) but not installed",
                    pytrace=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"],
    }


@pytest.fixture(autouse=True)
def _test_settings(settings):
    for name, value in TEST_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture(scope="module", autouse=True)
def shared_data(request):
    """What the module's ``shared_data(build=f)`` marker builds, once per module; ``None`` elsewhere.

    The transaction is opened before any test of the module opens its own (pytest sets up module-scoped
    fixtures first), so every test's transaction is a savepoint inside it."""
    marker = request.node.get_closest_marker("shared_data")
    if marker is None:
        yield None
        return
    from django.db import transaction
    from django.test import override_settings

    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    atomic = transaction.atomic()
    with blocker.unblock():
        atomic.__enter__()
        try:
            with override_settings(**TEST_SETTINGS):
                data = marker.kwargs["build"]()
        except BaseException:
            atomic.__exit__(*sys.exc_info())
            raise
    try:
        yield data
    finally:
        with blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def province(db, shared_data):
    """The test province (tests/factories.py): the module's shared one with its users read afresh (a test's
    changes to them are rolled back with the test), or one built for this test."""
    from tests.factories import Province, build_province

    shared = shared_data.get("province") if isinstance(shared_data, dict) else shared_data
    if isinstance(shared, Province):
        return shared.fresh()
    return build_province()
