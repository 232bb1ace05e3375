"""A user cannot read or change another company's data through pages, API or exports."""

from __future__ import annotations

import base64
import re

import pytest

from getpower.core.scope import Role, scope_for
from getpower.grid.models import Asset
from tests.factories import build_province

pytestmark = pytest.mark.shared_data(build=build_province)  # one province for the module (tests/conftest.py)


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


# tests/factories.py ASSETS: (name, line or 台区, users, prefecture)
ASSET_FACTS = {
    "WH-L1": ("五华10kV一回线", "line", 0, "昆明市"), "WH-T1": ("五华一号台区", "tq", 120, "昆明市"),
    "WH-T2": ("五华二号台区", "tq", 200, "昆明市"), "PL-L1": ("盘龙10kV一回线", "line", 0, "昆明市"),
    "PL-T1": ("盘龙一号台区", "tq", 90, "昆明市"), "BS-L1": ("隆阳10kV一回线", "line", 0, "保山市"),
    "BS-T1": ("隆阳一号台区", "tq", 60, "保山市"),
}
# (organisation, role as the header names it, the assets the role sees) — written out by hand
ROLE_VIEWS = {
    "admin": ("", "平台管理员", set(ASSET_FACTS)),
    "regulator": ("国家能源局云南监管办", "国家能源局云南监管办", set(ASSET_FACTS)),
    "bureau": ("云南省能源局", "省能源局", set(ASSET_FACTS)),
    "km_authority": ("昆明市能源局", "州市能源主管部门", {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1"}),
    "wh_authority": ("五华区能源局", "县区能源主管部门", {"WH-L1", "WH-T1", "WH-T2"}),
    "px_authority": ("盘龙区能源局", "县区能源主管部门", {"PL-L1", "PL-T1"}),
    "ynpg": ("云南电网有限责任公司", "供电企业（省级）", {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1"}),
    "kmpg": ("昆明供电局", "供电企业（州市级）", {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1"}),
    "whpg": ("五华供电局", "供电企业（县级）", {"WH-L1", "WH-T1", "WH-T2"}),
    "plpg": ("盘龙供电局", "供电企业（县级）", {"PL-L1", "PL-T1"}),
    "bsdl": ("保山电力股份有限公司", "供电企业（州市级）", {"BS-L1", "BS-T1"}),
}


def page_text(response) -> str:
    html = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.django_db
def test_pages_render_for_every_role(client, province):
    """Each role's pages name the reader (organisation and role), show the figures of its own jurisdiction
    and nothing of the assets outside it; the administrator alone gets the forms that change the calendar
    and the rulebook."""
    assert set(ROLE_VIEWS) == set(province.users)
    for username, (organisation, role, visible) in ROLE_VIEWS.items():
        client.logout()
        login(client, province, username)
        foreign = set(ASSET_FACTS) - visible
        for url in ("/", "/assets/", "/imports/", "/calendar/", "/rulebook/", "/dictionary/"):
            response = client.get(url)
            assert response.status_code == 200, (username, url)
            who = page_text(response).split("退出")[0]
            assert f"{organisation} · {role} · {username}" in who, (username, url, who[-80:])
            text = page_text(response)
            for asset_id in foreign:
                assert asset_id not in text and ASSET_FACTS[asset_id][0] not in text, (username, url, asset_id)
        # the home page's figures are the jurisdiction's: lines, 台区, their users, by prefecture
        home = client.get("/")
        facts = [ASSET_FACTS[a] for a in visible]
        assert home.context["totals"]["lines"] == sum(kind == "line" for _, kind, _, _ in facts), username
        assert home.context["totals"]["tqs"] == sum(kind == "tq" for _, kind, _, _ in facts), username
        assert home.context["totals"]["users"] == sum(users for _, _, users, _ in facts), username
        by_prefecture = {row["name"]: row["tqs"] for row in home.context["rows"]}
        assert set(by_prefecture) == {prefecture for *_, prefecture in facts}, username
        cards = page_text(home)
        assert f"{home.context['totals']['tqs']} 台区 {home.context['totals']['users']} 台区用户" in cards, username
        # the asset list holds exactly the jurisdiction's assets
        listed = page_text(client.get("/assets/"))
        assert f"共 {len(visible)} 条" in listed, username
        assert all(asset_id in listed for asset_id in visible), username
        # only the administrator changes the calendar and the rulebook
        admin = username == "admin"
        assert ("载入新年度安排" in page_text(client.get("/calendar/"))) == admin, username
        assert ('name="effective_from"' in client.get("/rulebook/").content.decode()) == admin, username


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get("/assets/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/docs").status_code == 200


ALL_ASSETS = {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1", "BS-L1", "BS-T1"}


@pytest.mark.django_db
@pytest.mark.parametrize("params,expected", [
    ({"prefecture": "530100"}, {"WH-L1", "WH-T1", "WH-T2", "PL-L1", "PL-T1"}),
    ({"prefecture": "530100", "county": "530103"}, {"PL-L1", "PL-T1"}),
    ({"company": "BSDL"}, {"BS-L1", "BS-T1"}),
    ({"prefecture": "530100", "company": "BSDL"}, set()),
    ({"prefecture": "", "county": ""}, ALL_ASSETS),
])
def test_area_filters_of_a_list(province, client, params, expected):
    """The prefecture / county / company filters every list takes from the cockpit's links: the area
    filters of the one list-page pattern (core/lists.py ``AreaFilterSet``), here on the asset list."""
    login(client, province, "regulator")
    response = client.get("/assets/", {**params, "per_page": 200})
    assert response.status_code == 200
    assert {a.asset_id for a in response.context["page"]} == expected


@pytest.mark.django_db
def test_area_filters_narrow_the_scope_never_widen_it(province, client):
    login(client, province, "whpg")
    assert "WH-T1" in client.get("/assets/?prefecture=530100").content.decode()
    response = client.get("/assets/?prefecture=530500")
    assert response.status_code == 200
    assert "BS-T1" not in response.content.decode() and "WH-T1" not in response.content.decode()
