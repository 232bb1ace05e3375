"""Arrears cases: ledger, R4 from the database and the CLI, routing, inbox, messages, F2, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from typer.testing import CliRunner

from getpower.arrears import services
from getpower.arrears.models import ArrearsCase
from getpower.cli import app
from getpower.core.models import Organisation
from tests.factories import build_province, import_text

pytestmark = pytest.mark.shared_data(build=build_province)  # one province for the module (tests/conftest.py)

runner = CliRunner()
CHINA = dt.timezone(dt.timedelta(hours=8))

CASES = """case_id,company,county_code,community,households,arrears_yuan,bill_due_date,demand_at,approved_by,notice_served_at,final_notice_at,reported_at,authority,authority_level,planned_cut_at,cut_at,cancelled_at
C1,WHPG,530102,翠湖小区,320,85000,2026-08-01,2026-09-01 09:00,张经理,2026-09-05 09:00,2026-09-10 08:00,2026-09-06 10:00,五华区能源局,county,2026-09-10 09:00,2026-09-10 09:00,
C2,WHPG,530102,莲花小区,120,30000,2026-08-15,2026-09-01 09:00,,2026-09-13 09:00,,,,,2026-09-15 09:00,,
C3,WHPG,530102,滇池花园,200,50000,2026-10-01,2026-11-20 09:00,李经理,2026-11-24 09:00,,,,,2026-11-28 09:00,,
C4,PLPG,530103,金江小区,90,20000,2026-08-01,2026-09-01 09:00,王经理,2026-09-05 09:00,,2026-09-06 09:00,昆明市能源局,prefecture,2026-09-10 09:00,,2026-09-09 09:00
"""
EXPECTED = """case_id,check,status
C1,overdue_30d,ok
C1,demand_first,ok
C1,approved,ok
C1,notice_3_7d,ok
C1,final_notice_30min,ok
C1,reported_in_advance,ok
C2,overdue_30d,ok
C2,demand_first,ok
C2,approved,violation
C2,notice_3_7d,violation
C2,final_notice_30min,violation
C2,reported_in_advance,violation
C3,overdue_30d,ok
C3,demand_first,ok
C3,approved,ok
C3,notice_3_7d,ok
C3,final_notice_30min,pending
C3,reported_in_advance,pending
"""


@pytest.fixture
def cases(province):
    return import_text("arrears_cases", CASES)


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_cli_arrears_matches_hand_computation(cases, engine):
    result = runner.invoke(app, ["evaluate", "arrears", "--as-of", "2026-11-26 12:00", "--format", "csv",
                                 "--engine", engine])
    assert result.exit_code == 0, result.output
    assert result.stdout == EXPECTED


def test_pending_turns_into_violation_when_the_planned_cut_passes(cases):
    before = runner.invoke(app, ["evaluate", "arrears", "--as-of", "2026-11-28 08:59", "--format", "csv"]).stdout
    after = runner.invoke(app, ["evaluate", "arrears", "--as-of", "2026-11-28 09:00", "--format", "csv"]).stdout
    assert "C3,reported_in_advance,pending" in before
    assert "C3,reported_in_advance,violation" in after


def test_routing_to_the_chosen_authority(cases):
    assert ArrearsCase.objects.get(case_id="C1").routed_to.org_code == "WH-EA"
    assert ArrearsCase.objects.get(case_id="C4").routed_to.org_code == "KM-EA"


def test_reported_case_needs_authority_fields(province):
    from getpower.ledgers.importer import run_import

    bad = CASES.splitlines()[0] + "\nX1,WHPG,530102,某小区,0,-1,2026-08-01,2026-09-01 09:00,,2026-09-05 09:00,,2026-09-06 10:00,,,2026-09-10 09:00,,\n"
    result = run_import("arrears_cases", bad.encode(), "bad.csv")
    got = {(e["row"], e["column"]) for e in result.errors}
    assert {(2, "households"), (2, "arrears_yuan"), (2, "authority"), (2, "authority_level")} <= got


def test_form_filing_reports_now_and_refreshes_findings(province, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = services.file_case(
            user=province.users["whpg"], company=Organisation.objects.get(org_code="WHPG"), county_code="530102",
            data={"case_id": "W1", "community": "新小区", "households": 50, "arrears_yuan": 1000.0,
                  "bill_due_date": dt.date(2026, 9, 1), "demand_at": dt.datetime(2026, 11, 20, 9, tzinfo=CHINA),
                  "approved_by": "赵", "notice_served_at": dt.datetime(2026, 11, 25, 9, tzinfo=CHINA),
                  "planned_cut_at": dt.datetime(2026, 11, 30, 9, tzinfo=CHINA)},
            now=dt.datetime(2026, 11, 26, 9, tzinfo=CHINA))
    assert case.routed_to.org_code == "WH-EA" and case.authority == "五华区能源局"
    run = services.latest_run()
    statuses = dict(run.arrears_findings.filter(case=case).values_list("check_name", "status"))
    assert statuses["reported_in_advance"] == "ok" and statuses["notice_3_7d"] == "ok"
    with pytest.raises(PermissionDenied):
        services.file_case(user=province.users["plpg"], company=Organisation.objects.get(org_code="WHPG"),
                           county_code="530102", data={})


def test_authority_acknowledges_and_only_its_own(cases, province):
    case = ArrearsCase.objects.get(case_id="C1")
    services.post_message(case, province.users["wh_authority"], "acknowledge", "")
    case.refresh_from_db()
    assert case.acknowledged_by == "wh_authority"
    with pytest.raises(PermissionDenied):
        services.post_message(case, province.users["px_authority"], "objection", "不同意")
    with pytest.raises(PermissionDenied):
        services.post_message(case, province.users["whpg"], "acknowledge", "")
    services.post_message(case, province.users["whpg"], "answer", "已补充材料")


@pytest.mark.parametrize("username", ["km_authority", "regulator", "admin"])
def test_only_the_routed_authority_acknowledges(cases, province, client, username):
    """C1 went to the county authority (WH-EA): the prefecture, the regulator and the administrator see
    it and may ask or object, but their acknowledgement is not the county's."""
    case = ArrearsCase.objects.get(case_id="C1")
    assert case.routed_to.org_code == "WH-EA"
    user = province.users[username]
    with pytest.raises(PermissionDenied):
        services.post_message(case, user, "acknowledge", "")
    case.refresh_from_db()
    assert case.acknowledged_at is None and not case.messages.exists()
    services.post_message(case, user, "question", "请说明通知安排")
    client.login(username=username, password=province.password)
    page = client.get(f"/arrears/{case.pk}/").content.decode()
    assert 'id="authority-form"' in page and 'value="question"' in page
    assert 'value="acknowledge"' not in page
    assert client.post(f"/arrears/{case.pk}/message/", {"kind": "acknowledge", "text": ""}).status_code == 403
    case.refresh_from_db()
    assert case.acknowledged_at is None
    # the county authority it was routed to acknowledges, on the page as in the service
    client.logout()
    client.login(username="wh_authority", password=province.password)
    assert 'value="acknowledge"' in client.get(f"/arrears/{case.pk}/").content.decode()
    assert client.post(f"/arrears/{case.pk}/message/", {"kind": "acknowledge", "text": ""}).status_code == 302
    case.refresh_from_db()
    assert case.acknowledged_by == "wh_authority"


def test_a_prefecture_routed_case_is_acknowledged_by_the_prefecture_only(cases, province):
    case = ArrearsCase.objects.get(case_id="C4")  # reported to 昆明市能源局
    with pytest.raises(PermissionDenied):
        services.post_message(case, province.users["regulator"], "acknowledge", "")
    services.post_message(case, province.users["km_authority"], "acknowledge", "")
    case.refresh_from_db()
    assert case.acknowledged_by == "km_authority"


def test_warnings_on_the_company_home(province):
    from getpower.core.scope import scope_for

    now = dt.datetime(2026, 11, 26, 12, tzinfo=CHINA)
    soon = (now + dt.timedelta(hours=20)).strftime("%Y-%m-%d %H:%M")
    later = (now + dt.timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    import_text("arrears_cases", CASES.splitlines()[0] + "\n"
                f"S1,WHPG,530102,临近小区,10,100,2026-08-01,2026-11-01 09:00,张,2026-11-22 09:00,,,,,{soon},,\n"
                f"S2,WHPG,530102,通知过早,10,100,2026-08-01,2026-11-01 09:00,张,2026-11-10 09:00,,,,,{later},,\n")
    services.evaluate(now)
    warned = {w["case"].case_id for w in services.company_warnings(scope_for(province.users["whpg"]), now=now)}
    assert warned == {"S1", "S2"}


def test_ledger_f2_lists_month_cases_with_checks(cases, tmp_path):
    out = tmp_path / "f2.csv"
    result = runner.invoke(app, ["ledger", "F2", "--period", "2026-09", "--company", "KMPG", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[2] for line in lines[1:]] == ["C1", "C4", "C2"]  # by planned cut, then case id
    assert "已取消" in lines[2]
    assert lines[3].endswith("违规,违规,违规,违规")


def test_pages_api_and_exports_are_scoped(cases, client, province):
    services.evaluate(dt.datetime(2026, 11, 26, 12, tzinfo=CHINA))
    c4 = ArrearsCase.objects.get(case_id="C4")
    client.login(username="wh_authority", password=province.password)
    page = client.get("/arrears/").content.decode()
    assert "翠湖小区" in page and "金江小区" not in page
    assert client.get(f"/arrears/{c4.pk}/").status_code == 404
    assert client.get("/arrears/f2/?company=PLPG&period=2026-09").status_code == 404
    client.logout()
    client.login(username="regulator", password=province.password)
    assert "金江小区" in client.get("/arrears/").content.decode()


def test_api_is_scoped(cases, client, province):
    services.evaluate(dt.datetime(2026, 11, 26, 12, tzinfo=CHINA))
    c1, c4 = ArrearsCase.objects.get(case_id="C1"), ArrearsCase.objects.get(case_id="C4")
    client.login(username="wh_authority", password=province.password)
    listed = client.get("/api/arrears/cases").json()
    assert {c["case_id"] for c in listed["items"]} == {"C1", "C2", "C3"}
    assert client.get(f"/api/arrears/cases/{c4.pk}").status_code == 404
    detail = client.get(f"/api/arrears/cases/{c1.pk}").json()
    assert {c["check_name"]: c["status"] for c in detail["checks"]}["reported_in_advance"] == "ok"
    client.logout()
    client.login(username="plpg", password=province.password)
    assert {c["case_id"] for c in client.get("/api/arrears/cases").json()["items"]} == {"C4"}
    assert client.get(f"/api/arrears/cases/{c1.pk}").status_code == 404


def test_warnings_reach_the_company_home_page(province, client):
    soon = (dt.datetime.now(CHINA) + dt.timedelta(hours=20)).strftime("%Y-%m-%d %H:%M")
    import_text("arrears_cases", CASES.splitlines()[0] + "\n"
                f"S1,WHPG,530102,临近小区,10,100,2026-08-01,2026-09-01 09:00,张,2026-09-05 09:00,,,,,{soon},,\n")
    client.login(username="whpg", password=province.password)
    page = client.get("/").content.decode()
    assert "home-arrears-warnings" in page and "临近小区" in page
