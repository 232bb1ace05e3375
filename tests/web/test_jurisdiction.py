"""A user cannot read or change another company's data through pages, API or exports."""

from __future__ import annotations

import base64

import pytest

from getpower.core.scope import Role, scope_for
from getpower.grid.models import Asset


def login(client, province, username):
    assert client.login(username=username, password=province.password)
    return client


def basic(username, password):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


@pytest.mark.django_db
def test_roles_follow_the_organisation(province):
    u = province.users
    assert scope_for(u["admin"]).role == Role.ADMIN
    assert scope_for(u["regulator"]).role == Role.REGULATOR
    assert scope_for(u["bureau"]).role == Role.PROVINCIAL_BUREAU
    assert scope_for(u["km_authority"]).role == Role.PREFECTURE_AUTHORITY
    assert scope_for(u["wh_authority"]).role == Role.COUNTY_AUTHORITY
    assert scope_for(u["kmpg"]).role == Role.SUPPLIER_PREFECTURE
    assert scope_for(u["whpg"]).role == Role.SUPPLIER_COUNTY


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username,visible",
    [
        ("regulator", {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1", "BS-L1", "BS-T1"}),
        ("bureau", {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1", "BS-L1", "BS-T1"}),
        ("km_authority", {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1"}),
        ("wh_authority", {"WH-L1", "WH-T1", "WH-T2"}),
        ("ynpg", {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1"}),  # 保山电力 is not under 云南电网
        ("kmpg", {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1"}),
        ("whpg", {"WH-L1", "WH-T1", "WH-T2"}),
        ("plpg", {"PL-L1", "PL-T1"}),
        ("bsdl", {"BS-L1", "BS-T1"}),
    ],
)
def test_each_role_sees_its_jurisdiction_in_pages_api_and_export(client, province, username, visible):
    login(client, province, username)
    api = client.get("/api/assets?limit=1000").json()
    assert {a["asset_id"] for a in api["items"]} == visible
    export = client.get("/assets/export.csv").getvalue().decode("utf-8-sig")
    assert {line.split(",")[0] for line in export.splitlines()[1:]} == visible
    page = client.get("/assets/").content.decode()
    for asset in Asset.objects.all():
        assert (f">{asset.asset_id}<" in page) == (asset.asset_id in visible)
    for asset in Asset.objects.all():
        expected = 200 if asset.asset_id in visible else 404
        assert client.get(f"/assets/{asset.pk}/").status_code == expected
        assert client.get(f"/api/assets/{asset.pk}").status_code == expected


@pytest.mark.django_db
def test_api_token_is_scoped_the_same_way(client, province):
    from getpower.core import tokens
    from getpower.core.models import Organisation

    other = Asset.objects.get(asset_id="PL-T1")
    _, secret = tokens.issue(org=Organisation.objects.get(org_code="WHPG"), name="t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(f"/api/assets/{other.pk}", **headers).status_code == 404
    assert client.get("/api/assets", **headers).json()["count"] == 3
    assert client.get("/api/assets").status_code == 401


@pytest.mark.django_db
def test_api_no_longer_takes_personal_passwords(client, province):
    """HTTP Basic with a person's password is gone from the API (organisations use API tokens)."""
    assert client.get("/api/assets", **basic("whpg", province.password)).status_code == 401


@pytest.mark.django_db
def test_supplier_cannot_change_another_companys_data(client, province):
    login(client, province, "whpg")
    csv_text = ("asset_id,asset_type,name,company,county_code,line_id,rated_kva,users\n"
                "PL-T1,tq,改名,PLPG,530103,PL-L1,400,1\n")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/api/ledgers/assets/file",
                           {"file": SimpleUploadedFile("x.csv", csv_text.encode())})
    assert response.status_code == 422
    assert "无权提交" in response.json()["errors"][0]["reason"]
    response = client.post("/api/ledgers/assets/rows", data=[{"asset_id": "PL-T1", "asset_type": "tq", "name": "改名",
                           "company": "PLPG", "county_code": "530103", "line_id": "PL-L1", "rated_kva": 400,
                           "users": 1}], content_type="application/json")
    assert response.status_code == 422
    client.post("/imports/", {"ledger": "assets", "file": SimpleUploadedFile("x.csv", csv_text.encode())})
    assert Asset.objects.get(asset_id="PL-T1").name == "盘龙一号台区"


@pytest.mark.django_db
def test_supplier_can_change_its_own_and_subordinate_data(client, province):
    login(client, province, "kmpg")
    response = client.post("/api/ledgers/assets/rows", data=[{"asset_id": "PL-T1", "asset_type": "tq", "name": "新名",
                           "company": "PLPG", "county_code": "530103", "line_id": "PL-L1", "rated_kva": 400,
                           "users": 95}], content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1
    assert Asset.objects.get(asset_id="PL-T1").users == 95


@pytest.mark.django_db
def test_authorities_cannot_submit_ledgers(client, province):
    login(client, province, "wh_authority")
    response = client.post("/api/ledgers/assets/rows", data=[{"asset_id": "WH-T9", "asset_type": "tq", "name": "x",
                           "company": "WHPG", "county_code": "530102", "line_id": "WH-L1", "rated_kva": 1,
                           "users": 1}], content_type="application/json")
    assert response.status_code == 422


@pytest.mark.django_db
def test_import_jobs_of_others_are_not_visible(client, province):
    from getpower.core.models import ImportJob

    login(client, province, "plpg")
    job = ImportJob.objects.filter(ledger="assets").first()  # made by the system, not this user
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.get(f"/api/imports/{job.pk}").status_code == 404


@pytest.mark.django_db
def test_audit_page_is_for_regulators(client, province):
    login(client, province, "whpg")
    assert client.get("/audit/").status_code == 403
    client.logout()
    login(client, province, "regulator")
    page = client.get("/audit/?object_type=core.organisation").content.decode()
    assert "WHPG" in page


@pytest.mark.django_db
def test_rulebook_changes_only_by_admin_and_audited(client, province):
    from getpower.core.models import AuditLog
    from getpower.rulebook.services import rulebook_at

    login(client, province, "regulator")
    assert client.post("/rulebook/", {"min_minutes": "5", "effective_from": "2026-01-01",
                                      "reason": "x"}).status_code == 403
    client.logout()
    login(client, province, "admin")
    client.post("/rulebook/", {"min_minutes": "5", "effective_from": "2026-06-01", "reason": "测试", "note": "n"})
    import datetime as dt

    assert rulebook_at(dt.date(2026, 6, 1))["min_minutes"] == 5
    assert rulebook_at(dt.date(2026, 5, 31))["min_minutes"] == 3
    assert rulebook_at(dt.date(2026, 6, 1)).version == 2
    assert AuditLog.objects.filter(object_type="rulebook.version", object_id="2").exists()


@pytest.mark.django_db
def test_pages_render_for_every_role(client, province):
    for username in province.users:
        client.logout()
        login(client, province, username)
        for url in ("/", "/assets/", "/imports/", "/calendar/", "/rulebook/", "/dictionary/"):
            assert client.get(url).status_code == 200, (username, url)


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get("/assets/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/docs").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("params,company,expected", [
    ({"prefecture": "530100"}, "company", {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1"}),
    ({"prefecture": "530100", "county": "530103"}, "company", {"PL-L1", "PL-T1"}),
    ({"company": "BSDL"}, "company", {"BS-L1", "BS-T1"}),
    ({"prefecture": "530100", "company": "BSDL"}, "company", set()),
    ({"company": "BSDL"}, None, {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1", "BS-L1", "BS-T1"}),  # not asked for
    ({"prefecture": "", "county": ""}, "company", {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1", "BS-L1", "BS-T1"}),
])
def test_area_filters_of_a_list(province, params, company, expected):
    """The prefecture / county / company filters every list takes from the cockpit's links."""
    from getpower.core.scope import filter_by_area

    assert set(filter_by_area(Asset.objects.all(), params, company=company).values_list("asset_id", flat=True)) == (
        expected)


@pytest.mark.django_db
def test_area_filters_narrow_the_scope_never_widen_it(province, client):
    login(client, province, "whpg")
    assert "WH-T1" in client.get("/assets/?prefecture=530100").content.decode()
    response = client.get("/assets/?prefecture=530500")
    assert response.status_code == 200
    assert "BS-T1" not in response.content.decode() and "WH-T1" not in response.content.decode()
