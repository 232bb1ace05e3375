"""Shared set-up of the browser tests: the live province and logging in and out through the page."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Django live-server tests with sync Playwright

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from getpower.core.models import Region  # noqa: E402
from tests.factories import PASSWORD  # noqa: E402


@pytest.fixture
def province_live(transactional_db, live_server):
    from tests.factories import build_province

    # reference data come from post_migrate, re-emitted after each transactional flush
    assert Region.objects.filter(code="530102", level="county").exists()
    assert Region.objects.filter(level="prefecture").count() == 16
    return build_province()


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")
    expect(page.locator("header .who")).to_contain_text(username)


def logout(page: Page, base: str) -> None:
    page.locator("header .who form button", has_text="退出").click()
    page.wait_for_url(f"{base}/login/")
    expect(page.locator("header .who")).not_to_contain_text("退出")
