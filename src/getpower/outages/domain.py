"""The frequent-outage rule domain (R3), declared once for the platform (``getpower.domains``)."""

from __future__ import annotations

import datetime as dt

from getpower.domains.registry import CHINA, Output, RuleDomain

from .kpis import OPEN_GOVERNANCE, OUTAGE_RATE
from .services import counted_by_unit
from .services import evaluate as evaluate_r3

COLUMNS = ("asset_type", "asset_id", "company", "county_code", "year_count", "max_60d_count", "status",
           "first_breach_date")


def evaluate(*, as_of: dt.date, engine: str = "duckdb", store: bool = True, actor: str = "system",
             detail: bool = False):
    return evaluate_r3(as_of, engine=engine, store=store, actor=actor, detail=detail)


def output(evaluation, fmt: str, options: dict) -> Output:
    """One row per unit with a counted outage in the period; JSON also names the outages behind the counts."""
    findings = evaluation.result.findings.to_pylist()
    if fmt == "json":
        behind = counted_by_unit(evaluation.result, {r["asset_pk"] for r in findings})
        event_ids = dict(zip(evaluation.result.decisions["outage_pk"].to_pylist(),
                             evaluation.result.decisions["event_id"].to_pylist(), strict=True))
        for r in findings:
            r["counted_outages"] = [
                {"start": dt.datetime.fromtimestamp(o["start"], dt.UTC).astimezone(CHINA).isoformat(),
                 "event_ids": [event_ids[p] for p in o["outages"]]} for o in behind.get(r["asset_pk"], [])]
    return Output(COLUMNS, findings, f"频繁停电评估（{evaluation.as_of}）")


def declaration() -> RuleDomain:
    return RuleDomain(
        name="frequent-outages", rule="R3", label="频繁停电",
        description="每个在统计期内有计入停电的线路/台区一行", ledgers=("assets", "outages"),
        evaluate=evaluate, output=output, as_of="day", detail_for_json=True, kpis=(OUTAGE_RATE, OPEN_GOVERNANCE),
        opens_governance=True, findings_url="/outages/findings/")
