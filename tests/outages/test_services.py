"""The outages ledger, R3 evaluation from the database, the CLI and the F3 ledger (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pyarrow as pa
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from getpower.cli import app
from getpower.core.models import EvaluationRun
from getpower.grid.models import Asset
from getpower.outages import services
from getpower.outages.models import Finding, GovernanceItem, Outage
from tests.factories import build_province, import_text

from .fixtures import EXPECTED_CSV, OUTAGES

pytestmark = pytest.mark.shared_data(build=build_province)  # one province for the module (tests/conftest.py)

runner = CliRunner()


@pytest.fixture
def outages(province):
    return import_text("outages", OUTAGES, name="outages.csv")


def test_import_keeps_claims_without_evidence_and_lists_them(outages):
    assert Outage.objects.count() == 9
    e5 = Outage.objects.get(event_id="E5")
    assert e5.exclusion == "disaster_warning" and e5.evidence_problem
    assert any("E5" in w and "不予认可" in w for w in outages.warnings)
    assert Outage.objects.get(event_id="E7").evidence_problem == ""
    assert list(Outage.objects.get(event_id="E4").affected.values_list("tq__asset_id", flat=True)) == ["WH-T2"]


def test_bad_outage_rows_are_all_reported_and_nothing_written(province):
    from getpower.ledgers.importer import run_import

    bad = ("event_id,company,asset_type,asset_id,start_time,end_time,kind,affected_tq\n"
           "B1,WHPG,tq,NOPE,2026-01-01 08:00,2026-01-01 09:00,fault,\n"
           "B2,WHPG,tq,WH-T1,2026-01-01 08:00,2026-01-01 07:00,fault,\n"
           "B3,WHPG,line,WH-L1,2026-01-01 08:00,2026-01-01 09:00,fault,PL-T1\n"
           "B4,WHPG,tq,WH-T1,2026-01-01 08:00,2026-01-01 09:00,fault,WH-T2\n"
           "B5,WHPG,tq,WH-T1,2026/01/01,,outage,\n"
           "B6,PLPG,tq,WH-T1,2026-01-01 08:00,,fault,\n")
    result = run_import("outages", bad.encode(), "bad.csv")
    assert not result.ok
    got = {(e["row"], e["column"]) for e in result.errors}
    assert {(2, "asset_id"), (3, "end_time"), (4, "affected_tq"), (5, "affected_tq"), (6, "start_time"),
            (6, "kind"), (7, "asset_id")} <= got
    assert Outage.objects.count() == 0


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_cli_evaluate_csv_matches_hand_computation(outages, engine):
    result = runner.invoke(app, ["evaluate", "frequent-outages", "--as-of", "2026-03-01", "--format", "csv",
                                 "--engine", engine])
    assert result.exit_code == 0, result.output
    assert result.stdout == EXPECTED_CSV


def test_evaluate_stores_run_findings_and_opens_governance(outages):
    evaluation = services.evaluate(dt.date(2026, 3, 1))
    run = EvaluationRun.objects.get(pk=evaluation.run.pk)
    assert run.rule == "R3" and run.rulebook_version == 1
    finding = Finding.objects.get(run=run)
    assert (finding.asset.asset_id, finding.status, finding.year_count) == ("WH-T1", "breach", 4)
    event_ids = set(Outage.objects.filter(pk__in=[p for outage in finding.counted for p in outage])
                    .values_list("event_id", flat=True))
    assert event_ids == {"E1", "E3", "E5", "E6"}
    item = GovernanceItem.objects.get(asset=finding.asset)
    assert item.status == "identified"
    services.evaluate(dt.date(2026, 3, 1))
    assert GovernanceItem.objects.count() == 1  # an open item is not opened twice


def test_stored_counted_json_is_what_counted_by_unit_says(outages):
    """The JSON stored with each finding (the record ids behind each counted outage) is built
    column-wise in Arrow; it must read back as the plain per-unit lists."""
    import json

    evaluation = services.evaluate(dt.date(2026, 3, 1), store=False, detail=True)
    units = pa.array(evaluation.result.findings["asset_pk"].to_pylist(), pa.int64())
    plain = services.counted_by_unit(evaluation.result, set(units.to_pylist()))
    counted = services.period_counted(evaluation.result, units)
    without = pa.array([max(units.to_pylist()) + 1], pa.int64())  # a unit with no counted outage
    encoded = services.counted_json(counted, pa.concat_arrays([units, without])).to_pylist()
    assert plain and len(encoded) == len(units) + 1 and encoded[-1] == "[]"
    for pk, text in zip(units.to_pylist(), encoded, strict=False):
        assert json.loads(text) == [o["outages"] for o in plain.get(pk, [])]
        assert text == json.dumps([o["outages"] for o in plain.get(pk, [])])
    assert services.last_counted_start(counted) == {
        pk: max(o["start"] for o in entries) for pk, entries in plain.items()}
    # the engine's order is relied on only after checking it: rows in another order come back sorted
    shuffled = dataclasses.replace(evaluation.result, counted=evaluation.result.counted.take(
        pa.array(range(evaluation.result.counted.num_rows - 1, -1, -1))))
    assert services.period_counted(shuffled, units).equals(counted)


def test_json_carries_version_and_the_outages_behind_each_count(outages):
    import json

    result = runner.invoke(app, ["evaluate", "frequent-outages", "--as-of", "2026-03-01", "--format", "json"])
    payload = json.loads(result.stdout)
    assert payload["rulebook_version"] == 1
    wh_t1 = next(r for r in payload["results"] if r["asset_id"] == "WH-T1")
    assert sorted(e for o in wh_t1["counted_outages"] for e in o["event_ids"]) == ["E1", "E3", "E5", "E6"]


def test_rulebook_version_in_force_is_used(outages, province):
    from getpower.rulebook.services import create_version

    create_version(effective_from=dt.date(2026, 3, 1), changes={"short_switching_max_minutes": 60}, note="",
                   user=province.users["admin"], reason="测试")
    evaluation = services.evaluate(dt.date(2026, 3, 1), store=False)
    assert evaluation.rulebook.version == 2
    pl = next(f for f in evaluation.result.findings.to_pylist() if f["asset_id"] == "PL-T1") if any(
        f["asset_id"] == "PL-T1" for f in evaluation.result.findings.to_pylist()) else None
    assert pl is None  # E9 (45 min) is now an accepted switching exclusion: no counted outage left
    assert services.evaluate(dt.date(2026, 2, 28), store=False).rulebook.version == 1


def test_ledger_f3_xlsx_and_csv(outages, tmp_path):
    out = tmp_path / "f3.xlsx"
    result = runner.invoke(app, ["ledger", "F3", "--period", "2026-03", "--company", "KMPG", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_filelike(io.BytesIO(out.read_bytes())).get_sheet_by_name("F3").to_python()
    assert "线路、台区频繁停电台账及治理情况清单" in rows[0][0]
    assert "WH-T1" in rows[3] and 4 in [int(c) if isinstance(c, float) else c for c in rows[3]]
    csv_out = tmp_path / "f3.csv"
    runner.invoke(app, ["ledger", "F3", "--period", "2026-03", "--company", "PLPG", "--out", str(csv_out)])
    text = csv_out.read_text(encoding="utf-8-sig").splitlines()
    assert len(text) == 1 and text[0].startswith("供电单位,县区")  # an empty month still has its header
    feb = tmp_path / "feb.csv"
    runner.invoke(app, ["ledger", "F3", "--period", "2026-02", "--company", "WHPG", "--out", str(feb)])
    assert len(feb.read_text(encoding="utf-8-sig").splitlines()) == 1  # WH-T1 breached only on 03-01


@pytest.mark.parametrize("args,code", [
    (["--period", "2026-3", "--company", "WHPG"], "bad_period"),
    (["--period", "2026-13", "--company", "WHPG"], "bad_period"),
    (["--period", "2026-03", "--company", "NOBODY"], "unknown_company"),
    (["--period", "2026-03", "--company", "WH-EA"], "not_a_supplier"),
])
def test_ledger_usage_errors_exit_2(province, args, code):
    result = runner.invoke(app, ["ledger", "F3", *args])
    assert result.exit_code == 2 and code in result.stderr


def test_unit_report_for_one_unit_agrees_with_the_province(outages):
    unit = Asset.objects.get(asset_id="WH-T1")
    report = services.unit_report(unit, dt.date(2026, 3, 1))
    assert report["finding"]["status"] == "breach"
    reasons = {d["event_id"]: d["reason"] for d in report["decisions"]}
    assert reasons == {"E1": "counted", "E2": "too_short", "E3": "counted", "E5": "rejected_no_evidence",
                       "E6": "counted"}
    assert [h["year_count"] for h in report["history"]] == [1, 2, 3, 4]
    assert [h["window_count"] for h in report["history"]] == [1, 2, 3, 4]


def test_exclusion_audit_numbers_agree_with_their_lists(outages, client, province):
    services.evaluate(dt.date(2026, 3, 1))
    client.login(username="regulator", password=province.password)
    page = client.get("/outages/exclusions/").content.decode()
    assert "五华供电局" in page and "盘龙供电局" in page
    rejected = client.get("/outages/records/?company=WHPG&claim=rejected").content.decode()
    assert ">E5<" in rejected and ">E7<" not in rejected
    accepted = client.get("/outages/records/?company=WHPG&claim=accepted").content.decode()
    assert ">E7<" in accepted and ">E5<" not in accepted
    pl_rejected = client.get("/outages/records/?company=PLPG&exclusion=mode_adjustment&claim=rejected").content.decode()
    assert ">E9<" in pl_rejected and ">E8<" not in pl_rejected


def test_stored_claims_are_the_records_claims_company_by_company(outages):
    from getpower.outages.models import ExclusionClaims, Outage

    evaluation = services.evaluate(dt.date(2026, 3, 1))
    # the oracle: the stored records themselves, one by one, with the rule's verdict on each claim
    verdict = {row["outage_pk"]: row["claim_status"] for row in evaluation.result.claims.to_pylist()}
    expected: dict[str, dict] = {}
    for record in Outage.objects.select_related("asset__company").order_by("id"):
        entry = expected.setdefault(record.asset.company.org_code,
                                    {"total": 0, "counts": {}, "accepted": [], "rejected": []})
        entry["total"] += 1
        if record.exclusion and record.exclusion != "none":
            status = "accepted" if verdict[record.pk] == "accepted" else "rejected"
            entry["counts"].setdefault(record.exclusion, {"accepted": 0, "rejected": 0})[status] += 1
            entry[status].append(record.pk)
    stored = {c.company.org_code: {"total": c.total_records, "counts": c.counts, "accepted": c.accepted_ids,
                                   "rejected": c.rejected_ids}
              for c in ExclusionClaims.objects.filter(run=evaluation.run).select_related("company")}
    assert stored == expected
    assert any(e["accepted"] for e in expected.values()) and any(e["rejected"] for e in expected.values())


def test_f3_of_a_company_evaluated_alone_is_the_province_s(outages, monkeypatch):
    """A company's F3 evaluates only its units and the lines feeding them; it must list what the
    province-wide evaluation lists, and a company without units gets an empty ledger."""
    from getpower.core.models import Organisation
    from getpower.filings.producers import Period
    from getpower.outages import f3

    period = Period.parse("2026-03")
    province = services.evaluate(period.last_day, store=False)
    calls = []
    evaluate = services.evaluate
    monkeypatch.setattr(services, "evaluate", lambda *a, **k: calls.append(k.get("asset_pks")) or evaluate(*a, **k))
    for code in ("KMPG", "WHPG", "PLPG"):
        company = Organisation.objects.get(org_code=code)
        alone = f3.produce(company, period)
        assert calls[-1] is not None and len(calls[-1]) == Asset.objects.filter(
            company_id__in=f3.organisation_subtree_ids(company.pk)).count()
        assert alone.rows == f3.produce(company, period, province).rows
    assert any(f3.produce(Organisation.objects.get(org_code=c), period, province).rows for c in ("KMPG", "WHPG"))
    monkeypatch.setattr(f3, "SUBSET_LIMIT", 0)  # over the limit: the whole province
    f3.produce(Organisation.objects.get(org_code="WHPG"), period)
    assert calls[-1] is None
    tables = services.extract_tables([])
    assert [t.num_rows for t in tables] == [0, 0, 0]

