"""Authentication hardening (issue 12, defect 4): throttled logins, password rules, production settings."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from getpower.cli import app
from getpower.core.models import AuditLog
from tests.factories import build_province

pytestmark = pytest.mark.shared_data(build=build_province)  # one province for the module (tests/conftest.py)

runner = CliRunner()
WRONG = "not-the-password"


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.GETPOWER_LOGIN_ADDRESS_FAILURE_LIMIT = 20
    return settings


def post_login(client, username, password, url="/login/"):
    return client.post(url, {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def lockouts(key):
    return AuditLog.objects.filter(object_type="auth.lockout", object_id=key, action="lockout")


@pytest.mark.django_db
def test_six_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(client, province, axes_on):
    statuses = [post_login(client, "whpg", WRONG).status_code for _ in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]  # the 5th failure locks
    response = post_login(client, "whpg", province.password)
    assert response.status_code == 429
    assert not logged_in(client)
    page = response.content.decode()
    assert "登录已锁定" in page and "15 分钟" in page
    assert response["Retry-After"] == "900"
    # audited once (the refused attempts during the lock do not write more rows)
    row = lockouts("whpg").get()
    assert row.after["kind"] == "account" and row.after["failures"] == 5
    assert row.organisation.org_code == "WHPG"


@pytest.mark.django_db
def test_other_accounts_from_the_same_address_still_log_in(client, province, axes_on):
    for _ in range(5):
        post_login(client, "whpg", WRONG)
    response = post_login(client, "plpg", province.password)
    assert response.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_an_address_is_locked_after_its_own_limit(client, province, axes_on):
    axes_on.GETPOWER_LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for username in ["a", "b", "c", "d", "e", "f", "g"]:
        assert post_login(client, username, WRONG).status_code == 200
    assert post_login(client, "h", WRONG).status_code == 429
    assert post_login(client, "kmpg", province.password).status_code == 429
    assert lockouts("127.0.0.1").get().after["kind"] == "address"
    assert runner.invoke(app, ["unlock", "--ip", "127.0.0.1"]).exit_code == 0
    assert post_login(client, "kmpg", province.password).status_code == 302


@pytest.mark.django_db
def test_the_django_admin_login_is_throttled_too(client, province, axes_on):
    statuses = [post_login(client, "admin", WRONG, "/admin/login/").status_code for _ in range(5)]
    assert statuses[-1] == 429
    assert post_login(client, "admin", province.password, "/admin/login/").status_code == 429
    assert lockouts("admin").exists()


@pytest.mark.django_db
def test_cli_unlock_lifts_the_lock_and_is_audited(client, province, axes_on):
    for _ in range(5):
        post_login(client, "whpg", WRONG)
    result = runner.invoke(app, ["unlock", "whpg"])
    assert result.exit_code == 0, result.output
    assert "已解除" in result.output
    unlock = AuditLog.objects.get(object_type="auth.lockout", object_id="whpg", action="unlock")
    assert unlock.after["attempts_removed"] >= 1
    assert post_login(client, "whpg", province.password).status_code == 302
    # nothing to lift: exit 1, nothing written
    result = runner.invoke(app, ["unlock", "nobody"])
    assert result.exit_code == 1
    assert not AuditLog.objects.filter(object_id="nobody").exists()
    assert runner.invoke(app, ["unlock"]).exit_code == 2


@pytest.mark.django_db
def test_lockouts_are_listed_in_the_django_admin_and_deleting_one_lifts_it(client, province, axes_on):
    from axes.models import AccessAttempt

    for _ in range(5):
        post_login(client, "whpg", WRONG)
    admin_client = type(client)()
    admin_client.force_login(province.users["admin"])
    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "whpg" in listing.content.decode()
    ids = list(AccessAttempt.objects.filter(username="whpg").values_list("pk", flat=True))
    response = admin_client.post("/admin/axes/accessattempt/",
                                 {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert response.status_code == 302
    row = AuditLog.objects.get(object_type="auth.lockout", object_id="whpg", action="unlock")
    assert row.actor == "admin" and "管理后台" in row.reason
    assert post_login(client, "whpg", province.password).status_code == 302


@pytest.mark.django_db
def test_a_new_lock_after_an_unlock_is_audited_again(client, province, axes_on):
    from getpower.core.lockout import unlock

    for _ in range(5):
        post_login(client, "whpg", WRONG)
    unlock(username="whpg")
    for _ in range(5):
        post_login(client, "whpg", WRONG)
    assert lockouts("whpg").count() == 2


# -- passwords -------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("password", ["12345678", "password", "1234567890", "short1!", "password123", "whpg-whpg"])
def test_weak_passwords_are_refused(province, password):
    from getpower.core.services import create_user

    with pytest.raises(ValueError, match="密码不符合要求"):
        create_user(username="whpg-whpg", password=password, org_code="WHPG")


@pytest.mark.django_db
def test_the_demo_password_passes_the_validators(province):
    from getpower.core.services import create_user
    from getpower.synthetic.demo import DEMO_PASSWORD, DEMO_USERS

    for username in DEMO_USERS:
        create_user(username=f"{username}2", password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_createuser_validates_the_password(province):
    result = runner.invoke(app, ["createuser", "newuser", "--password", "12345678", "--org", "WHPG"])
    assert result.exit_code == 1
    assert "密码太短，至少需要 10 个字符" in result.output and "这个密码太常见了" in result.output
    result = runner.invoke(app, ["createuser", "newuser", "--password", "Kunming-power-2026", "--org", "WHPG"])
    assert result.exit_code == 0, result.output


# -- production settings ---------------------------------------------------------------------------

def test_https_settings():
    from getpower.settings import https_settings

    on = https_settings({"GETPOWER_HTTPS": "1"})
    assert on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"]
    assert on["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert on["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert on["SECURE_SSL_REDIRECT"] is False and on["GETPOWER_TRUSTED_PROXIES"] == 1
    assert https_settings({"GETPOWER_HTTPS": "1", "GETPOWER_SSL_REDIRECT": "1"})["SECURE_SSL_REDIRECT"] is True
    off = https_settings({})
    assert not off["SESSION_COOKIE_SECURE"] and not off["CSRF_COOKIE_SECURE"] and off["SECURE_HSTS_SECONDS"] == 0
    assert off["GETPOWER_TRUSTED_PROXIES"] == 0


@pytest.mark.django_db
def test_https_mode_sends_secure_cookies_and_hsts(client, province, settings):
    from getpower.settings import https_settings

    for name, value in https_settings({"GETPOWER_HTTPS": "1"}).items():
        setattr(settings, name, value)
    page = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.cookies["csrftoken"]["secure"] is True
    response = client.post("/login/", {"username": "whpg", "password": province.password},
                           HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True


def test_client_address_behind_a_trusted_proxy(rf, settings):
    from getpower.core.lockout import client_ip

    settings.GETPOWER_TRUSTED_PROXIES = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.2.3", REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == "10.1.2.3"  # what the proxy saw; the forged left entry is ignored
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="junk", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"
    settings.GETPOWER_TRUSTED_PROXIES = 0
    assert client_ip(request) == "127.0.0.1"


def test_serve_refuses_the_development_key_and_debug(settings):
    from getpower.settings import DEV_SECRET_KEY
    from getpower.web.server import production_problems

    settings.SECRET_KEY, settings.DEBUG = DEV_SECRET_KEY, False
    assert any("SECRET_KEY" in p for p in production_problems())
    settings.SECRET_KEY = "k" * 50
    assert production_problems() == []
    settings.DEBUG = True
    assert any("调试" in p for p in production_problems())


@pytest.mark.django_db
def test_serve_command_exits_2_with_the_development_key(settings, monkeypatch):
    from getpower.settings import DEV_SECRET_KEY
    from getpower.web import server

    started = []
    monkeypatch.setattr(server, "run_server", lambda **kwargs: started.append(kwargs))
    settings.SECRET_KEY, settings.DEBUG = DEV_SECRET_KEY, False
    result = runner.invoke(app, ["serve", "--port", "8123"])
    assert result.exit_code == 2 and not started
    assert "拒绝启动" in result.output and "GETPOWER_SECRET_KEY" in result.output
    settings.SECRET_KEY = "k" * 50
    result = runner.invoke(app, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert started == [{"port": 8123, "threads": 8}]
