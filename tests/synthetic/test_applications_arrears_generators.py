"""The synthetic connection-application and arrears-case generators: deterministic, realistic, covering
every user class and every R2/R4 status, and clean through the real ledger importers and evaluations."""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from getpower.synthetic.applications import (
    APPLICATION_COLUMNS,
    DEMO_PER_COUNTY_PER_MONTH,
    PAUSE_COLUMNS,
    TIME_FIELDS,
    generate_applications,
)
from getpower.synthetic.arrears import ARREARS_COLUMNS, DEMO_CASES, generate_arrears_cases
from getpower.synthetic.outages import DEMO_AS_OF
from getpower.synthetic.province import INCREMENTAL, ORG_COLUMNS, build_structure, to_csv
from getpower.workdays.calendar import CHINA
from getpower.workdays.shipped import shipped_calendar

PER_COUNTY_PER_MONTH = 1.2  # ~1,700 applications: enough for every class and status, quick to import
CUTOFF = dt.datetime(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day, 23, 59, 59)
AS_OF = dt.datetime(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day, 18, 0, tzinfo=CHINA)
# the supply company's acts (stage ends) and pauses: working days, office hours
COMPANY_FIELDS = ("accepted_at", "scheme_replied_at", "design_reviewed_at", "midcheck_done_at", "completion_done_at",
                  "energized_at")


def when(text: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def user_class(row: dict) -> str:
    if float(row["voltage_kv"]) <= 0.38:
        return "lv_zero" if row["zero_service"] is True else "lv"
    return f"hv_{row['supply']}"


@pytest.fixture(scope="module")
def small():
    structure = build_structure()
    apps, pauses = generate_applications(structure, until=DEMO_AS_OF, per_county_per_month=PER_COUNTY_PER_MONTH)
    cases = generate_arrears_cases(structure, until=DEMO_AS_OF)
    return structure, apps, pauses, cases


def test_deterministic_by_seed(small):
    structure, apps, pauses, cases = small
    assert generate_applications(structure, until=DEMO_AS_OF, per_county_per_month=PER_COUNTY_PER_MONTH) == (
        apps, pauses)
    assert generate_applications(structure, until=DEMO_AS_OF, per_county_per_month=PER_COUNTY_PER_MONTH,
                                 seed=7)[0] != apps
    assert generate_arrears_cases(structure, until=DEMO_AS_OF) == cases
    assert generate_arrears_cases(structure, until=DEMO_AS_OF, seed=7) != cases


def test_volume_follows_the_rate_per_county_and_month(small):
    """Applications: the given rate for each of the 129 counties over the days from 1 January (the demo's
    18 a month: about 25,000, one in ten paused); arrears cases: the count asked for (the demo's 300)."""
    structure, apps, pauses, _ = small
    counties = len(structure.county_supplier)
    months = ((DEMO_AS_OF - dt.date(DEMO_AS_OF.year, 1, 1)).days + 1) / 30.44
    demo_apps, demo_pauses = generate_applications(structure, until=DEMO_AS_OF)
    assert counties == 129
    for rows, rate in ((apps, PER_COUNTY_PER_MONTH), (demo_apps, DEMO_PER_COUNTY_PER_MONTH)):
        assert 0.9 <= len(rows) / (rate * counties * months) <= 1.1, (rate, len(rows))
    assert 22000 <= len(demo_apps) <= 28000
    assert 0.08 <= len(pauses) / len(apps) <= 0.13 and 0.08 <= len(demo_pauses) / len(demo_apps) <= 0.13
    # every county has its applications, not a few counties all of them
    per_county = collections.Counter(r["county_code"] for r in demo_apps)
    assert len(per_county) == counties and min(per_county.values()) > 0.3 * len(demo_apps) / counties
    assert len(generate_arrears_cases(structure, until=DEMO_AS_OF)) == DEMO_CASES == 300
    assert len(generate_arrears_cases(structure, until=DEMO_AS_OF, count=40)) == 40


def test_application_rows_are_well_formed(small):
    structure, apps, pauses, _ = small
    calendar = shipped_calendar()
    assert all(list(r) == APPLICATION_COLUMNS for r in apps)
    assert all(list(p) == PAUSE_COLUMNS for p in pauses)
    assert len({r["app_id"] for r in apps}) == len(apps)  # unique across companies, as pauses need
    for r in apps:
        assert r["app_id"] == f"YK{r['county_code']}{r['app_id'][8:]}" and len(r["app_id"]) == 14
        assert r["company"] == structure.county_supplier[r["county_code"]] or (r["company"], r["county_code"]) in {
            (code, county) for code, _, county in INCREMENTAL}
        assert len(r["contact_phone_last4"]) == 4 and r["contact_phone_last4"].isdigit()
        times = [when(r[f]) for f in TIME_FIELDS]
        assert dt.datetime(2026, 1, 1) <= times[0] <= CUTOFF
        given = [t for t in times if t is not None]
        assert all(len(r[f]) in (0, 19) for f in TIME_FIELDS)
        assert given == sorted(given) and given[-1] <= CUTOFF  # one process, in order, known by the last day
        for f in COMPANY_FIELDS:
            t = when(r[f])
            if t is not None:
                assert calendar.is_workday(t.date()), (r["app_id"], f)
                assert dt.time(8, 30) <= t.time() <= dt.time(17, 50), (r["app_id"], f)
        if r["grid_upgrade"]:
            assert float(r["voltage_kv"]) <= 0.38 and r["upgrade_due_date"]
        if float(r["voltage_kv"]) > 0.38:
            assert r["supply"] in ("single", "dual") and r["zero_service"] == ""
        else:
            assert r["supply"] == "" and r["zero_service"] in (True, False)
    by_id = {r["app_id"]: r for r in apps}
    assert len({(p["app_id"], p["pause_start"]) for p in pauses}) == len(pauses)
    for p in pauses:
        start, end = when(p["pause_start"]), when(p["pause_end"])
        assert start >= when(by_id[p["app_id"]]["applied_at"])
        assert end is None or start < end <= CUTOFF
        assert p["reason"].startswith("客户")
    assert any(not p["pause_end"] for p in pauses)  # a few still paused at the last day
    reasons = {p["reason"] for p in pauses}
    assert {"客户资料不全", "客户内部工程未完成"} <= reasons


def test_every_user_class_and_case_occurs(small):
    structure, apps, pauses, _ = small
    classes = collections.Counter(user_class(r) for r in apps)
    assert set(classes) == {"lv_zero", "lv", "hv_single", "hv_dual"}
    assert classes["lv_zero"] > 0.7 * len(apps)
    assert {float(r["voltage_kv"]) for r in apps} >= {0.22, 0.38, 10, 35, 110}
    assert {r["customer_kind"] for r in apps} == {"resident", "private_org", "other"}
    zero = [r for r in apps if user_class(r) == "lv_zero"]
    assert {r["customer_kind"] for r in zero} == {"resident", "private_org"}
    assert 0.08 < sum(r["external_works"] for r in zero) / len(zero) < 0.25
    lv = [r for r in apps if user_class(r) == "lv"]
    in_scope = [r for r in lv if r["customer_kind"] == "resident"
                or (r["customer_kind"] == "private_org" and r["capacity_kw"] <= 160)]
    assert in_scope and len(in_scope) < len(lv)
    assert any(r["customer_kind"] == "private_org" and r["capacity_kw"] > 160 for r in lv)
    high = [r for r in apps if float(r["voltage_kv"]) > 0.38]
    with_midcheck = [r for r in high if r["midcheck_done_at"]]
    assert with_midcheck and len(with_midcheck) < 0.7 * len([r for r in high if r["completion_done_at"]])
    upgrades = [r for r in apps if r["grid_upgrade"]]
    assert 0.01 < len(upgrades) / len(apps) < 0.04
    assert {r["company"] for r in apps} >= {code for code, _, _ in INCREMENTAL}
    # clocks across the Spring Festival and National Day holidays
    for first, last in ((dt.date(2026, 2, 15), dt.date(2026, 2, 23)), (dt.date(2026, 10, 1), dt.date(2026, 10, 7))):
        assert any(when(r["applied_at"]).date() < first and r["energized_at"]
                   and when(r["energized_at"]).date() > last for r in apps)
    # company acts never fall in a holiday; customers may apply online then
    assert not any(dt.date(2026, 10, 1) <= when(r["accepted_at"]).date() <= dt.date(2026, 10, 7)
                   for r in apps if r["accepted_at"])


def test_arrears_rows_are_well_formed(small):
    structure, _, _, cases = small
    assert all(list(r) == ARREARS_COLUMNS for r in cases)
    assert len({(r["company"], r["case_id"]) for r in cases}) == len(cases)
    authorities = {o["name"]: (o["level"], o["region_code"]) for o in structure.organisations
                   if o["kind"] == "energy_authority"}
    for r in cases:
        if r["reported_at"]:
            level, region = authorities[r["authority"]]
            assert level == r["authority_level"]
            assert region == (r["county_code"] if level == "county" else r["county_code"][:4] + "00")
        else:
            assert not r["authority"] and not r["authority_level"]
        for f in ("demand_at", "notice_served_at", "final_notice_at", "reported_at", "cut_at", "restored_at",
                  "cancelled_at"):
            assert not r[f] or when(r[f]) <= CUTOFF
        if r["cancelled_at"]:
            assert not r["cut_at"] and when(r["cancelled_at"]) <= when(r["planned_cut_at"])
        if r["restored_at"]:
            assert when(r["cut_at"]) < when(r["restored_at"])
    levels = collections.Counter(r["authority_level"] for r in cases)
    assert levels["county"] > levels["prefecture"] > 0
    assert any(when(r["planned_cut_at"]) > CUTOFF for r in cases)  # pending
    assert any(r["restored_at"] for r in cases) and any(r["cancelled_at"] for r in cases)


@pytest.mark.django_db
def test_imports_cleanly_and_the_rules_find_every_status(small, monkeypatch):
    from getpower.arrears import services as arrears_services
    from getpower.arrears.models import ArrearsCase
    from getpower.connections import services
    from getpower.connections.models import Application, ApplicationPause
    from getpower.ledgers.importer import run_import
    from getpower.synthetic import applications, arrears

    structure, apps, pauses, cases = small
    for ledger, data in (("organisations", to_csv(structure.organisations, ORG_COLUMNS)),
                         ("applications", to_csv(apps, APPLICATION_COLUMNS)),
                         ("application_pauses", to_csv(pauses, PAUSE_COLUMNS)),
                         ("arrears_cases", to_csv(cases, ARREARS_COLUMNS))):
        result = run_import(ledger, data, f"{ledger}.csv", channel="demo")
        assert result.ok, result.errors[:5]
        assert result.errors == []
    assert Application.objects.count() == len(apps) and ApplicationPause.objects.count() == len(pauses)
    assert ArrearsCase.objects.count() == len(cases)
    assert Application.objects.exclude(contact_phone_last4="").count() == len(apps)

    # R2 at 18:00 on the demo day
    evaluation = services.evaluate(AS_OF, store=False)
    checks = evaluation.result.checks.to_pylist()
    assert {r["user_class"] for r in checks} == {"lv_zero", "lv", "hv_single", "hv_dual"}
    assert {r["status"] for r in checks} == {"ok", "late", "open", "overdue"}
    assert {r["check"] for r in checks} == {"accept", "scheme", "design", "midcheck", "completion", "connect", "total"}
    n = len({r["app_pk"] for r in checks})
    late = {r["app_pk"] for r in checks if r["status"] == "late"}
    overdue = {r["app_pk"] for r in checks if r["status"] == "overdue"}
    assert 0.06 <= len(late) / n <= 0.14
    assert 0.015 <= len(overdue) / n <= 0.05
    totals = collections.Counter(r["status"] for r in checks if r["check"] == "total")
    assert totals["ok"] > 0.75 * n
    for cls in ("lv", "hv_single", "hv_dual"):  # a stage of each limited class is late somewhere
        assert any(r["user_class"] == cls and r["check"] != "total" and r["status"] == "late" for r in checks), cls
    # pauses matter: some paused clocks finished in time only because their pause is not counted
    paused = {a.pk for a in Application.objects.filter(pauses__isnull=False)}
    assert any(r["app_pk"] in paused and r["status"] == "ok" for r in checks)
    # the grid-upgrade connections: most late or overdue (the F1 ledger)
    upgrade = collections.Counter(r["status"] for r in checks if r["grid_upgrade"] and r["check"] == "total")
    assert upgrade["late"] + upgrade["overdue"] > 0.6 * sum(upgrade.values())
    assert services.zero_scope_findings().exists()

    # R4 at the same time
    findings = arrears_services.evaluate(AS_OF, store=False).findings.to_pylist()
    assert {r["status"] for r in findings} == {"ok", "violation", "pending"}
    violated = collections.Counter(r["check"] for r in findings if r["status"] == "violation")
    assert set(violated) == {"overdue_30d", "demand_first", "approved", "notice_3_7d", "final_notice_30min",
                             "reported_in_advance"}
    per_case = collections.defaultdict(set)
    for r in findings:
        per_case[r["case_id"]].add(r["status"])
    compliant = sum(statuses == {"ok"} for statuses in per_case.values())
    assert compliant > 0.5 * len(per_case)
    assert len(per_case) == len(cases) - sum(bool(r["cancelled_at"]) for r in cases)

    # the demo steps regenerate the same rows: importing them again changes nothing
    monkeypatch.setattr(applications, "DEMO_PER_COUNTY_PER_MONTH", PER_COUNTY_PER_MONTH)
    said: list[str] = []
    applications.demo_applications_step(structure, said.append)
    arrears.demo_arrears_step(structure, said.append)
    assert Application.objects.count() == len(apps) and ApplicationPause.objects.count() == len(pauses)
    assert ArrearsCase.objects.count() == len(cases)
    assert len(said) == 3 and "demo-applications.csv" in said[0] and "demo-arrears-cases.csv" in said[2]
