"""API tokens per organisation (issue 12, defect 7): the JSON import channel works from another system.

The suite's default test client skips CSRF checks, which hid defect 7: these tests use
``Client(enforce_csrf_checks=True)`` as a real client would be treated."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client
from django.utils import timezone
from typer.testing import CliRunner

from getpower.cli import app
from getpower.core import tokens
from getpower.core.models import ApiToken, AuditLog, ImportJob, Organisation
from getpower.grid.models import Asset
from tests.factories import build_province

pytestmark = pytest.mark.shared_data(build=build_province)  # one province for the module (tests/conftest.py)

runner = CliRunner()


def row(asset_id="WH-T1", company="WHPG", county="530102", line="WH-L1", users=150, name="五华一号台区"):
    return {"asset_id": asset_id, "asset_type": "tq", "name": name, "company": company, "county_code": county,
            "line_id": line, "rated_kva": 400, "users": users}


def shown_secret(page: str) -> str:
    return re.search(r'id="api-token"[^>]*value="([^"]+)"', page).group(1)


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def whpg_token(province):
    return tokens.issue(org=Organisation.objects.get(org_code="WHPG"), name="营销系统")


@pytest.mark.django_db
def test_a_bearer_token_imports_json_rows_without_csrf(csrf_client, whpg_token):
    token, secret = whpg_token
    response = csrf_client.post("/api/ledgers/assets/rows", data=[row(users=150)], content_type="application/json",
                                **bearer(secret))
    assert response.status_code == 200, response.content
    assert response.json()["updated"] == 1
    assert Asset.objects.get(asset_id="WH-T1").users == 150
    # attributed to the token, in the job and in the audit rows it caused
    job = ImportJob.objects.get(pk=response.json()["job"])
    assert job.actor == "API令牌“营销系统”（WHPG）" and job.channel == "api"
    change = AuditLog.objects.filter(job=job).exclude(action="import").first() or AuditLog.objects.filter(job=job).first()
    assert change is not None and "营销系统" in change.actor
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_a_bearer_token_imports_outages_too(csrf_client, whpg_token):
    from getpower.outages.models import Outage

    _, secret = whpg_token
    outage = {"event_id": "E-1", "company": "WHPG", "asset_type": "tq", "asset_id": "WH-T1",
              "start_time": "2026-03-01 08:00", "end_time": "2026-03-01 10:00", "kind": "fault"}
    response = csrf_client.post("/api/ledgers/outages/rows", data=[outage], content_type="application/json",
                                **bearer(secret))
    assert response.status_code == 200, response.content
    assert response.json()["added"] == 1 and Outage.objects.filter(event_id="E-1").exists()


@pytest.mark.django_db
def test_token_requests_read_as_the_organisation(client, whpg_token):
    _, secret = whpg_token
    me = client.get("/api/me", **bearer(secret)).json()
    assert me["organisation"] == "WHPG" and me["role"] == "supplier_county"


@pytest.mark.django_db
def test_the_browser_session_keeps_its_csrf_check(csrf_client, province):
    csrf_client.force_login(province.users["whpg"])
    response = csrf_client.post("/api/ledgers/assets/rows", data=[row(users=151)], content_type="application/json")
    assert response.status_code == 403
    csrf_client.get("/login/")
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post("/api/ledgers/assets/rows", data=[row(users=151)], content_type="application/json",
                                HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_revoked_expired_and_unknown_tokens_get_401(csrf_client, whpg_token):
    token, secret = whpg_token
    assert csrf_client.get("/api/assets", **bearer(secret)).status_code == 200
    assert tokens.revoke(token)
    for method in (csrf_client.get, csrf_client.post):
        assert method("/api/ledgers/", **bearer(secret)).status_code in (401, 405)
    response = csrf_client.post("/api/ledgers/assets/rows", data=[row()], content_type="application/json",
                                **bearer(secret))
    assert response.status_code == 401 and "令牌" in response.json()["detail"]

    token2, secret2 = tokens.issue(org=token.organisation, name="短期")
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert csrf_client.get("/api/assets", **bearer(secret2)).status_code == 401
    assert csrf_client.get("/api/assets", **bearer(secret2[:-2] + "xx")).status_code == 401
    assert csrf_client.get("/api/assets", **bearer("gp_00000000_nothing")).status_code == 401
    assert csrf_client.get("/api/assets", **bearer("junk")).status_code == 401


@pytest.mark.django_db
def test_a_token_of_company_a_cannot_read_or_write_company_b(csrf_client, whpg_token):
    _, secret = whpg_token
    other = Asset.objects.get(asset_id="PL-T1")
    assert csrf_client.get(f"/api/assets/{other.pk}", **bearer(secret)).status_code == 404
    assert {a["asset_id"] for a in csrf_client.get("/api/assets", **bearer(secret)).json()["items"]} == {
        "WH-L1", "WH-T1", "WH-T2"}
    response = csrf_client.post("/api/ledgers/assets/rows", content_type="application/json", **bearer(secret),
                                data=[row("PL-T1", "PLPG", "530103", "PL-L1", 1, "改名")])
    assert response.status_code == 422
    assert "无权提交" in response.json()["errors"][0]["reason"]
    assert Asset.objects.get(asset_id="PL-T1").name == "盘龙一号台区"


@pytest.mark.django_db
def test_only_the_hash_of_a_token_is_stored(whpg_token):
    token, secret = whpg_token
    assert secret.startswith(f"gp_{token.prefix}_") and len(secret) > 40
    assert token.key_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(secret not in str(value) for value in stored.values())
    assert not AuditLog.objects.filter(after__icontains=secret.split("_", 2)[2]).exists()


@pytest.mark.django_db
def test_failed_tokens_lock_the_address(csrf_client, whpg_token, settings):
    settings.AXES_ENABLED = True
    settings.GETPOWER_LOGIN_ADDRESS_FAILURE_LIMIT = 3
    _, secret = whpg_token
    statuses = [csrf_client.get("/api/assets", **bearer(f"gp_0000000{i}_guess")).status_code for i in range(3)]
    assert statuses == [401, 401, 429]
    assert csrf_client.get("/api/assets", **bearer(secret)).status_code == 429
    assert AuditLog.objects.filter(object_type="auth.lockout", object_id="127.0.0.1", action="lockout").exists()


@pytest.mark.django_db
def test_cli_creates_lists_and_revokes_tokens(province):
    result = runner.invoke(app, ["token", "create", "--org", "WHPG", "--name", "调度系统", "--days", "30"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert secret.startswith(f"gp_{token.prefix}_")
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    assert Client().get("/api/assets", **bearer(secret)).status_code == 200
    listing = runner.invoke(app, ["token", "list", "--format", "csv"])
    assert listing.exit_code == 0 and token.prefix in listing.stdout and secret not in listing.stdout
    assert "有效" in listing.stdout
    assert runner.invoke(app, ["token", "revoke", token.prefix]).exit_code == 0
    assert Client().get("/api/assets", **bearer(secret)).status_code == 401
    assert runner.invoke(app, ["token", "revoke", "nope"]).exit_code == 1
    assert runner.invoke(app, ["token", "create", "--org", "NOPE", "--name", "x"]).exit_code == 2
    assert runner.invoke(app, ["token", "create", "--org", "WHPG", "--name", "x", "--days", "0"]).exit_code == 2
    actions = list(AuditLog.objects.filter(object_type="core.apitoken").values_list("action", flat=True))
    assert sorted(actions) == ["create", "revoke"]


@pytest.mark.django_db
def test_the_organisation_admin_manages_its_own_tokens(client, province):
    from getpower.core.models import Profile

    client.force_login(province.users["whpg"])
    assert client.get("/account/tokens/").status_code == 403  # not an organisation admin
    Profile.objects.filter(user=province.users["whpg"]).update(is_org_admin=True)
    assert "API 令牌" in client.get("/").content.decode()
    page = client.post("/account/tokens/", {"name": "报装系统", "days": "90"})
    assert page.status_code == 200
    token = ApiToken.objects.get()
    assert token.organisation.org_code == "WHPG" and token.created_by == province.users["whpg"]
    text = page.content.decode()
    secret = shown_secret(text)
    assert secret.startswith(f"gp_{token.prefix}_") and "只显示这一次" in text
    assert Client().get("/api/assets", **bearer(secret)).status_code == 200
    listing = client.get("/account/tokens/").content.decode()
    assert token.prefix in listing and secret not in listing
    assert client.post("/account/tokens/", {"name": "", "days": "90"}).status_code == 200
    assert ApiToken.objects.count() == 1
    assert client.post(f"/account/tokens/{token.prefix}/revoke/").status_code == 302
    assert Client().get("/api/assets", **bearer(secret)).status_code == 401
    # another organisation's admin cannot touch it
    other = province.users["plpg"]
    Profile.objects.filter(user=other).update(is_org_admin=True)
    client.force_login(other)
    assert client.post(f"/account/tokens/{token.prefix}/revoke/").status_code == 404


@pytest.mark.django_db
def test_the_platform_admin_creates_tokens_in_the_django_admin(client, province):
    client.force_login(province.users["admin"])
    org = Organisation.objects.get(org_code="KMPG")
    page = client.post("/admin/core/apitoken/add/", {"organisation": org.pk, "name": "省级平台", "days": "365"})
    assert page.status_code == 200, page.content.decode()[:2000]
    token = ApiToken.objects.get()
    secret = shown_secret(page.content.decode())
    assert secret.startswith(f"gp_{token.prefix}_")
    assert token.created_by == province.users["admin"]
    assert Client().get("/api/assets", **bearer(secret)).json()["count"] == 5  # 昆明 and the bureaus under it
    response = client.post("/admin/core/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
