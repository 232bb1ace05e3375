"""The synthetic outages generator: deterministic, realistic, covering every branch of R3, and clean
through the real outages ledger importer and the R3 evaluation."""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from getpower.synthetic.outages import DEMO_AS_OF, OUTAGE_COLUMNS, generate_outages
from getpower.synthetic.province import ASSET_COLUMNS, ORG_COLUMNS, build_structure, generate_assets, to_csv

AS_OF = DEMO_AS_OF  # the demo's day: its data run up to it and its evaluations are as of it
SCALE = {"lines_total": 200, "tq_per_line": 8}
MONTHS = (AS_OF - dt.date(2026, 1, 1)).days / 30.44


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def seconds(row: dict) -> float:
    return (when(row["end_time"]) - when(row["start_time"])).total_seconds()


@pytest.fixture(scope="module")
def small():
    structure = build_structure()
    assets = list(generate_assets(structure, **SCALE))
    rows = list(generate_outages(assets, until=AS_OF))
    return structure, assets, rows


def test_the_data_reach_the_evaluation_day_and_stop_there(small):
    """Generated up to a day (the demo's evaluation day), outages begin on every one of the last days up to
    it and none after it; those still going on at its end began on it."""
    _, _, rows = small
    assert AS_OF == dt.date(2026, 11, 25)  # the hand-checked dates below
    days = {when(r["start_time"]).date() for r in rows}
    assert max(days) == AS_OF
    assert {AS_OF - dt.timedelta(days=n) for n in range(7)} <= days
    ongoing = [when(r["start_time"]).date() for r in rows if not r["end_time"]]
    assert ongoing and set(ongoing) == {AS_OF}
    earlier = list(generate_outages(small[1], until=AS_OF - dt.timedelta(days=30)))
    assert max(when(r["start_time"]).date() for r in earlier) == AS_OF - dt.timedelta(days=30)


def test_deterministic_by_seed(small):
    _, assets, rows = small
    assert list(generate_outages(assets, until=AS_OF)) == rows
    assert list(generate_outages(assets, until=AS_OF, seed=7)) != rows


def test_rows_are_well_formed(small):
    _, assets, rows = small
    by_id = {a["asset_id"]: a for a in assets}
    assert all(list(r) == OUTAGE_COLUMNS for r in rows)
    assert len({(r["company"], r["event_id"]) for r in rows}) == len(rows)
    assert rows[0]["event_id"] == "OUT20260000001"
    first, last = dt.datetime(2026, 1, 1), dt.datetime(2026, 11, 25, 23, 59, 59)
    for r in rows:
        asset = by_id[r["asset_id"]]
        assert (r["company"], r["asset_type"]) == (asset["company"], asset["asset_type"])
        assert first <= when(r["start_time"]) <= last
        assert len(r["start_time"]) == 19
        if r["end_time"]:
            assert when(r["start_time"]) <= when(r["end_time"]) <= last
        if r["warning_time"]:
            assert when(r["warning_time"]) < when(r["start_time"])
        if r["affected_tq"]:
            listed = r["affected_tq"].split(";")
            assert r["asset_type"] == "line"
            assert all(by_id[t]["line_id"] == r["asset_id"] for t in listed)
            assert r["users_affected"] == sum(by_id[t]["users"] for t in listed)
    # a few still going on at the end of the last day, all begun that day
    ongoing = [r for r in rows if not r["end_time"]]
    assert len(ongoing) >= 3
    assert any(r["start_time"].startswith("2026-11-25") for r in ongoing)


def test_volume_scales_with_the_assets(small):
    _, assets, rows = small
    n_lines = sum(a["asset_type"] == "line" for a in assets)
    n_tq = len(assets) - n_lines
    per_type = collections.Counter(r["asset_type"] for r in rows)
    assert 0.8 <= per_type["line"] / n_lines / MONTHS <= 1.2
    assert 0.07 <= per_type["tq"] / n_tq / MONTHS <= 0.14


def test_every_kind_and_exclusion_and_the_edge_cases_occur(small):
    _, assets, rows = small
    assert {r["kind"] for r in rows} == {"fault", "planned", "temporary", "shedding"}
    assert {r["exclusion"] for r in rows} == {"", "none", "disaster_warning", "external_damage",
                                              "supply_assurance", "mode_adjustment"}
    durations = [seconds(r) for r in rows if r["end_time"]]
    assert 180 in durations  # exactly 3:00: a short interruption
    assert any(d <= 180 for d in durations) and any(180 < d <= 240 for d in durations)
    switching = [seconds(r) for r in rows if r["exclusion"] in ("supply_assurance", "mode_adjustment")]
    assert 1800 in switching and any(d <= 1800 for d in switching)
    assert any(31 * 60 <= d <= 40 * 60 for d in switching)
    disaster = [r for r in rows if r["exclusion"] == "disaster_warning"]
    full = [r for r in disaster if r["warning_ref"] and r["warning_issuer"] and r["warning_level"] != "township"
            and r["warning_level"]]
    assert {r["warning_level"] for r in full} == {"county", "prefecture", "province"}
    assert any(r["warning_issuer"] == "云南省气象台" and r["warning_ref"].startswith("滇气预〔2026〕") for r in full)
    assert any(r["warning_issuer"].endswith("气象局") for r in full)
    assert any(r["warning_level"] == "township" for r in disaster)
    assert any(not (r["warning_ref"] and r["warning_issuer"] and r["warning_level"]) for r in disaster)
    external = [r for r in rows if r["exclusion"] == "external_damage"]
    assert any(r["cause"] for r in external) and any(not r["cause"] for r in external)
    lines = [r for r in rows if r["asset_type"] == "line"]
    assert any(r["affected_tq"] for r in lines) and any(not r["affected_tq"] for r in lines)


def test_a_line_trip_is_also_recorded_on_one_of_its_tq(small):
    _, assets, rows = small
    line_of = {a["asset_id"]: a["line_id"] for a in assets if a["asset_type"] == "tq"}
    line_rows = collections.defaultdict(list)
    for r in rows:
        if r["asset_type"] == "line" and r["end_time"]:
            line_rows[r["asset_id"]].append(r)
    overlapping = 0
    for r in rows:
        if r["asset_type"] == "tq" and r["end_time"]:
            start, end = when(r["start_time"]), when(r["end_time"])
            overlapping += any(when(x["start_time"]) < end and start < when(x["end_time"])
                               and r["cause"].endswith("台区失电") for x in line_rows[line_of[r["asset_id"]]])
    assert overlapping >= 3


def test_seasons_and_working_hours(small):
    _, _, rows = small
    faults = collections.Counter(int(r["start_time"][5:7]) for r in rows if r["kind"] == "fault")
    assert faults[7] > 2 * faults[1] and faults[8] > 2 * faults[3]
    assert sum(faults[m] for m in (6, 7, 8, 9)) > sum(faults[m] for m in (1, 2, 3, 4, 11))
    # thunderstorm afternoons: rainy-season faults cluster between 12:00 and 22:00
    rainy = [when(r["start_time"]).hour for r in rows if r["kind"] == "fault" and r["start_time"][5:7] in ("07", "08")]
    assert sum(12 <= h < 22 for h in rainy) > 0.6 * len(rainy)
    planned = [r for r in rows if r["kind"] == "planned" and r["exclusion"] in ("", "none")]
    assert planned
    for r in planned:
        start, end = when(r["start_time"]), when(r["end_time"])
        assert start.weekday() < 5 or start.date() in (dt.date(2026, 1, 4), dt.date(2026, 2, 14),
                                                       dt.date(2026, 2, 28), dt.date(2026, 5, 9),
                                                       dt.date(2026, 9, 20), dt.date(2026, 10, 10))
        assert start.hour >= 8 and end <= start.replace(hour=18, minute=0, second=0)
        assert 2 * 3600 <= seconds(r) <= 8 * 3600
    spring_autumn = sum(r["start_time"][5:7] in ("03", "04", "05", "10", "11") for r in planned)
    assert spring_autumn > len(planned) / 2
    assert all(r["start_time"][5:7] in ("03", "04", "05") for r in rows if r["kind"] == "shedding")


@pytest.mark.django_db
def test_imports_cleanly_and_r3_finds_breaches_and_warnings(small, monkeypatch):
    from getpower.ledgers.importer import run_import
    from getpower.outages.models import Outage, OutageAffected
    from getpower.outages.services import evaluate
    from getpower.synthetic import demo
    from getpower.synthetic.outages import demo_outages_step

    structure, assets, rows = small
    for ledger, data in (("organisations", to_csv(structure.organisations, ORG_COLUMNS)),
                         ("assets", to_csv(assets, ASSET_COLUMNS))):
        result = run_import(ledger, data, f"{ledger}.csv", channel="demo")
        assert result.ok, result.errors[:5]
    result = run_import("outages", to_csv(rows, OUTAGE_COLUMNS), "outages.csv", channel="demo")
    assert result.ok, result.errors[:5]
    assert result.errors == []
    assert result.added == len(rows) == Outage.objects.count()
    assert OutageAffected.objects.exists()
    # claims without their evidence are kept, marked, and reported
    rejected = [w for w in result.warnings if "不予认可" in w]
    assert rejected
    assert any("乡镇级" in w for w in rejected) and any("外力破坏" in w for w in rejected)
    assert Outage.objects.exclude(evidence_problem="").count() == len(rejected)

    evaluation = evaluate(AS_OF, store=False, detail=True)
    statuses = collections.Counter(evaluation.result.findings.column("status").to_pylist())
    assert statuses["breach"] >= 1 and statuses["warning"] >= 1
    assert statuses["warning"] > statuses["breach"] / 3
    by_type = collections.Counter((t, s) for t, s in zip(evaluation.result.findings.column("asset_type").to_pylist(),
                                                         evaluation.result.findings.column("status").to_pylist(),
                                                         strict=True))
    assert by_type[("line", "breach")] >= 1 and by_type[("tq", "breach")] >= 1
    n_units = len(assets)
    assert statuses["breach"] < 0.15 * n_units
    reasons = set(evaluation.result.decisions.column("reason").to_pylist())
    assert reasons == {"counted", "too_short", "excluded_disaster_warning", "excluded_external_damage",
                       "excluded_supply_assurance", "excluded_mode_adjustment", "rejected_no_evidence",
                       "rejected_too_long"}

    # the demo step regenerates the same rows for the same assets: importing them again changes nothing
    monkeypatch.setattr(demo, "DEMO_SCALE", SCALE)
    said = []
    demo_outages_step(structure, said.append)
    assert Outage.objects.count() == len(rows)
    assert len(said) == 1 and "demo-outages.csv" in said[0]
