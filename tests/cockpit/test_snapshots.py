"""KPI snapshots: written by every evaluation run, for every area, as hand-computed; the composite
from the rulebook's weights; the filings hook (a failing snapshot: test_before_runs.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from getpower.cockpit import services
from getpower.cockpit.models import KpiSnapshot, MonthState

from .conftest import build_evaluated

pytestmark = pytest.mark.shared_data(build=build_evaluated)


def value(month: str, level: str, code: str, kpi: str) -> float | None:
    return KpiSnapshot.objects.get(month=month, area_level=level, area_code=code, kpi=kpi).value


def snap(month: str, level: str, code: str, kpi: str) -> KpiSnapshot:
    return KpiSnapshot.objects.get(month=month, area_level=level, area_code=code, kpi=kpi)


def test_each_run_writes_the_month_for_every_area(evaluated):
    runs = evaluated["2026-11"]
    state = MonthState.objects.get(month="2026-11")
    assert state.runs == {"R2": runs["R2"].pk, "R3": runs["R3"].pk, "R4": runs["R4"].pk}
    # province, 16 prefectures, 129 counties and the 5 supply companies, for each of the 6 KPIs
    assert KpiSnapshot.objects.filter(month="2026-11").count() == (1 + 16 + 129 + 5) * 6
    # frequent outages per 1,000 台区: WH-T1 breach (五华, 2 台区), BS-T1 warning (隆阳, 1 台区); 4 台区 in all
    outage = snap("2026-11", "province", "530000", "outage_per_1000_tq")
    assert (outage.value, outage.numerator, outage.denominator, outage.parts) == (
        500.0, 2, 4, {"breach": 1, "warning": 1})
    assert outage.runs == {"R3": runs["R3"].pk}
    assert value("2026-11", "prefecture", "530100", "outage_per_1000_tq") == pytest.approx(1000 / 3, abs=1e-4)
    assert value("2026-11", "county", "530102", "outage_per_1000_tq") == 500.0
    assert value("2026-11", "county", "530103", "outage_per_1000_tq") == 0.0
    assert value("2026-11", "county", "530502", "outage_per_1000_tq") == 1000.0
    assert value("2026-11", "company", "BSDL", "outage_per_1000_tq") == 1000.0
    assert value("2026-11", "company", "KMPG", "outage_per_1000_tq") is None  # no 台区 of its own
    assert value("2026-11", "prefecture", "530300", "outage_per_1000_tq") is None  # 曲靖: no 台区
    # on-time connections (whole process): A1 late, A3 on time, A2 overdue (not finished)
    on_time = snap("2026-11", "province", "530000", "on_time_rate")
    assert (on_time.value, on_time.numerator, on_time.denominator) == (50.0, 1, 2)
    assert on_time.parts == {"late": 1, "overdue": 1}
    assert value("2026-11", "county", "530102", "on_time_rate") == 0.0
    assert value("2026-11", "county", "530103", "on_time_rate") == 100.0
    assert value("2026-11", "company", "PLPG", "on_time_rate") == 100.0
    # governance: the WH-T1 item is open
    assert value("2026-11", "province", "530000", "open_governance") == 1
    assert value("2026-11", "county", "530102", "open_governance") == 1
    assert value("2026-11", "county", "530502", "open_governance") == 0
    # arrears: C2 violates; C1, C2 and C3 were checked (C4 is cancelled)
    arrears = snap("2026-11", "county", "530102", "arrears_violations")
    assert (arrears.value, arrears.numerator, arrears.denominator) == (1, 1, 3)
    assert value("2026-11", "company", "PLPG", "arrears_violations") == 0
    # filings: no filings KPI module yet
    assert value("2026-11", "province", "530000", "filings_on_time") is None


def test_on_time_counts_agree_with_the_run_summary(evaluated):
    run = evaluated["2026-11"]["R2"]
    on_time = snap("2026-11", "province", "530000", "on_time_rate")
    totals = run.summary["totals"]
    assert (on_time.numerator, on_time.denominator - on_time.numerator) == (totals["ok"], totals["late"])
    assert on_time.parts["overdue"] == totals["overdue"]


def test_composite_from_the_rulebook_weights(evaluated):
    # 昆明: on time 50; outages 333.3 vs the worst prefecture 1000 → 66.7; governance 1 per 3 台区 is the
    # worst → 0; arrears 2 of 3 cases compliant → 66.7; weights 30/30/15/15 (filings has no value)
    assert value("2026-11", "prefecture", "530100", "composite") == pytest.approx(
        (30 * 50 + 30 * 200 / 3 + 15 * 0 + 15 * 200 / 3) / 90, abs=1e-4)
    # 保山: outages the worst → 0; governance none → 100; no applications and no cases
    assert value("2026-11", "prefecture", "530500", "composite") == pytest.approx((30 * 0 + 15 * 100) / 45, abs=1e-4)
    assert value("2026-11", "province", "530000", "composite") == pytest.approx((50 + 100 / 3) / 2, abs=1e-4)
    assert value("2026-11", "prefecture", "530300", "composite") is None

    from getpower.rulebook.services import create_version

    create_version(effective_from=dt.date(2026, 11, 1), changes={"cockpit_weight_on_time_rate": "0"}, note="",
                   user=None, reason="测试", check_permission=False)
    services.ensure_fresh("2026-11")  # the rulebook changed: the stamp tells
    assert value("2026-11", "prefecture", "530100", "composite") == pytest.approx(
        (30 * 200 / 3 + 15 * 0 + 15 * 200 / 3) / 60, abs=1e-4)


def test_months_trend_and_change(evaluated):
    assert services.run_months() == ["2026-10", "2026-11"]
    assert services.trend("county", "530502", "outage_per_1000_tq") == [("2026-10", 0.0), ("2026-11", 1000.0)]
    # October has no R4 run: the arrears KPI has no value then
    assert value("2026-10", "county", "530102", "arrears_violations") is None
    assert value("2026-10", "province", "530000", "on_time_rate") == 50.0


def test_a_later_run_in_the_month_wins_and_an_earlier_one_changes_nothing(evaluated):
    from getpower.outages import services as outages

    before = snap("2026-11", "province", "530000", "outage_per_1000_tq")
    outages.evaluate(dt.date(2026, 11, 3))  # earlier as-of time in the month: the 25th still stands
    after = snap("2026-11", "province", "530000", "outage_per_1000_tq")
    assert after.runs == before.runs and after.value == before.value
    later = outages.evaluate(dt.date(2026, 11, 30)).run  # BS-T1's faults still in the last 30 days
    assert snap("2026-11", "province", "530000", "outage_per_1000_tq").runs == {"R3": later.pk}


def test_filings_kpi_when_the_filings_app_provides_it(evaluated, monkeypatch):
    calls = []

    def on_time_counts(*, month):
        calls.append(month)
        # 昆明: 530102 4 of 5 on time, 530103 4 of 5; 530502 (保山) nothing due
        return [{"county_id": "530102", "due": 5, "on_time": 4}, {"county_id": "530103", "due": 5, "on_time": 4}]

    from getpower.filings import kpis as filings_kpis

    monkeypatch.setattr(filings_kpis, "on_time_counts", on_time_counts)
    services.recompute("2026-11")
    assert calls == ["2026-11"]  # one call for every area
    assert value("2026-11", "province", "530000", "filings_on_time") == 80.0
    assert value("2026-11", "prefecture", "530100", "filings_on_time") == 80.0
    assert value("2026-11", "county", "530502", "filings_on_time") is None
    # the filings score now counts in 昆明's composite (weight 10)
    assert value("2026-11", "prefecture", "530100", "composite") == pytest.approx(
        (30 * 50 + 30 * 200 / 3 + 15 * 0 + 15 * 200 / 3 + 10 * 80) / 100, abs=1e-4)
