"""Shared test set-up: browser launch options, required-mode policy, and a small province."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ALL = bool(os.environ.get("GETPOWER_REQUIRE_ALL"))
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.path.name
        # pure rule-engine tests never touch the operational database
        if name.startswith("test_r") and name.endswith("_rules.py"):
            item.add_marker(pytest.mark.engine)
        if "browser" in item.keywords and not os.path.exists(CHROMIUM):
            if REQUIRE_ALL:
                item.add_marker(pytest.mark.xfail(reason="Chromium missing", strict=True, run=False))
            else:
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not installed (make system-deps)"))
        if "spark" in item.keywords and shutil.which("java") is None:
            if not REQUIRE_ALL:
                item.add_marker(pytest.mark.skip(reason="no Java runtime for Spark (make system-deps)"))


def pytest_configure(config):
    config.addinivalue_line("markers", "engine: a pure rule-engine test (no operational database)")


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
    settings.GETPOWER_IMPORT_SYNC = True
    settings.GETPOWER_JOBS_SYNC = True  # jobs run inline, in the test's process and transaction
    # fixtures evaluate at fixed days: no automatic re-evaluation after their imports (tests/jobs turn it on)
    settings.GETPOWER_REEVALUATE_ON_IMPORT = False
    # the production hasher costs ~0.3 s a password: too slow for dozens of test users
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # login throttling off: the test client's login() calls authenticate() without a request, which axes
    # refuses; tests/core/test_login_security.py turns it on (the `axes_on` fixture there)
    settings.AXES_ENABLED = False


@pytest.fixture
def province(db):
    from tests.factories import build_province

    return build_province()
