"""Frequent-outage evaluation (rules R3) from the database to stored findings, and governance
(闭环销号) state changes. The rule itself lives in ``rules.py``; this module moves data and records."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction
from django.utils import timezone

from getpower.analytics.extract import epoch, query_arrow
from getpower.core.models import EvaluationRun, Organisation
from getpower.rulebook.services import Rulebook, rulebook_at

from . import rules
from .models import Finding, GovernanceEvent, GovernanceItem

RULE = "R3"


@dataclass
class R3Evaluation:
    as_of: dt.date
    rulebook: Rulebook
    result: rules.R3Result
    engine: str
    run: EvaluationRun | None = None
    seconds: float = 0.0


def extract_tables(asset_pks: list[int] | None = None) -> tuple[pa.Table, pa.Table, pa.Table]:
    """assets, outages and affected-台区 tables for the engine (optionally only some units and the
    lines feeding them — enough to evaluate those units exactly)."""
    where_assets, where_outages, where_affected = "", "", ""
    if asset_pks is not None:
        marks = ",".join(["%s"] * len(asset_pks))
        # the units and the lines feeding them (their outages reach the 台区)
        feeding = f"(SELECT line_id FROM grid_asset WHERE id IN ({marks}) AND line_id IS NOT NULL)"
        where_assets = f" WHERE a.id IN ({marks}) OR a.id IN {feeding}"
        # the units' own outages and the outages of the lines feeding them
        where_outages = f" WHERE o.asset_id IN ({marks}) OR o.asset_id IN {feeding}"
        where_affected = f" WHERE f.tq_id IN ({marks})"
    assets = query_arrow(
        "SELECT a.id, a.asset_type, a.asset_id, c.org_code, a.county_id, a.line_id, a.users "
        "FROM grid_asset a JOIN core_organisation c ON c.id = a.company_id" + where_assets,
        list(asset_pks or []) * (2 if asset_pks else 0), rules.ASSETS_SCHEMA)
    outages = query_arrow(
        f"SELECT o.id, o.event_id, o.asset_id, o.asset_type, {epoch('o.start_time')}, {epoch('o.end_time')}, "
        "o.kind, o.exclusion, CASE WHEN o.evidence_problem = '' THEN 1 ELSE 0 END FROM outages_outage o"
        + where_outages, list(asset_pks or []) * (2 if asset_pks else 0), rules.OUTAGES_SCHEMA)
    affected = query_arrow("SELECT f.outage_id, f.tq_id FROM outages_outageaffected f" + where_affected,
                           list(asset_pks or []), rules.AFFECTED_SCHEMA)
    return assets, outages, affected


def evaluate(as_of: dt.date, *, engine: str = "duckdb", store: bool = True, actor: str = "system",
             asset_pks: list[int] | None = None) -> R3Evaluation:
    """R3 at the end of ``as_of`` with the rulebook in force that day; stores a run and its
    warning/breach findings and opens governance items for breaches when ``store``."""
    started = time.monotonic()
    book = rulebook_at(as_of)
    assets, outages, affected = extract_tables(asset_pks)
    result = rules.evaluate_frequent_outages(engine, assets, outages, affected,
                                             rules.R3Params.from_values(book.values), as_of)
    evaluation = R3Evaluation(as_of=as_of, rulebook=book, result=result, engine=engine)
    if store:
        evaluation.run = store_run(evaluation, actor=actor)
    evaluation.seconds = time.monotonic() - started
    if evaluation.run is not None:
        EvaluationRun.objects.filter(pk=evaluation.run.pk).update(duration_seconds=evaluation.seconds)
    return evaluation


def end_of_day(day: dt.date) -> dt.datetime:
    from getpower.workdays.calendar import CHINA

    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=CHINA)


def counted_by_unit(result: rules.R3Result, asset_pks: set[int]) -> dict[int, list[dict]]:
    counted = result.counted.filter(pc.and_(result.counted["in_period"],
                                            pc.is_in(result.counted["asset_pk"], pa.array(list(asset_pks),
                                                                                          pa.int64()))))
    out: dict[int, list[dict]] = {}
    for row in counted.sort_by([("asset_pk", "ascending"), ("merged_no", "ascending")]).to_pylist():
        out.setdefault(row["asset_pk"], []).append(
            {"start": row["start_ts"], "end": row["end_ts"], "outages": row["outage_pks"]})
    return out


@transaction.atomic
def store_run(evaluation: R3Evaluation, *, actor: str) -> EvaluationRun:
    findings = evaluation.result.findings
    statuses = pc.value_counts(findings["status"]).to_pylist() if findings.num_rows else []
    summary = {s["values"]: s["counts"] for s in statuses}
    summary["units_with_counted_outages"] = findings.num_rows
    run = EvaluationRun.objects.create(
        rule=RULE, as_of=end_of_day(evaluation.as_of), rulebook_version=evaluation.rulebook.version,
        engine=evaluation.engine, actor=actor, summary=summary)
    flagged = findings.filter(pc.is_in(findings["status"], pa.array(["warning", "breach"])))
    rows = flagged.to_pylist()
    company_ids = dict(Organisation.objects.values_list("org_code", "id"))
    behind = counted_by_unit(evaluation.result, {r["asset_pk"] for r in rows})
    Finding.objects.bulk_create([
        Finding(run=run, asset_id=r["asset_pk"], asset_type=r["asset_type"], company_id=company_ids[r["company"]],
                county_id=r["county_code"], year_count=r["year_count"], max_60d_count=r["max_60d_count"],
                long_count=r["last_long_count"], short_count=r["last_short_count"], status=r["status"],
                first_breach_date=r["first_breach_date"], counted=behind.get(r["asset_pk"], []))
        for r in rows
    ], batch_size=5000)
    open_governance(run, [r for r in rows if r["status"] == "breach"], behind, company_ids)
    return run


def open_governance(run: EvaluationRun, breaches: list[dict], behind: dict[int, list[dict]],
                    company_ids: dict[str, int]) -> None:
    """A breach opens an item; a breach with a counted outage that started after a closed item's
    close reopens it (a new cycle). An open item is left as it is."""
    latest: dict[int, GovernanceItem] = {}
    for item in GovernanceItem.objects.filter(asset_id__in=[r["asset_pk"] for r in breaches]).order_by("cycle"):
        latest[item.asset_id] = item
    now = timezone.now()
    new_items, events = [], []
    for r in breaches:
        item = latest.get(r["asset_pk"])
        if item is not None and item.is_open:
            continue
        if item is not None:
            last_start = max((o["start"] for o in behind.get(r["asset_pk"], [])), default=0)
            if item.closed_at is None or last_start <= item.closed_at.timestamp():
                continue
            item.status, item.cycle, item.opened_at = GovernanceItem.Status.IDENTIFIED, item.cycle + 1, now
            item.first_breach_date, item.year_count, item.max_60d_count = (
                r["first_breach_date"], r["year_count"], r["max_60d_count"])
            item.measures, item.planned_completion, item.completed_at, item.closed_at = "", None, None, None
            item.verification_method, item.verification_note = "", ""
            item.save()
            events.append(GovernanceEvent(item=item, at=now, actor="system", transition="reopen",
                                          from_status="closed", to_status="identified",
                                          note=f"销号后再次达到频繁停电标准（评估批次 {run.pk}）"))
            continue
        new_items.append(GovernanceItem(
            asset_id=r["asset_pk"], company_id=company_ids[r["company"]], county_id=r["county_code"],
            opened_at=now, first_breach_date=r["first_breach_date"], year_count=r["year_count"],
            max_60d_count=r["max_60d_count"]))
    GovernanceItem.objects.bulk_create(new_items, batch_size=5000)
    for item in GovernanceItem.objects.filter(asset_id__in=[i.asset_id for i in new_items], cycle=1,
                                              status=GovernanceItem.Status.IDENTIFIED, opened_at=now):
        events.append(GovernanceEvent(item=item, at=now, actor="system", transition="identify", from_status="",
                                      to_status="identified", note=f"评估批次 {run.pk} 发现频繁停电"))
    GovernanceEvent.objects.bulk_create(events, batch_size=5000)


def latest_run(as_of: dt.date | None = None) -> EvaluationRun | None:
    qs = EvaluationRun.objects.filter(rule=RULE)
    if as_of is not None:
        qs = qs.filter(as_of__date=as_of)
    return qs.order_by("-started_at", "-id").first()
