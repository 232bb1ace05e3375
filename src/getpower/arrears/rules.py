"""R4 — residential-community arrears disconnections (居民住宅小区欠费停电), as pure Ibis expressions.

One row per (case, check) over a cases table, the same expression on DuckDB and on Spark.
Times are integer epoch seconds and ``bill_due_day`` a China day number (days since
1970-01-01 of the date in Asia/Shanghai), so every comparison is plain integer arithmetic.
Every interpretation of ``shared/spec/rules.md`` R4 is written down in ``docs/rules-r4.md``;
in short:

- the cut time is ``cut_ts``, else ``planned_cut_ts``; every recorded time is used as it is;
- a case with ``cancelled_ts`` given is not evaluated (not listed), whatever the as-of time;
- the as-of time T decides only whether the cut time has passed (cut time <= T), which in
  turn decides only whether a *missing* final notice or report is ``pending`` or a
  ``violation``; every other result is ``ok`` or ``violation`` whatever T is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from getpower.analytics import engine
from getpower.analytics.engine import CHINA_OFFSET_SECONDS, SECONDS_PER_DAY

CHECKS = (
    "overdue_30d",
    "demand_first",
    "approved",
    "notice_3_7d",
    "final_notice_30min",
    "reported_in_advance",
)

OK = "ok"
VIOLATION = "violation"
PENDING = "pending"
STATUSES = (OK, VIOLATION, PENDING)

# Energy authorities at county level or above, with their labels for the reasons.
AUTHORITY_LEVELS = {"county": "县级", "prefecture": "州市级", "province": "省级"}

CASES_SCHEMA = pa.schema(
    [
        ("case_pk", pa.int64()),
        ("case_id", pa.string()),
        ("company", pa.string()),
        ("county_code", pa.string()),
        ("bill_due_day", pa.int64()),
        ("demand_ts", pa.int64()),
        ("notice_served_ts", pa.int64()),
        ("final_notice_ts", pa.int64()),
        ("reported_ts", pa.int64()),
        ("planned_cut_ts", pa.int64()),
        ("cut_ts", pa.int64()),
        ("cancelled_ts", pa.int64()),
        ("approved_by", pa.string()),
        ("authority_level", pa.string()),
    ]
)

FINDINGS_SCHEMA = pa.schema(
    [
        ("case_id", pa.string()),
        ("check", pa.string()),
        ("status", pa.string()),
        ("case_pk", pa.int64()),
        ("company", pa.string()),
        ("county_code", pa.string()),
        ("reason", pa.string()),
    ]
)
OUTPUT_COLUMNS = tuple(FINDINGS_SCHEMA.names)


@dataclass(frozen=True)
class R4Params:
    """The R4 rulebook parameters (keys as in ``getpower.rulebook.parameters``)."""

    report_lead_days: int = 0
    arrears_overdue_days: int = 30
    notice_min_days: int = 3
    notice_max_days: int = 7
    final_notice_min_minutes: int = 30
    final_notice_window_hours: int = 24

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> R4Params:
        """The R4 parameters out of a rulebook's values (other keys are ignored; missing ones default)."""
        kwargs = {f.name: int(values[f.name]) for f in fields(cls) if values.get(f.name) is not None}
        return cls(**kwargs)

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"R4 parameter {f.name} must not be negative")
        if self.notice_min_days > self.notice_max_days:
            raise ValueError("R4 parameter notice_min_days must not exceed notice_max_days")


# -- helpers (Ibis) --------------------------------------------------------------------------------


def china_day(ts: ir.IntegerValue) -> ir.IntegerValue:
    """The China day number of an epoch-seconds time: floor((ts + 8 h) / 1 day)."""
    return (ts + CHINA_OFFSET_SECONDS) // SECONDS_PER_DAY


def _text(value: ir.Value) -> ir.StringValue:
    return value.cast("string")


def _duration(seconds: ir.IntegerValue) -> ir.StringValue:
    """A non-negative number of seconds as “D 天 H 小时 M 分钟 S 秒”, zero parts left out; null stays null."""
    parts = (
        (seconds // SECONDS_PER_DAY, " 天"),
        (seconds % SECONDS_PER_DAY // 3600, " 小时"),
        (seconds % 3600 // 60, " 分钟"),
        (seconds % 60, " 秒"),
    )
    text = ibis.literal("", type="string")
    for amount, unit in parts:
        text = text + (amount > 0).ifelse(" " + _text(amount) + unit, "")
    # null (an operand missing) stays null, so the caller's fallback reason applies
    return ibis.cases((seconds == 0, "0 秒"), (seconds > 0, text.lstrip()))


def _known(condition: ir.BooleanValue) -> ir.BooleanValue:
    """A condition with unknown (null) read as false, so a missing operand never passes a check."""
    return condition.fill_null(False)


def _status(ok: ir.BooleanValue) -> ir.StringValue:
    return _known(ok).ifelse(OK, VIOLATION)


def _earlier_or_later(lead: ir.IntegerValue) -> ir.StringValue:
    return (lead > 0).ifelse("早于", "晚于")


# -- the checks ------------------------------------------------------------------------------------


def _prepare(cases: ir.Table, as_of_ts: int) -> ir.Table:
    """Drop cancelled cases and add, in stages, every quantity the checks compare.

    Staged columns keep the expression small: each later stage refers to the earlier
    results by name instead of repeating them.
    """
    as_of = ibis.literal(int(as_of_ts), type="int64")
    t = cases.filter(cases.cancelled_ts.isnull())
    t = t.mutate(_cut=ibis.coalesce(t.cut_ts, t.planned_cut_ts))
    t = t.mutate(
        _cut_day=china_day(t._cut),
        _cut_label=t.cut_ts.isnull().ifelse("计划停电", "停电"),
        _passed=_known(t._cut <= as_of),
        _demand_gap=t.notice_served_ts - t.demand_ts,
        _final_lead=t._cut - t.final_notice_ts,
        _report_lead=t._cut - t.reported_ts,
        _approver=t.approved_by.strip(),
        _level=t.authority_level.strip(),
    )
    return t.mutate(
        _overdue_days=t._cut_day - t.bill_due_day,
        _notice_days=t._cut_day - china_day(t.notice_served_ts),
        _report_days=t._cut_day - china_day(t.reported_ts),
        _demand_gap_text=_duration(t._demand_gap.abs()),
        _final_lead_text=_duration(t._final_lead.abs()),
        _report_lead_text=_duration(t._report_lead.abs()),
    )


# Each check takes the prepared table and returns (status, reason).


def _overdue_30d(t: ir.Table, p: R4Params):
    ok = t._overdue_days > p.arrears_overdue_days
    reason = (
        t._cut_label
        + "日距电费缴费期限 "
        + _text(t._overdue_days)
        + " 天，"
        + _known(ok).ifelse("已", "未")
        + f"超过 {p.arrears_overdue_days} 天"
    )
    return _status(ok), reason.fill_null("缺少停电时间或电费缴费期限，无法判断逾期天数")


def _demand_first(t: ir.Table, p: R4Params):
    gap = t._demand_gap
    reason = (gap == 0).ifelse(
        "催交与停电通知送达同时，应先催交",
        "催交"
        + _earlier_or_later(gap)
        + "停电通知送达 "
        + t._demand_gap_text
        + (gap > 0).ifelse("", "，应先催交"),
    )
    return _status(gap > 0), reason.fill_null("缺少催交时间或通知送达时间")


def _approved(t: ir.Table, p: R4Params):
    ok = t._approver.length() > 0
    reason = _known(ok).ifelse("停电经 " + t._approver + " 批准", "未记录停电批准人")
    return _status(ok), reason


def _notice_3_7d(t: ir.Table, p: R4Params):
    ok = t._notice_days.between(p.notice_min_days, p.notice_max_days)
    reason = (
        "通知送达至"
        + t._cut_label
        + "相隔 "
        + _text(t._notice_days)
        + f" 天，应为 {p.notice_min_days}–{p.notice_max_days} 天"
    )
    return _status(ok), reason.fill_null("缺少通知送达时间或停电时间")


def _missing_or(t: ir.Table, present: ir.BooleanValue, status, reason, what: str):
    """The given status and reason, or for a missing record: pending until the cut time has passed."""
    missing_status = t._passed.ifelse(VIOLATION, PENDING)
    missing_reason = ibis.cases(
        (t._passed, "停电时间已过，" + what),
        (t._cut.isnull(), "缺少停电时间，尚" + what),
        else_="停电时间未到，尚" + what,
    )
    return (
        present.ifelse(status, missing_status),
        present.ifelse(reason.fill_null("缺少停电时间"), missing_reason),
    )


def _final_notice_30min(t: ir.Table, p: R4Params):
    lead = t._final_lead
    ok = (lead >= p.final_notice_min_minutes * 60) & (lead <= p.final_notice_window_hours * 3600)
    rule = f"应在停电前 {p.final_notice_window_hours} 小时内且至少提前 {p.final_notice_min_minutes} 分钟"
    reason = (lead == 0).ifelse(
        "再次通知与" + t._cut_label + "同时，",
        "再次通知" + _earlier_or_later(lead) + t._cut_label + " " + t._final_lead_text + "，",
    ) + rule
    return _missing_or(t, t.final_notice_ts.notnull(), _status(ok), reason, "未记录停电前再次通知")


def _reported_in_advance(t: ir.Table, p: R4Params):
    lead = t._report_lead
    level_ok = t._level.isin(tuple(AUTHORITY_LEVELS))
    lead_ok = t._report_days >= p.report_lead_days
    ok = (lead > 0) & lead_ok & level_ok
    reason = ibis.cases(
        (lead == 0, "报告与" + t._cut_label + "同时，须在停电前报告"),
        (lead < 0, "报告晚于" + t._cut_label + " " + t._report_lead_text + "，须在停电前报告"),
        (
            ~_known(lead_ok),
            "报告日距"
            + t._cut_label
            + "日 "
            + _text(t._report_days)
            + f" 天，须至少提前 {p.report_lead_days} 天",
        ),
        (~_known(level_ok), "报告的主管部门层级缺失或低于县级"),
        else_="报告早于"
        + t._cut_label
        + " "
        + t._report_lead_text
        + "（报告日距"
        + t._cut_label
        + "日 "
        + _text(t._report_days)
        + " 天），报告"
        + t._level.substitute(AUTHORITY_LEVELS)
        + "能源主管部门",
    )
    return _missing_or(t, t.reported_ts.notnull(), _status(ok), reason, "未向能源主管部门报告")


_CHECK_FUNCTIONS = {
    "overdue_30d": _overdue_30d,
    "demand_first": _demand_first,
    "approved": _approved,
    "notice_3_7d": _notice_3_7d,
    "final_notice_30min": _final_notice_30min,
    "reported_in_advance": _reported_in_advance,
}
assert tuple(_CHECK_FUNCTIONS) == CHECKS


def _ranked_findings(cases: ir.Table, params: R4Params, as_of_ts: int) -> ir.Table:
    t = _prepare(cases, as_of_ts)
    parts = []
    for rank, check in enumerate(CHECKS):
        status, reason = _CHECK_FUNCTIONS[check](t, params)
        parts.append(
            t.select(
                case_id=t.case_id,
                check=ibis.literal(check, type="string"),
                status=status.cast("string"),
                case_pk=t.case_pk.cast("int64"),
                company=t.company.cast("string"),
                county_code=t.county_code.cast("string"),
                reason=reason.cast("string"),
                _check_rank=ibis.literal(rank, type="int64"),
            )
        )
    return ibis.union(*parts, distinct=False)


def arrears_findings(cases: ir.Table, params: R4Params, as_of_ts: int) -> ir.Table:
    """The R4 findings as an Ibis expression over a cases table (columns as ``CASES_SCHEMA``).

    One row per non-cancelled case and check, columns ``OUTPUT_COLUMNS``, ordered by case_id
    then the order of ``CHECKS``.
    """
    ranked = _ranked_findings(cases, params, as_of_ts)
    return ranked.order_by(["case_id", "case_pk", "_check_rank"]).select(*OUTPUT_COLUMNS)


def cases_arrow(cases: pa.Table) -> pa.Table:
    """The columns R4 reads, cast to ``CASES_SCHEMA`` (extra columns dropped; a missing one is an error).

    Times must already be integer epoch seconds: a timestamp column is refused rather than
    cast, since its unit would silently change the numbers.
    """
    missing = [name for name in CASES_SCHEMA.names if name not in cases.column_names]
    if missing:
        raise ValueError(f"arrears cases table lacks column(s): {', '.join(missing)}")
    for field in CASES_SCHEMA:
        given = cases.schema.field(field.name).type
        if field.type == pa.int64() and not (pa.types.is_integer(given) or pa.types.is_null(given)):
            raise TypeError(
                f"arrears cases column {field.name} must be integers (epoch seconds or day number), not {given}"
            )
    return cases.select(CASES_SCHEMA.names).cast(CASES_SCHEMA)


def evaluate_arrears(backend: str, cases: pa.Table, params: R4Params, as_of_ts: int, con=None) -> pa.Table:
    """Run R4 at the as-of time (epoch seconds) on the named backend; an Arrow table of findings.

    Columns ``case_id, check, status, case_pk, company, county_code, reason``; ordered by
    case_id then the order of ``CHECKS``; cancelled cases are not listed. ``con``, when
    given, is an open connection of that backend (it is left open); otherwise one is made.
    """
    own = con is None
    if own:
        con = engine.connect(backend)
    table = None
    try:
        table = engine.register(con, "arrears_cases", cases_arrow(cases))
        result = engine.to_arrow(_ranked_findings(table, params, as_of_ts))
    finally:
        if own and con.name == "duckdb":
            con.disconnect()
        elif table is not None:
            _unregister(con, table.get_name())
    # Sorted here as well: a distributed engine need not keep the order of a sorted subquery.
    result = result.sort_by(
        [("case_id", "ascending"), ("case_pk", "ascending"), ("_check_rank", "ascending")]
    )
    return result.select(list(OUTPUT_COLUMNS)).cast(FINDINGS_SCHEMA)


def _unregister(con, name: str) -> None:
    """Drop the temporary table or view ``engine.register`` made, so a long-lived connection stays clean."""
    if con.name == "pyspark":
        con._session.catalog.dropTempView(name)
    else:
        con.drop_table(name, force=True)
