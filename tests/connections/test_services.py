"""Applications ledger, R2 from the database, the CLI, F1, scoping and the applicant lookup."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from getpower.cli import app
from getpower.connections import services
from getpower.connections.models import Application, ApplicationPause
from getpower.ledgers.importer import run_import
from tests.factories import build_province, import_text

pytestmark = pytest.mark.shared_data(build=build_province)  # one province for the module (tests/conftest.py)

runner = CliRunner()
CHINA = dt.timezone(dt.timedelta(hours=8))

APPS = """app_id,company,county_code,customer_kind,voltage_kv,supply,capacity_kw,zero_service,external_works,grid_upgrade,upgrade_due_date,applied_at,accepted_at,scheme_replied_at,design_submitted_at,design_reviewed_at,midcheck_requested_at,midcheck_done_at,completion_requested_at,completion_done_at,connect_ready_at,energized_at,contact_phone_last4
A1,WHPG,530102,resident,0.22,,8,是,否,否,,2026-02-13 09:00,2026-02-13 10:00,,,,,,,,,2026-03-02 10:00,1234
A2,WHPG,530102,private_org,0.38,,100,否,,是,2026-12-31,2026-09-28 09:00,2026-09-29 09:00,2026-10-09 09:00,,,,,,,,,5678
A3,PLPG,530103,other,10,single,800,,,,,2026-09-01 09:00,2026-09-01 12:00,2026-09-10 09:00,2026-09-11 09:00,2026-09-15 09:00,,,2026-10-08 09:00,2026-10-12 09:00,,2026-10-14 09:00,
"""
PAUSES = "app_id,pause_start,pause_end,reason\nA2,2026-10-09 10:00,2026-10-13 10:00,客户未备齐资料\n"
# hand-computed from R1/R2 at 2026-10-20 12:00 (see docs/rules-r2.md for the counting):
EXPECTED = """app_id,user_class,check,elapsed_workdays,limit_workdays,status
A1,lv_zero,total,7,5,late
A2,lv,accept,1,1,ok
A2,lv,scheme,3,3,ok
A2,lv,connect,5,2,overdue
A2,lv,total,9,6,overdue
A3,hv_single,accept,0,1,ok
A3,hv_single,scheme,7,10,ok
A3,hv_single,design,2,3,ok
A3,hv_single,completion,3,3,ok
A3,hv_single,connect,2,3,ok
A3,hv_single,total,14,22,ok
"""


@pytest.fixture
def apps(province):
    import_text("applications", APPS)
    import_text("application_pauses", PAUSES)


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_cli_time_limits_matches_hand_computation(apps, engine):
    result = runner.invoke(app, ["evaluate", "time-limits", "--as-of", "2026-10-20 12:00", "--format", "csv",
                                 "--engine", engine])
    assert result.exit_code == 0, result.output
    assert result.stdout == EXPECTED


def test_applications_lodged_after_as_of_are_not_listed(apps):
    result = runner.invoke(app, ["evaluate", "time-limits", "--as-of", "2026-09-15", "--format", "csv"])
    lines = result.stdout.splitlines()
    assert {line.split(",")[0] for line in lines[1:]} == {"A1", "A3"}
    # A3 at 9/15 00:00: the scheme reply (9/10) is known, design submitted 9/11 → open at 9/15 00:00
    # design submitted 9/11, reviewed 9/15 09:00 (after the as-of time: not yet given) → open, 9/14 and 9/15 counted
    assert "A3,hv_single,design,2,3,open" in lines


def test_bad_rows_reported_together(province):
    bad = ("app_id,company,county_code,customer_kind,voltage_kv,supply,capacity_kw,zero_service,grid_upgrade,"
           "applied_at,accepted_at,scheme_replied_at,design_reviewed_at,energized_at\n"
           "B1,WHPG,530102,resident,0.22,,5,,否,2026-03-02 09:00,2026-03-01 09:00,,,\n"
           "B2,WHPG,530102,other,10,,500,,否,2026-03-02 09:00,,,2026-03-05 09:00,\n"
           "B3,WHPG,530102,resident,0.4,,0,是,是,2026-03-02 09:00,,,,2026-03-03 09:00\n")
    result = run_import("applications", bad.encode(), "bad.csv")
    got = {(e["row"], e["column"]) for e in result.errors}
    assert {(2, "zero_service"), (2, "accepted_at"), (3, "supply"), (3, "design_reviewed_at"),
            (4, "voltage_kv"), (4, "capacity_kw"), (4, "upgrade_due_date"), (4, "energized_at")} <= got
    assert Application.objects.count() == 0


def test_pause_needs_a_reason_and_a_known_application(apps):
    result = run_import("application_pauses", b"app_id,pause_start,pause_end,reason\n"
                        b"NOPE,2026-10-01 09:00,,x\nA2,2026-10-15 09:00,2026-10-14 09:00,\n", "p.csv")
    got = {(e["row"], e["column"]) for e in result.errors}
    assert {(2, "app_id"), (3, "reason"), (3, "pause_end")} <= got
    assert ApplicationPause.objects.count() == 1


def test_evaluation_stores_findings_and_kpis(apps):
    evaluation = services.evaluate(dt.datetime(2026, 10, 20, 12, tzinfo=CHINA))
    summary = evaluation.run.summary
    assert summary["totals"] == {"ok": 1, "late": 1, "open": 0, "overdue": 1}
    assert summary["company"]["WHPG"]["late"] == 1
    statuses = set(evaluation.run.time_limit_findings.values_list("check_name", "status"))
    assert ("connect", "overdue") in statuses and ("total", "late") in statuses


def test_zero_scope_finding(apps):
    assert list(services.zero_scope_findings().values_list("app_id", flat=True)) == ["A2"]


def test_ledger_f1(apps, tmp_path):
    out = tmp_path / "f1.xlsx"
    result = runner.invoke(app, ["ledger", "F1", "--period", "2026-10", "--company", "WHPG", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_filelike(io.BytesIO(out.read_bytes())).get_sheet_by_name("F1").to_python()
    assert "业扩接入需改造不满足接电时限台账" in rows[0][0]
    assert rows[3][3] == "A2" and "超期未接电" in rows[3]
    sept = tmp_path / "f1-09.csv"
    runner.invoke(app, ["ledger", "F1", "--period", "2026-09", "--company", "WHPG", "--out", str(sept)])
    lines = sept.read_text(encoding="utf-8-sig").splitlines()
    # not late yet at the end of September, but the upgrade (12-31) ends after the deadline: forecast
    assert len(lines) == 2 and "A2" in lines[1] and "预计超期" in lines[1]
    aug = tmp_path / "f1-08.csv"
    runner.invoke(app, ["ledger", "F1", "--period", "2026-08", "--company", "WHPG", "--out", str(aug)])
    assert len(aug.read_text(encoding="utf-8-sig").splitlines()) == 1  # an empty month still has its header


def test_public_lookup_shows_stage_and_is_rate_limited(apps, client):
    page = client.post("/public/lookup/", {"app_id": "A2", "last4": "5678"}).content.decode()
    assert "装表接电" in page and "截止日" in page
    assert "lookup-error" in client.post("/public/lookup/", {"app_id": "A2", "last4": "0000"}).content.decode()
    for _ in range(5):
        client.post("/public/lookup/", {"app_id": "A3", "last4": "9999"})
    assert client.post("/public/lookup/", {"app_id": "A3", "last4": "9999"}).status_code == 429


def test_lookup_guessing_cannot_lock_out_the_applicant(apps, client):
    """Five wrong guesses at A2 from one address throttle that address only: the applicant, from its
    own address and with the right digits, still gets the answer."""
    attacker, applicant = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "198.51.100.20"}
    for guess in ("0000", "1111", "2222", "3333", "4444"):
        assert client.post("/public/lookup/", {"app_id": "A2", "last4": guess}, **attacker).status_code == 200
    refused = client.post("/public/lookup/", {"app_id": "A2", "last4": "5678"}, **attacker)
    assert refused.status_code == 429 and "查询过于频繁" in refused.content.decode()
    assert refused["Retry-After"] == "600"
    # the throttled address is refused for any application, not the guessed one only
    assert client.post("/public/lookup/", {"app_id": "A3", "last4": "1234"}, **attacker).status_code == 429
    answer = client.post("/public/lookup/", {"app_id": "A2", "last4": "5678"}, **applicant)
    assert answer.status_code == 200 and "lookup-result" in answer.content.decode()


def test_lookup_throttle_counts_every_lookup_of_an_address(apps, client):
    from getpower.connections import lookup

    crowd = {"REMOTE_ADDR": "192.0.2.50"}
    for _ in range(lookup.MAX_PER_CLIENT):
        assert client.post("/public/lookup/", {"app_id": "A2", "last4": "5678"}, **crowd).status_code == 200
    assert client.post("/public/lookup/", {"app_id": "A2", "last4": "5678"}, **crowd).status_code == 429
    assert client.post("/public/lookup/", {"app_id": "A2", "last4": "5678"}).status_code == 200  # another address


def test_pages_are_scoped(apps, client, province):
    services.evaluate(dt.datetime(2026, 10, 20, 12, tzinfo=CHINA))
    a3 = Application.objects.get(app_id="A3")
    client.login(username="whpg", password=province.password)
    assert client.get(f"/connections/applications/{a3.pk}/").status_code == 404
    own = client.get("/connections/").content.decode()
    assert "A3" not in own and "盘龙供电局" not in own  # no other company's application
    a2 = Application.objects.get(app_id="A2")
    detail = client.get(f"/connections/applications/{a2.pk}/").content.decode()
    assert "A2" in detail and "五华供电局" in detail
    client.logout()
    client.login(username="wh_authority", password=province.password)
    page = client.get("/connections/").content.decode()
    assert "五华供电局" in page and "盘龙供电局" not in page
    assert client.get(f"/connections/applications/{a3.pk}/").status_code == 404
