"""Frequent-outage evaluation (rules R3) from the database to stored findings, and governance
(闭环销号) state changes. The rule itself lives in ``rules.py``; this module moves data and records."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction
from django.utils import timezone

from getpower.analytics.extract import bulk_read, epoch, query_arrow
from getpower.core.models import EvaluationRun, Organisation
from getpower.domains import runs
from getpower.ledgers.bulk import fast_insert
from getpower.rulebook.services import Rulebook, rulebook_at
from getpower.workdays.calendar import CHINA

from . import rules
from .models import ExclusionClaims, Finding, GovernanceEvent, GovernanceItem

RULE = "R3"
EXCLUSION_LABELS = {"disaster_warning": "自然灾害预警", "external_damage": "外力破坏",
                    "supply_assurance": "保供电接入退出", "mode_adjustment": "方式调整"}
REASON_LABELS = {
    "counted": "计入", "too_short": "不超过3分钟（短时停电）不计", "excluded_disaster_warning": "剔除：自然灾害预警",
    "excluded_external_damage": "剔除：外力破坏", "excluded_supply_assurance": "剔除：保供电接入退出",
    "excluded_mode_adjustment": "剔除：方式调整", "rejected_no_evidence": "剔除不予认可（缺少证据），计入",
    "rejected_too_long": "剔除不予认可（超过时限），计入",
}


@dataclass
class R3Evaluation:
    as_of: dt.date
    rulebook: Rulebook
    result: rules.R3Result
    engine: str
    assets: pa.Table
    run: EvaluationRun | None = None
    seconds: float = 0.0


def extract_tables(asset_pks: list[int] | None = None) -> tuple[pa.Table, pa.Table, pa.Table]:
    """assets, outages and affected-台区 tables for the engine (optionally only some units and the
    lines feeding them — enough to evaluate those units exactly)."""
    where_assets, where_outages, where_affected = "", "", ""
    if asset_pks is not None and not asset_pks:
        return (rules.ASSETS_SCHEMA.empty_table(), rules.OUTAGES_SCHEMA.empty_table(),
                rules.AFFECTED_SCHEMA.empty_table())
    if asset_pks is not None:
        marks = ",".join(["%s"] * len(asset_pks))
        # the units and the lines feeding them (their outages reach the 台区)
        feeding = f"(SELECT line_id FROM grid_asset WHERE id IN ({marks}) AND line_id IS NOT NULL)"
        where_assets = f" WHERE a.id IN ({marks}) OR a.id IN {feeding}"
        # the units' own outages and the outages of the lines feeding them
        where_outages = f" WHERE o.asset_id IN ({marks}) OR o.asset_id IN {feeding}"
        # every listed 台区 of the feeding lines' outages: an outage that lists other 台区 must not
        # look like one that lists none (which would cut them all)
        where_affected = f" WHERE f.outage_id IN (SELECT id FROM outages_outage WHERE asset_id IN {feeding})"
    pks = list(asset_pks or [])
    with bulk_read(asset_pks is None):  # a province: the three tables through ADBC, as of one moment
        assets = query_arrow(
            "SELECT a.id, a.asset_type, a.asset_id, c.org_code, a.county_id, a.line_id, a.users "
            "FROM grid_asset a JOIN core_organisation c ON c.id = a.company_id" + where_assets,
            pks * 2, rules.ASSETS_SCHEMA)
        outages = query_arrow(
            f"SELECT o.id, o.event_id, o.asset_id, o.asset_type, {epoch('o.start_time')}, {epoch('o.end_time')}, "
            "o.kind, o.exclusion, CASE WHEN o.evidence_problem = '' THEN 1 ELSE 0 END FROM outages_outage o"
            + where_outages, pks * 2, rules.OUTAGES_SCHEMA)
        affected = query_arrow("SELECT f.outage_id, f.tq_id FROM outages_outageaffected f" + where_affected,
                               pks, rules.AFFECTED_SCHEMA)
    return assets, outages, affected


def evaluate(as_of: dt.date, *, engine: str = "duckdb", store: bool = True, actor: str = "system",
             asset_pks: list[int] | None = None, detail: bool = False) -> R3Evaluation:
    """R3 at the end of ``as_of`` with the rulebook in force that day; stores a run and its
    warning/breach findings and opens governance items for breaches when ``store``.

    ``detail``: also fetch every (unit, record) decision and the merged outages of every unit
    (see ``rules.evaluate_frequent_outages``); without it the result holds what storing a run,
    the F3 ledger and the findings need."""
    started = time.monotonic()
    book = rulebook_at(as_of)
    assets, outages, affected = extract_tables(asset_pks)
    result = rules.evaluate_frequent_outages(engine, assets, outages, affected,
                                             rules.R3Params.from_values(book.values), as_of, detail=detail)
    evaluation = R3Evaluation(as_of=as_of, rulebook=book, result=result, engine=engine, assets=assets)
    if store:
        evaluation.run = store_run(evaluation, actor=actor)
    evaluation.seconds = time.monotonic() - started
    runs.finish(evaluation.run, evaluation.seconds)
    return evaluation


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=CHINA)


def period_counted(result: rules.R3Result, asset_pks) -> pa.Table:
    """The merged counted outages in the period of the given units (a set of ids or an Arrow
    array), ordered by unit and number — the engine's own order, so sorting is rarely needed."""
    wanted = asset_pks if isinstance(asset_pks, pa.Array) else pa.array(list(asset_pks), pa.int64())
    c = result.counted
    c = c.filter(pc.and_(c["in_period"], pc.is_in(c["asset_pk"], wanted)))
    unit_step, number_step = np.diff(c["asset_pk"].to_numpy()), np.diff(c["merged_no"].to_numpy())
    if not np.all((unit_step > 0) | ((unit_step == 0) & (number_step > 0))):
        c = c.sort_by([("asset_pk", "ascending"), ("merged_no", "ascending")])
    return c


def counted_by_unit(result: rules.R3Result, asset_pks: set[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for row in period_counted(result, asset_pks).to_pylist():
        out.setdefault(row["asset_pk"], []).append(
            {"start": row["start_ts"], "end": row["end_ts"], "outages": row["outage_pks"]})
    return out


def counted_json(counted: pa.Table, units: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The outages behind each unit's counts, as stored with its finding, for each of ``units``:
    one list of outage record ids per counted (merged) outage in the period, in order —
    ``[[12, 13], [40]]`` (the ids of :func:`counted_by_unit`'s ``outages``; ``[]`` for a unit
    without any). ``counted``: :func:`period_counted`. Built column-wise in Arrow, because a
    province has hundreds of thousands of flagged units and millions of merged outages."""
    if counted.num_rows == 0:
        return pa.array(["[]"] * len(units), pa.string())
    owners = counted["asset_pk"].to_numpy()
    item = pc.binary_join_element_wise(
        "[", pc.binary_join(pc.cast(counted["outage_pks"], pa.list_(pa.string())), ", "), "]", "")
    # sorted by unit: each unit's items are one run, so a list array over the run boundaries groups them
    starts = np.concatenate([[0], np.flatnonzero(np.diff(owners)) + 1])
    offsets = pa.array(np.concatenate([starts, [len(owners)]]).astype(np.int32))
    lists = pa.ListArray.from_arrays(offsets, item.combine_chunks())
    text = pc.binary_join_element_wise("[", pc.binary_join(lists, ", "), "]", "")
    positions = pc.index_in(units, value_set=pa.array(owners[starts]))
    return pc.fill_null(pc.take(text, positions), "[]")


def last_counted_start(counted: pa.Table) -> dict[int, int]:
    """The start of each unit's latest counted outage in the period (``counted``: :func:`period_counted`)."""
    last = counted.group_by("asset_pk").aggregate([("start_ts", "max")])
    return dict(zip(last["asset_pk"].to_pylist(), last["start_ts_max"].to_pylist(), strict=True))


@transaction.atomic
def store_run(evaluation: R3Evaluation, *, actor: str) -> EvaluationRun:
    findings = evaluation.result.findings
    statuses = pc.value_counts(findings["status"]).to_pylist() if findings.num_rows else []
    summary = {s["values"]: s["counts"] for s in statuses}
    summary["units_with_counted_outages"] = findings.num_rows
    run = runs.record(RULE, as_of=end_of_day(evaluation.as_of), rulebook=evaluation.rulebook,
                      engine=evaluation.engine, actor=actor, summary=summary)
    flagged = findings.filter(pc.is_in(findings["status"], pa.array(rules.FLAGGED)))
    company_ids = dict(Organisation.objects.values_list("org_code", "id"))
    counted = period_counted(evaluation.result, flagged["asset_pk"].combine_chunks())
    fast_insert(Finding, columns={
        "run": run.pk, "asset": flagged["asset_pk"], "asset_type": flagged["asset_type"],
        "company": company_pks(flagged["company"], company_ids), "county": flagged["county_code"],
        "year_count": flagged["year_count"], "max_60d_count": flagged["max_60d_count"],
        "long_count": flagged["last_long_count"], "short_count": flagged["last_short_count"],
        "status": flagged["status"], "first_breach_date": flagged["first_breach_date"],
        "counted": counted_json(counted, flagged["asset_pk"])})
    breaches = flagged.filter(pc.equal(flagged["status"], "breach"))
    open_governance(run, breaches, last_counted_start(counted), company_ids)
    store_claims(run, evaluation, company_ids)
    runs.stored(run)
    return run


def company_pks(codes: pa.ChunkedArray, company_ids: dict[str, int]) -> pa.Array:
    """The organisations' primary keys for a column of their codes (an unknown code is an error)."""
    known = pa.array(list(company_ids), pa.string())
    positions = pc.index_in(codes, value_set=known)
    if positions.null_count:
        missing = sorted(set(pc.filter(codes, pc.is_null(positions)).to_pylist()))
        raise ValueError(f"unknown organisation codes: {missing[:10]}")
    return pc.take(pa.array(list(company_ids.values()), pa.int64()), positions)


def own_decisions(evaluation: R3Evaluation) -> pa.Table:
    """Each outage record's decision for its own unit (claims are judged on the record itself),
    with the unit's company."""
    companies = evaluation.assets.select(["asset_pk", "company"])
    return evaluation.result.claims.join(companies, "asset_pk", join_type="left outer")


def store_claims(run: EvaluationRun, evaluation: R3Evaluation, company_ids: dict[str, int]) -> None:
    """Per company: its records, and per category the claims accepted and rejected, with the ids
    behind each count (ascending)."""
    own = own_decisions(evaluation)
    totals = own.group_by("company").aggregate([("outage_pk", "count")])
    claimed = own.filter(pc.not_equal(own["exclusion"], "none"))
    accepted = pc.equal(claimed["claim_status"], "accepted")
    claimed = claimed.append_column("verdict", pc.if_else(accepted, "accepted", "rejected")).sort_by(
        [("outage_pk", "ascending")])
    per: dict[str, dict] = {code: {"total": total, "counts": {}, "accepted": [], "rejected": []}
                            for code, total in zip(totals["company"].to_pylist(),
                                                   totals["outage_pk_count"].to_pylist(), strict=True)}
    counts = claimed.group_by(["company", "exclusion", "verdict"]).aggregate([("outage_pk", "count")])
    for code, exclusion, verdict, n in zip(*(counts[c].to_pylist() for c in (
            "company", "exclusion", "verdict", "outage_pk_count")), strict=True):
        per[code]["counts"].setdefault(exclusion, {"accepted": 0, "rejected": 0})[verdict] = n
    # in one thread Arrow keeps the (sorted) order inside each group
    ids = claimed.group_by(["company", "verdict"], use_threads=False).aggregate([("outage_pk", "list")])
    for code, verdict, pks in zip(*(ids[c].to_pylist() for c in ("company", "verdict", "outage_pk_list")),
                                  strict=True):
        per[code][verdict] = pks
    ExclusionClaims.objects.bulk_create([
        ExclusionClaims(run=run, company_id=company_ids[code], total_records=v["total"], counts=v["counts"],
                        accepted_ids=v["accepted"], rejected_ids=v["rejected"])
        for code, v in per.items()
    ])


def exclusion_audit(scope, run: EvaluationRun | None) -> list[dict]:
    """Per company in the scope: records, and per category the claims accepted and rejected, with rates."""
    if run is None:
        return []
    claims = ExclusionClaims.objects.filter(run=run, company__in=scope.suppliers()).select_related("company")
    rows = []
    for c in claims.order_by("company__org_code"):
        accepted = sum(v["accepted"] for v in c.counts.values())
        rejected = sum(v["rejected"] for v in c.counts.values())
        rows.append({
            "company": c.company, "total": c.total_records, "accepted": accepted, "rejected": rejected,
            "rate": accepted / c.total_records if c.total_records else 0.0,
            "categories": [(key, label, c.counts.get(key, {"accepted": 0, "rejected": 0}))
                           for key, label in EXCLUSION_LABELS.items()],
        })
    return rows


def claim_outage_ids(qs, run: EvaluationRun, claim: str, scope) -> list[int]:
    """Ids of the records in ``qs`` whose claim the run accepted (or rejected), newest first."""
    field = "accepted_ids" if claim == "accepted" else "rejected_ids"
    candidates: list[int] = []
    for values in ExclusionClaims.objects.filter(run=run, company__in=scope.suppliers()).values_list(field, flat=True):
        candidates.extend(values)
    found: list[int] = []
    for index in range(0, len(candidates), 5000):
        found.extend(qs.filter(id__in=candidates[index:index + 5000]).values_list("id", flat=True))
    return sorted(found, reverse=True)


def count_history(starts: list[int], window_days: int) -> list[dict]:
    """For the unit chart: after each counted outage (start order), the year count so far and how
    many counted outages started in the window ending with it (the same window as R3's 60 days)."""
    history, window = [], window_days * 86400
    for index, start in enumerate(starts):
        in_window = sum(1 for s in starts[: index + 1] if start - s < window)
        history.append({"start": start, "year_count": index + 1, "window_count": in_window})
    return history


def unit_report(asset, as_of: dt.date) -> dict:
    """One unit's R3 picture at the end of ``as_of``: its finding, every outage record with the
    decision the rule made, and its counts over time."""
    evaluation = evaluate(as_of, store=False, asset_pks=[asset.pk], detail=True)
    result = evaluation.result
    finding = next((f for f in result.findings.to_pylist() if f["asset_pk"] == asset.pk), None)
    decisions = [d for d in result.decisions.to_pylist() if d["asset_pk"] == asset.pk]
    decisions.sort(key=lambda d: d["start_ts"])
    for d in decisions:
        d["reason_label"] = REASON_LABELS.get(d["reason"], d["reason"])
        d["start"] = dt.datetime.fromtimestamp(d["start_ts"], dt.UTC).astimezone(CHINA)
        d["minutes"] = round(d["duration_seconds"] / 60, 1)
    counted = [c for c in result.counted.to_pylist() if c["asset_pk"] == asset.pk and c["in_period"]]
    counted.sort(key=lambda c: c["start_ts"])
    history = count_history([c["start_ts"] for c in counted], evaluation.rulebook["window_days"])
    return {"finding": finding, "decisions": decisions, "history": history, "rulebook": evaluation.rulebook,
            "counted": counted}


def open_governance(run: EvaluationRun, breaches: pa.Table, last_start: dict[int, int],
                    company_ids: dict[str, int]) -> None:
    """A breach opens an item; a breach with a counted outage that started after a closed item's
    close reopens it (a new cycle). An open item is left as it is. ``breaches``: the run's breach
    findings (``rules.FINDINGS_SCHEMA``); ``last_start``: each one's latest counted outage start."""
    units = breaches["asset_pk"].to_pylist()
    wanted = set(units)
    latest: dict[int, dict] = {}  # the unit's latest cycle (one row per unit and cycle: a small table)
    for item in GovernanceItem.objects.order_by("cycle").values("id", "asset", "status", "closed_at"):
        if item["asset"] in wanted:  # the unit's key
            latest[item["asset"]] = item
    now = timezone.now()
    fresh, events = [], []
    for index, unit in enumerate(units):
        item = latest.get(unit)
        if item is None:
            fresh.append(index)
        elif item["status"] == GovernanceItem.Status.CLOSED and item["closed_at"] is not None and (
                last_start.get(unit, 0) > item["closed_at"].timestamp()):
            events.append(reopen(GovernanceItem.objects.get(pk=item["id"]), breaches.slice(index, 1).to_pylist()[0],
                                 now, run))
    if fresh:
        new = breaches.take(pa.array(fresh, pa.int64()))
        fast_insert(GovernanceItem, columns={
            "asset": new["asset_pk"], "company": company_pks(new["company"], company_ids),
            "county": new["county_code"], "status": GovernanceItem.Status.IDENTIFIED, "cycle": 1,
            "opened_at": now, "updated_at": now, "first_breach_date": new["first_breach_date"],
            "year_count": new["year_count"], "max_60d_count": new["max_60d_count"]})
        # each new item's "identify" event, made by the database from the rows just inserted
        # (``now`` is this call's own: no other item was opened at that instant)
        def column(model, name: str) -> str:
            return connection.ops.quote_name(model._meta.get_field(name).column)

        stamp = connection.ops.adapt_datetimefield_value(now)
        given = {"at": stamp, "actor": "system", "transition": "identify", "from_status": "",
                 "to_status": GovernanceItem.Status.IDENTIFIED.value, "note": f"评估批次 {run.pk} 发现频繁停电"}
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(GovernanceEvent._meta.db_table)} "
                f"({column(GovernanceEvent, 'item')}, {', '.join(column(GovernanceEvent, n) for n in given)}) "
                f"SELECT {column(GovernanceItem, 'id')}, {', '.join(['%s'] * len(given))} "
                f"FROM {connection.ops.quote_name(GovernanceItem._meta.db_table)} "
                f"WHERE {column(GovernanceItem, 'opened_at')} = %s AND {column(GovernanceItem, 'cycle')} = 1",
                [*given.values(), stamp])
    fast_insert(GovernanceEvent, events)


def reopen(item: GovernanceItem, finding: dict, now: dt.datetime, run: EvaluationRun) -> dict:
    """A closed item whose unit breaches again with a newer outage starts a new cycle; returns the event."""
    item.status, item.cycle, item.opened_at = GovernanceItem.Status.IDENTIFIED, item.cycle + 1, now
    item.first_breach_date, item.year_count, item.max_60d_count = (
        finding["first_breach_date"], finding["year_count"], finding["max_60d_count"])
    item.measures, item.planned_completion, item.completed_at, item.closed_at = "", None, None, None
    item.verification_method, item.verification_note = "", ""
    item.save()
    return {"item_id": item.pk, "at": now, "actor": "system", "transition": "reopen", "from_status": "closed",
            "to_status": "identified", "note": f"销号后再次达到频繁停电标准（评估批次 {run.pk}）"}


def latest_run(as_of: dt.date | None = None) -> EvaluationRun | None:
    return runs.latest(RULE, as_of_date=as_of)
