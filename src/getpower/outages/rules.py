"""Frequent outages (频繁停电), rulebook R3, written once as Ibis expressions.

The same expressions run unchanged on DuckDB (embedded) and on Spark (scale-out): there is no
per-row Python and no backend-specific SQL. Times are int64 epoch seconds; a China day number is
``floor((ts + 8 h) / 86400)``, so every window below is a plain integer range (see
``docs/rules-r3.md`` for each interpretation of the rulebook made here).

Order of work, as R3 prescribes:

1. **Pairs.** Each outage record that starts before the end of the as-of day D is considered for
   its own unit, and a line outage also for every 台区 it cut: the ones listed in ``affected``
   for that outage, or, when none is listed, every 台区 whose ``line_pk`` is the line. A 台区's
   own outage never reaches its line.
2. **Decisions.** Each (unit, record) pair is decided on its own: its duration is measured at the
   end of D (an outage with no end, or ending after D, lasts until the end of D); it is counted
   when it lasts longer than ``min_minutes`` and no exclusion claim is accepted.
3. **Merging.** Per unit, counted records whose intervals overlap (one starts before the running
   maximum end of the earlier ones) are merged, chained, across every year. With
   ``merge_within_hours`` > 0 a record starting less than that many hours after the end of the
   previous merged outage joins it too.
4. **Period.** Only merged outages whose start lies in the period P (calendar year of D up to the
   end of D, or the 365 days ending with D) take part: ``year_count``, ``max_60d_count`` (starts
   with t_last − t_first < window_days × 24 h), the warnings and the first breach day.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import ibis
import pyarrow as pa

from getpower.analytics import engine

CHINA_OFFSET_SECONDS = engine.CHINA_OFFSET_SECONDS
SECONDS_PER_DAY = engine.SECONDS_PER_DAY
_EPOCH = datetime.date(1970, 1, 1)

YEAR_BASES = ("calendar", "rolling_365")
STATUSES = ("ok", "warning", "breach")
REASONS = (
    "counted",
    "too_short",
    "excluded_disaster_warning",
    "excluded_external_damage",
    "excluded_supply_assurance",
    "excluded_mode_adjustment",
    "rejected_no_evidence",
    "rejected_too_long",
)
EVIDENCE_EXCLUSIONS = ("disaster_warning", "external_damage")
SWITCHING_EXCLUSIONS = ("supply_assurance", "mode_adjustment")

ASSETS_SCHEMA = pa.schema([
    ("asset_pk", pa.int64()),
    ("asset_type", pa.string()),
    ("asset_id", pa.string()),
    ("company", pa.string()),
    ("county_code", pa.string()),
    ("line_pk", pa.int64()),
    ("users", pa.int64()),
])
OUTAGES_SCHEMA = pa.schema([
    ("outage_pk", pa.int64()),
    ("event_id", pa.string()),
    ("asset_pk", pa.int64()),
    ("asset_type", pa.string()),
    ("start_ts", pa.int64()),
    ("end_ts", pa.int64()),
    ("kind", pa.string()),
    ("exclusion", pa.string()),
    ("evidence_ok", pa.bool_()),
])
AFFECTED_SCHEMA = pa.schema([
    ("outage_pk", pa.int64()),
    ("tq_pk", pa.int64()),
])

FINDINGS_SCHEMA = pa.schema([
    ("asset_type", pa.string()),
    ("asset_id", pa.string()),
    ("company", pa.string()),
    ("county_code", pa.string()),
    ("year_count", pa.int64()),
    ("max_60d_count", pa.int64()),
    ("status", pa.string()),
    ("first_breach_date", pa.date32()),
    ("asset_pk", pa.int64()),
    ("last_long_count", pa.int64()),
    ("last_short_count", pa.int64()),
])
COUNTED_SCHEMA = pa.schema([
    ("asset_pk", pa.int64()),
    ("merged_no", pa.int64()),
    ("start_ts", pa.int64()),
    ("end_ts", pa.int64()),
    ("outage_pks", pa.list_(pa.int64())),
    ("in_period", pa.bool_()),
])
DECISIONS_SCHEMA = pa.schema([
    ("asset_pk", pa.int64()),
    ("outage_pk", pa.int64()),
    ("event_id", pa.string()),
    ("source_asset_pk", pa.int64()),
    ("source_asset_type", pa.string()),
    ("kind", pa.string()),
    ("exclusion", pa.string()),
    ("start_ts", pa.int64()),
    ("end_ts_effective", pa.int64()),
    ("duration_seconds", pa.int64()),
    ("counted", pa.bool_()),
    ("reason", pa.string()),
    ("claim_status", pa.string()),
])


@dataclass
class R3Params:
    """The R3 rulebook parameters (defaults as in ``shared/spec/rules.md``).

    ``merge_within_hours``: 0 (default) merges only overlapping outages. When positive, a counted
    outage that starts less than ``merge_within_hours`` hours after the *end* of the previous
    merged outage of the same unit joins that merged outage (chained, like overlaps): the gap
    is measured from end to start, strictly less than the limit, so a gap of exactly
    ``merge_within_hours`` hours makes two outages.
    """

    min_minutes: int = 3
    short_switching_max_minutes: int = 30
    year_max_outages: int = 5
    window_days: int = 60
    window_max_outages: int = 3
    year_basis: str = "calendar"
    merge_within_hours: int = 0
    warning_year_count: int = 4
    warning_long_days: int = 50
    warning_long_count: int = 3
    warning_short_days: int = 30
    warning_short_count: int = 2

    def __post_init__(self) -> None:
        if self.year_basis not in YEAR_BASES:
            raise ValueError(f"year_basis must be one of {YEAR_BASES}, not {self.year_basis!r}")
        for f in fields(self):
            if f.name != "year_basis":
                value = getattr(self, f.name)
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"{f.name} must be a non-negative integer, not {value!r}")
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> R3Params:
        """Build from a rulebook version's values; keys of other rules are ignored."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                continue
            kwargs[key] = str(value).strip() if key == "year_basis" else int(value)
        return cls(**kwargs)


CLAIMS_SCHEMA = pa.schema([
    ("asset_pk", pa.int64()),
    ("outage_pk", pa.int64()),
    ("exclusion", pa.string()),
    ("claim_status", pa.string()),
])
FLAGGED = ("warning", "breach")


@dataclass
class R3Expressions:
    """The R3 outputs as Ibis expressions (see :func:`frequent_outage_expressions`)."""

    findings: ibis.Table
    counted: ibis.Table
    decisions: ibis.Table
    claims: ibis.Table  # each record's decision for its own unit: what its exclusion claim came to
    flagged_counted: ibis.Table  # ``counted`` in the period, only for units with a warning or breach


@dataclass
class R3Result:
    findings: pa.Table  # one row per unit with >= 1 counted (merged) outage in the period
    counted: pa.Table  # the merged counted outages of every unit, flagged in_period (see ``detail``)
    decisions: pa.Table | None  # every (unit, outage record) pair considered, counted or not and why
    claims: pa.Table  # each record's decision for its own unit (CLAIMS_SCHEMA), in no particular order


def china_day_number(day: datetime.date) -> int:
    """Days since 1970-01-01 (China calendar day)."""
    return (day - _EPOCH).days


def china_day_start_ts(day_number: int) -> int:
    """Epoch seconds of 00:00 China time on the given day number."""
    return day_number * SECONDS_PER_DAY - CHINA_OFFSET_SECONDS


def period_start_day(params: R3Params, as_of: datetime.date) -> int:
    """The first day (day number) of the statistical period P ending with the as-of day."""
    if params.year_basis == "calendar":
        return china_day_number(datetime.date(as_of.year, 1, 1))
    return china_day_number(as_of) - 364


def frequent_outage_expressions(assets: ibis.Table, outages: ibis.Table, affected: ibis.Table,
                                params: R3Params, as_of: datetime.date,
                                materialise: Callable[[ibis.Table], ibis.Table] | None = None) -> R3Expressions:
    """R3 at the end of ``as_of`` (China time) as Ibis expressions over the three input tables.

    The inputs have the columns of ``ASSETS_SCHEMA``, ``OUTAGES_SCHEMA`` and ``AFFECTED_SCHEMA``.
    Without ``materialise`` nothing is executed here: the result can be compiled, benchmarked or
    run on any backend. ``materialise`` (e.g. ``ibis.Table.cache``) is applied to the two
    intermediate tables every output shares — the decided (unit, record) pairs and the merged
    outages — so that fetching several outputs computes them once.
    """
    keep = materialise or (lambda table: table)
    day_d = china_day_number(as_of)
    end_of_d = china_day_start_ts(day_d + 1)
    period_start = china_day_start_ts(period_start_day(params, as_of))
    long_from = china_day_start_ts(day_d - params.warning_long_days + 1)
    short_from = china_day_start_ts(day_d - params.warning_short_days + 1)
    min_seconds = params.min_minutes * 60
    switching_max_seconds = params.short_switching_max_minutes * 60
    merge_gap_seconds = params.merge_within_hours * 3600
    # open at the older end: t_last - t_first < window_days * 24 h
    window_preceding_seconds = params.window_days * SECONDS_PER_DAY - 1

    end_lit = ibis.literal(end_of_d, type="int64")

    # 1. records up to the end of D, with their duration measured at the end of D
    records = outages.filter(outages.start_ts < end_lit).select(
        outage_pk=outages.outage_pk,
        event_id=outages.event_id,
        source_asset_pk=outages.asset_pk,
        source_asset_type=outages.asset_type,
        kind=outages.kind,
        exclusion=outages.exclusion.fill_null("none"),
        evidence_ok=outages.evidence_ok.fill_null(False),
        start_ts=outages.start_ts,
        end_ts_effective=ibis.least(outages.end_ts.fill_null(end_lit), end_lit),
    )

    # 2. each record decided on its own: nothing in the decision depends on which unit it is
    #    counted for, so it is made once per record, before the record reaches its units
    duration = records.end_ts_effective - records.start_ts
    claim_accepted = (records.exclusion.isin(EVIDENCE_EXCLUSIONS) & records.evidence_ok) | (
        records.exclusion.isin(SWITCHING_EXCLUSIONS) & (duration <= switching_max_seconds)
    )
    claim_status = ibis.cases(
        (records.exclusion == "none", "none"),
        (claim_accepted, "accepted"),
        else_="rejected",
    )
    too_short = duration <= min_seconds
    reason = ibis.cases(
        (too_short, "too_short"),
        (claim_accepted, "excluded_" + records.exclusion),
        (records.exclusion == "none", "counted"),
        (records.exclusion.isin(SWITCHING_EXCLUSIONS), "rejected_too_long"),
        else_="rejected_no_evidence",
    )
    decided = records.select(
        "outage_pk",
        "event_id",
        "source_asset_pk",
        "source_asset_type",
        "kind",
        "exclusion",
        "start_ts",
        "end_ts_effective",
        duration_seconds=duration,
        counted=~too_short & ~claim_accepted,
        reason=reason,
        claim_status=claim_status,
    )

    # 3. (unit, record) pairs: own unit; a line outage also reaches the 台区 it cut
    tq = assets.filter(assets.asset_type == "tq").select(tq_pk=assets.asset_pk, tq_line_pk=assets.line_pk)
    listed_tq = affected.select("outage_pk", "tq_pk").distinct()

    def units_reached(table: ibis.Table) -> ibis.Table:
        """``table`` (records with source_asset_pk/source_asset_type) once per unit it counts for,
        in a new column ``asset_pk``: the 台区 listed for a line outage, or every 台区 of the
        line when none is listed."""
        columns = table.columns
        own = table.mutate(asset_pk=table.source_asset_pk)
        line_records = table.filter(table.source_asset_type == "line")
        listed = line_records.join(listed_tq, "outage_pk").join(tq, "tq_pk").select(*columns, asset_pk=ibis._.tq_pk)
        unlisted = line_records.anti_join(listed_tq, "outage_pk")
        whole_line = unlisted.join(tq, unlisted.source_asset_pk == tq.tq_line_pk).select(
            *columns, asset_pk=ibis._.tq_pk)
        return own.union(listed).union(whole_line)

    decision_columns = ["asset_pk", "outage_pk", "event_id", "source_asset_pk", "source_asset_type", "kind",
                        "exclusion", "start_ts", "end_ts_effective", "duration_seconds", "counted", "reason",
                        "claim_status"]
    decisions = units_reached(decided).select(*decision_columns)

    # 4. merge overlapping counted records per unit (every year), chained, via a running max end
    counted_records = decided.filter(decided.counted).select(
        "outage_pk", "source_asset_pk", "source_asset_type", "start_ts", "end_ts_effective")
    counted_pairs = units_reached(counted_records).select("asset_pk", "outage_pk", "start_ts", "end_ts_effective")
    order = [counted_pairs.start_ts, counted_pairs.end_ts_effective, counted_pairs.outage_pk]
    running = ibis.cumulative_window(group_by="asset_pk", order_by=order)
    earlier = ibis.window(group_by="asset_pk", order_by=order, rows=(None, -1))  # the rows before, not this one
    merging = counted_pairs.mutate(previous_max_end=counted_pairs.end_ts_effective.max().over(earlier))
    merging = merging.mutate(
        is_new_outage=merging.previous_max_end.isnull()
        | (merging.start_ts >= merging.previous_max_end + merge_gap_seconds)
    )
    merging = merging.mutate(merge_group=merging.is_new_outage.cast("int64").sum().over(running))
    merged = merging.group_by(["asset_pk", "merge_group"]).aggregate(
        start_ts=merging.start_ts.min(),
        end_ts=merging.end_ts_effective.max(),
        outage_pks=merging.outage_pk.collect().sort(),
    )

    # 5. the period P, numbering and the window count (merged starts are unique within a unit)
    merged = merged.mutate(in_period=merged.start_ts >= period_start)
    by_period = ibis.window(group_by=["asset_pk", "in_period"], order_by="start_ts")
    window = ibis.range_window(
        preceding=window_preceding_seconds, following=0, group_by=["asset_pk", "in_period"], order_by="start_ts"
    )
    merged = merged.mutate(
        position=ibis.row_number().over(by_period) + 1,
        window_count=merged.start_ts.count().over(window),
    )
    merged = keep(merged)
    counted = merged.select(
        "asset_pk",
        merged_no=ibis.ifelse(merged.in_period, merged.position, ibis.null("int64")),
        start_ts=merged.start_ts,
        end_ts=merged.end_ts,
        outage_pks=merged.outage_pks,
        in_period=merged.in_period,
    ).order_by(["asset_pk", "start_ts"])

    in_period = merged.filter(merged.in_period)
    reaches_breach = (in_period.position >= params.year_max_outages + 1) | (
        in_period.window_count >= params.window_max_outages + 1
    )
    per_unit = in_period.group_by("asset_pk").aggregate(
        year_count=in_period.start_ts.count(),
        max_60d_count=in_period.window_count.max(),
        last_long_count=in_period.start_ts.count(where=in_period.start_ts >= long_from),
        last_short_count=in_period.start_ts.count(where=in_period.start_ts >= short_from),
        first_breach_ts=in_period.start_ts.min(where=reaches_breach),
    )
    status = ibis.cases(
        (
            (per_unit.year_count >= params.year_max_outages + 1)
            | (per_unit.max_60d_count >= params.window_max_outages + 1),
            "breach",
        ),
        (
            (per_unit.year_count >= params.warning_year_count)
            | (per_unit.last_long_count >= params.warning_long_count)
            | (per_unit.last_short_count >= params.warning_short_count),
            "warning",
        ),
        else_="ok",
    )
    first_breach_day = (per_unit.first_breach_ts + CHINA_OFFSET_SECONDS) // SECONDS_PER_DAY
    per_unit = per_unit.mutate(
        status=status,
        first_breach_date=ibis.literal(_EPOCH) + first_breach_day.cast("int64").as_interval("D"),
    )
    unit = assets.select("asset_pk", "asset_type", "asset_id", "company", "county_code")
    findings = (
        per_unit.join(unit, "asset_pk")
        .select(
            "asset_type",
            "asset_id",
            "company",
            "county_code",
            "year_count",
            "max_60d_count",
            "status",
            "first_breach_date",
            "asset_pk",
            "last_long_count",
            "last_short_count",
        )
        .order_by(["asset_type", "asset_id", "company", "asset_pk"])
    )
    claims = decided.select(asset_pk=decided.source_asset_pk, outage_pk=decided.outage_pk,
                            exclusion=decided.exclusion, claim_status=decided.claim_status)
    flagged_units = per_unit.filter(per_unit.status.isin(FLAGGED)).select("asset_pk")
    flagged_counted = counted.filter(counted.in_period).semi_join(flagged_units, "asset_pk").order_by(
        ["asset_pk", "start_ts"])
    decisions = decisions.order_by(["asset_pk", "start_ts", "outage_pk"])
    return R3Expressions(findings=findings, counted=counted, decisions=decisions, claims=claims,
                         flagged_counted=flagged_counted)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The named columns, in schema order, cast to the schema's types (extra columns are dropped)."""
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema)


def _conform_input(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Like ``_conform``, but a date or timestamp column is refused: cast to int64 it would
    silently keep its own unit (e.g. microseconds) instead of epoch seconds."""
    for f in schema:
        if f.name in table.column_names and pa.types.is_temporal(table.schema.field(f.name).type):
            raise TypeError(f"column {f.name}: give epoch seconds (int64), not {table.schema.field(f.name).type}")
    return _conform(table, schema)


def evaluate_frequent_outages(backend: str, assets: pa.Table, outages: pa.Table, affected: pa.Table,
                              params: R3Params, as_of: datetime.date, con=None, *, detail: bool = True) -> R3Result:
    """Run R3 at the end of ``as_of`` on the named backend ('duckdb' or 'spark').

    Pass ``con`` (from ``engine.connect``) to reuse a connection; the results have the same
    schema (``FINDINGS_SCHEMA``, ``COUNTED_SCHEMA``, ``DECISIONS_SCHEMA``, ``CLAIMS_SCHEMA``) on
    every backend. ``detail=False`` is what storing a run needs and no more: ``decisions`` is
    not fetched (None) and ``counted`` holds only the in-period merged outages of the units with
    a warning or a breach.
    """
    if con is None:
        con = engine.connect(backend)
    cached: list[ibis.Table] = []

    def materialise(table: ibis.Table) -> ibis.Table:
        cached.append(table.cache())
        return cached[-1]

    try:
        exprs = frequent_outage_expressions(
            engine.register(con, "r3_assets", _conform_input(assets, ASSETS_SCHEMA)),
            engine.register(con, "r3_outages", _conform_input(outages, OUTAGES_SCHEMA)),
            engine.register(con, "r3_affected", _conform_input(affected, AFFECTED_SCHEMA)),
            params,
            as_of,
            materialise,
        )
        return R3Result(
            findings=_conform(engine.to_arrow(exprs.findings), FINDINGS_SCHEMA),
            counted=_conform(engine.to_arrow(exprs.counted if detail else exprs.flagged_counted), COUNTED_SCHEMA),
            decisions=_conform(engine.to_arrow(exprs.decisions), DECISIONS_SCHEMA) if detail else None,
            claims=_conform(engine.to_arrow(exprs.claims), CLAIMS_SCHEMA),
        )
    finally:
        for table in cached:
            table.release()
