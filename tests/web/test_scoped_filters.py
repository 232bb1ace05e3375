"""Filters and headings stay inside the user's jurisdiction: the import audit rows carry the company
whose rows were created (so the authority over it sees them), ``?company=`` names and filters only an
organisation in scope (else 404), and the asset list filters by it."""

from __future__ import annotations

import pytest

from getpower.core.models import AuditLog
from tests.factories import build_province, import_text
from tests.outages.fixtures import OUTAGES

pytestmark = pytest.mark.shared_data(build=build_province)  # one province for the module (tests/conftest.py)


def login(client, province, username):
    assert client.login(username=username, password=province.password)
    return client


@pytest.mark.django_db
def test_import_audit_rows_carry_each_company(client, province):
    """build_province imports one assets file spanning WHPG, PLPG and BSDL: one import row each."""
    rows = AuditLog.objects.filter(action="import", object_type="grid.asset")
    assert all(r.organisation is not None for r in rows)
    created: dict[str, int] = {}
    for r in rows:  # lines are written before the 台区 that name them: a row per company and step
        created[r.organisation.org_code] = created.get(r.organisation.org_code, 0) + r.after["created"]
    assert created == {"BSDL": 2, "PLPG": 2, "WHPG": 3}
    assert len({r.job_id for r in rows}) == 1

    def shown(username) -> set[str]:
        client.logout()
        login(client, province, username)
        response = client.get("/audit/", {"action": "import", "object_type": "grid.asset"})
        assert response.status_code == 200
        return {r.organisation.org_code for r in response.context["page"]}

    assert shown("wh_authority") == {"WHPG"}
    assert shown("km_authority") == {"WHPG", "PLPG"}
    assert shown("regulator") == {"WHPG", "PLPG", "BSDL"}


@pytest.mark.django_db
def test_records_heading_names_only_a_company_in_scope(client, province):
    import_text("outages", OUTAGES)
    login(client, province, "wh_authority")
    response = client.get("/outages/records/", {"company": "BSDL"})
    assert response.status_code == 404 and "保山电力" not in response.content.decode()
    assert client.get("/outages/records/", {"company": "NOSUCH"}).status_code == 404
    own = client.get("/outages/records/", {"company": "WHPG"})
    assert own.status_code == 200 and "停电记录 · 五华供电局" in own.content.decode()
    assert own.context["page"].paginator.count > 0


@pytest.mark.django_db
def test_asset_list_filters_by_company_in_scope(client, province):
    login(client, province, "km_authority")
    response = client.get("/assets/", {"company": "PLPG"})
    assert response.status_code == 200
    assert {a.asset_id for a in response.context["page"]} == {"PL-L1", "PL-T1"}
    assert "线路与台区 · 盘龙供电局" in response.content.decode()
    export = client.get("/assets/export.csv", {"company": "PLPG"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["PL-L1", "PL-T1"]
    assert client.get("/assets/", {"company": "BSDL"}).status_code == 404  # another prefecture's company
    client.logout()
    login(client, province, "kmpg")
    assert {a.asset_id for a in client.get("/assets/", {"company": "WHPG"}).context["page"]} == {
        "WH-L1", "WH-T1", "WH-T2"}
    assert client.get("/assets/", {"company": "BSDL"}).status_code == 404
