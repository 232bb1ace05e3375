"""R2 connection time limits (用电报装时限), written once as Ibis expressions.

The same expression runs on DuckDB (embedded) and on Spark (scale-out); see
``getpower.analytics.engine``. Working days are never counted in a per-row Python loop: a
calendar table gives every day of a calendar its running working-day number ``workday_no``, and
the working days elapsed between two timestamps a ≤ b (rules R1: the days d with
date(a) < d ≤ date(b)) are ``workday_no(day(b)) − workday_no(day(a))``, found by joining that
table. Customer pauses (客户原因中止) are merged into their union and taken off each stage they
overlap, in the same working-day-number space. ``docs/rules-r2.md`` records every choice made
where ``shared/spec/rules.md`` is silent.

Timestamps are int64 epoch seconds; a day is the China day number
``floor((ts + 8 h) / 86400)`` (days since 1970-01-01 in Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from getpower.analytics import engine
from getpower.rulebook.parameters import BY_KEY
from getpower.workdays.calendar import WorkCalendar

EPOCH = dt.date(1970, 1, 1)
LOW_VOLTAGE_MAX_KV = 0.38
LIMITED_CLASSES = ("lv", "hv_single", "hv_dual")
USER_CLASSES = ("lv_zero", *LIMITED_CLASSES)

# (check, start column, end column); the connect stage's start has a fallback (see _visible_applications)
STAGES: tuple[tuple[str, str, str], ...] = (
    ("accept", "applied_ts", "accepted_ts"),
    ("scheme", "accepted_ts", "scheme_replied_ts"),
    ("design", "design_submitted_ts", "design_reviewed_ts"),
    ("midcheck", "midcheck_requested_ts", "midcheck_done_ts"),
    ("completion", "completion_requested_ts", "completion_done_ts"),
    ("connect", "connect_start_ts", "energized_ts"),
)
STAGE_NAMES = tuple(name for name, _, _ in STAGES)
CHECKS = (*STAGE_NAMES, "total")
CHECK_ORDER = {name: number for number, name in enumerate(CHECKS)}

TIME_COLUMNS = (
    "applied_ts",
    "accepted_ts",
    "scheme_replied_ts",
    "design_submitted_ts",
    "design_reviewed_ts",
    "midcheck_requested_ts",
    "midcheck_done_ts",
    "completion_requested_ts",
    "completion_done_ts",
    "connect_ready_ts",
    "energized_ts",
)

APPLICATION_SCHEMA = pa.schema(
    [
        ("app_pk", pa.int64()),
        ("app_id", pa.string()),
        ("company", pa.string()),
        ("county_code", pa.string()),
        ("calendar_key", pa.string()),
        ("customer_kind", pa.string()),
        ("voltage_kv", pa.float64()),
        ("supply", pa.string()),
        ("capacity_kw", pa.float64()),
        ("zero_service", pa.bool_()),
        ("external_works", pa.bool_()),
        ("grid_upgrade", pa.bool_()),
        *((name, pa.int64()) for name in TIME_COLUMNS),
    ]
)
PAUSE_SCHEMA = pa.schema(
    [("app_pk", pa.int64()), ("pause_start_ts", pa.int64()), ("pause_end_ts", pa.int64())]
)
CALENDAR_SCHEMA = pa.schema(
    [
        ("calendar_key", pa.string()),
        ("day", pa.int64()),
        ("workday_no", pa.int64()),
        ("provisional", pa.bool_()),
    ]
)
CHECKS_SCHEMA = pa.schema(
    [
        ("app_id", pa.string()),
        ("user_class", pa.string()),
        ("check", pa.string()),
        ("elapsed_workdays", pa.int64()),
        ("limit_workdays", pa.int64()),
        ("status", pa.string()),
        ("app_pk", pa.int64()),
        ("company", pa.string()),
        ("county_code", pa.string()),
        ("provisional", pa.bool_()),
        ("start_ts", pa.int64()),
        ("end_ts", pa.int64()),
        ("deadline_day", pa.date32()),
        ("grid_upgrade", pa.bool_()),
    ]
)
CSV_COLUMNS = ("app_id", "user_class", "check", "elapsed_workdays", "limit_workdays", "status")


# ---------------------------------------------------------------------------------------------
# Parameters and the calendar table


@dataclass
class R2Params:
    """The R2 rulebook parameters: per-class stage and total limits, and the 三零 totals."""

    limits: dict
    zero_total_workdays: int = 5
    zero_total_with_works_workdays: int = 15

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> R2Params:
        """From a rulebook version's values (missing keys take the rulebook defaults)."""

        def value(key: str) -> Any:
            return values[key] if key in values else BY_KEY[key].default

        raw = value("connection_limits")
        limits: dict[str, dict[str, int]] = {}
        for user_class in LIMITED_CLASSES:
            if user_class not in raw:
                raise ValueError(f"connection_limits: no limits for user class {user_class!r}")
            checks = {str(k): int(v) for k, v in raw[user_class].items()}
            unknown = sorted(set(checks) - set(CHECKS))
            if unknown:
                raise ValueError(f"connection_limits[{user_class!r}]: unknown checks {unknown}")
            if "total" not in checks:
                raise ValueError(f"connection_limits[{user_class!r}]: no total limit")
            if any(v < 0 for v in checks.values()):
                raise ValueError(f"connection_limits[{user_class!r}]: negative limit")
            limits[user_class] = checks
        return cls(
            limits=limits,
            zero_total_workdays=int(value("zero_total_workdays")),
            zero_total_with_works_workdays=int(value("zero_total_with_works_workdays")),
        )

    @property
    def max_limit_workdays(self) -> int:
        every = [v for checks in self.limits.values() for v in checks.values()]
        return max([*every, self.zero_total_workdays, self.zero_total_with_works_workdays])


def china_day(ts: int) -> int:
    """The China day number (days since 1970-01-01, Asia/Shanghai) of an epoch-seconds time."""
    return (int(ts) + engine.CHINA_OFFSET_SECONDS) // engine.SECONDS_PER_DAY


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def calendar_table(
    calendar: WorkCalendar, first: dt.date, last: dt.date, keys: Mapping[str, str | None]
) -> pa.Table:
    """The calendar table the rules join: one block of days ``first``…``last`` per calendar key.

    ``keys`` maps a calendar key (the value applications carry in ``calendar_key``) to the region
    code whose extra rest days apply (None or '' = the national schedule only). ``workday_no``
    is the running number of working days from ``first`` (the first day counts itself when it is
    a working day); ``provisional`` marks days of a year without a loaded schedule.
    """
    key_col: list[str] = []
    day_col: list[int] = []
    number_col: list[int] = []
    provisional_col: list[bool] = []
    for key, region in keys.items():
        for day, _is_workday, number, provisional in calendar.day_rows(first, last, region or None):
            key_col.append(key)
            day_col.append(day_number(day))
            number_col.append(number)
            provisional_col.append(provisional)
    return pa.table([key_col, day_col, number_col, provisional_col], schema=CALENDAR_SCHEMA)


def calendar_bounds(applications: pa.Table, as_of_ts: int, params: R2Params) -> tuple[dt.date, dt.date]:
    """The days a calendar table must span for an evaluation at ``as_of_ts``.

    From the earliest visible application day (every counted interval lies inside
    [date(applied), date(T)]) to date(T) plus room for the furthest deadline (the longest limit,
    at five working days a week, past the longest holiday run).
    """
    t_day = china_day(as_of_ts)
    applied = pc.filter(applications["applied_ts"], pc.less_equal(applications["applied_ts"], as_of_ts))
    earliest = pc.min(applied).as_py()
    first_day = min(t_day, china_day(earliest)) if earliest is not None else t_day
    last_day = t_day + params.max_limit_workdays * 2 + 31
    return EPOCH + dt.timedelta(days=first_day), EPOCH + dt.timedelta(days=last_day)


# ---------------------------------------------------------------------------------------------
# The rule as expressions


def _day(ts: ibis.Value) -> ibis.Value:
    return (ts + engine.CHINA_OFFSET_SECONDS) // engine.SECONDS_PER_DAY


def _hide_after(ts: ibis.Value, as_of_ts: int) -> ibis.Value:
    """As-of evaluation: a time after T is treated as not given."""
    return ibis.ifelse(ts <= as_of_ts, ts, ibis.null("int64"))


def _calendar(calendar: ibis.Table) -> ibis.Table:
    """The calendar plus ``provisional_no``, the running count of provisional days, so that
    'some day in (a, b] is provisional' is ``provisional_no(b) − provisional_no(a) > 0``."""
    running = ibis.window(group_by=calendar.calendar_key, order_by=calendar.day, rows=(None, 0))
    return calendar.select(
        "calendar_key",
        "day",
        "workday_no",
        provisional_no=calendar.provisional.cast("int64").sum().over(running),
    )


def _look_up(rows: ibis.Table, cal: ibis.Table, *lookups: tuple[str, str, str | None]) -> ibis.Table:
    """Attach, for each (day column, number as, provisional count as), the working-day number of
    ``rows[day column]`` (and the running provisional count, unless None), in one join chain."""
    joined, added = rows, []
    for i, (day_column, number_as, provisional_as) in enumerate(lookups):
        wanted = {f"lk_key{i}": cal.calendar_key, f"lk_day{i}": cal.day, number_as: cal.workday_no}
        if provisional_as:
            wanted[provisional_as] = cal.provisional_no
        lookup = cal.select(**wanted)
        joined = joined.left_join(
            lookup, [rows.calendar_key == lookup[f"lk_key{i}"], rows[day_column] == lookup[f"lk_day{i}"]]
        )
        added += [name for name in wanted if not name.startswith("lk_")]
    return joined.select(*rows.columns, *added)


def _visible_applications(applications: ibis.Table, as_of_ts: int) -> ibis.Table:
    """Applications lodged by T, times after T hidden, with user class and the connect start."""
    a = applications.filter(applications.applied_ts <= as_of_ts)
    hidden = {name: _hide_after(a[name], as_of_ts) for name in TIME_COLUMNS}
    low_voltage = a.voltage_kv <= LOW_VOLTAGE_MAX_KV
    user_class = ibis.cases(
        (low_voltage & a.zero_service.fill_null(False), "lv_zero"),
        (low_voltage, "lv"),
        (a.supply == "dual", "hv_dual"),
        else_="hv_single",
    )
    fallback = ibis.ifelse(low_voltage, hidden["scheme_replied_ts"], hidden["completion_done_ts"])
    return a.mutate(
        **hidden,
        user_class=user_class,
        connect_start_ts=hidden["connect_ready_ts"].coalesce(fallback),
        external_works=a.external_works.fill_null(False),
        grid_upgrade=a.grid_upgrade.fill_null(False),
    )


def _clock_rows(apps: ibis.Table, params: R2Params) -> ibis.Table:
    """One row per clock of an application: each started stage its class has, and ``total``.

    The 三零 total runs from application to energisation; the lv/hv total row carries the same
    span (for its deadline), and its elapsed value is replaced by the sum of its stages later.
    One select over an unnested list of check numbers keeps the expression (and its compile
    time) small on both backends, where a union of one select per stage would repeat the input.
    """
    rows = apps.mutate(check_order=ibis.literal(list(CHECK_ORDER.values()), "array<int64>").unnest())
    order, user_class = rows.check_order, rows.user_class
    total_order = CHECK_ORDER["total"]
    starts = [(order == CHECK_ORDER[name], rows[start]) for name, start, _ in STAGES]
    ends = [(order == CHECK_ORDER[name], rows[end]) for name, _, end in STAGES]
    limits = [
        ((user_class == c) & (order == CHECK_ORDER[name]), limit)
        for c, checks in params.limits.items()
        for name, limit in checks.items()
    ]
    zero_total = ibis.ifelse(
        rows.external_works, params.zero_total_with_works_workdays, params.zero_total_workdays
    )
    rows = rows.select(
        "app_pk",
        "calendar_key",
        "user_class",
        "check_order",
        check=ibis.cases(*((order == number, name) for name, number in CHECK_ORDER.items())),
        start_ts=ibis.cases(*starts, else_=rows.applied_ts),
        end_ts=ibis.cases(*ends, else_=rows.energized_ts),
        limit_workdays=ibis.cases(
            ((user_class == "lv_zero") & (order == total_order), zero_total),
            *limits,
            else_=ibis.null("int64"),
        ).cast("int64"),
    )
    return rows.filter(rows.limit_workdays.notnull(), rows.start_ts.notnull())


def _pause_islands(pauses: ibis.Table, apps: ibis.Table, cal: ibis.Table, as_of_ts: int) -> ibis.Table:
    """The union of each application's pauses as disjoint working-day-number intervals (pa, pb].

    A pause covers the working days d with date(start) < d ≤ date(end); an open pause (or one
    ending after T) runs to T; a pause starting after T has not happened. Working day d has number
    n with workday_no(date(start)) < n ≤ workday_no(date(end)), so the union of pauses is the union
    of those integer intervals: merged here (gaps and islands) so that overlaps count once.
    """
    t_day = china_day(as_of_ts)
    begun = pauses.filter(pauses.pause_start_ts <= as_of_ts)
    owners = apps.select("app_pk", "calendar_key", applied_day=_day(apps.applied_ts))
    # plain fields first, computed columns after: Ibis 12 cannot extend a join whose projection computes
    p = begun.join(owners, "app_pk").select(
        "app_pk", "calendar_key", "applied_day", "pause_start_ts", "pause_end_ts"
    )
    end_ts = _hide_after(p.pause_end_ts, as_of_ts).coalesce(as_of_ts)
    # clipping to [date(applied), date(T)] changes no stage's share and keeps look-ups in the calendar
    p = p.select(
        "app_pk",
        "calendar_key",
        start_day=ibis.greatest(_day(p.pause_start_ts), p.applied_day),
        end_day=ibis.least(_day(end_ts), t_day),
    )
    p = _look_up(p, cal, ("start_day", "pa", None), ("end_day", "pb", None))
    # distinct: equal intervals would otherwise tie in the ordering the island numbering relies on
    p = p.filter(p.pb > p.pa).select("app_pk", "pa", "pb").distinct()
    order = [p.pa, p.pb]
    earlier = ibis.window(group_by=p.app_pk, order_by=order, rows=(None, -1))
    p = p.mutate(opens=(p.pa > p.pb.max().over(earlier)).fill_null(True).cast("int64"))
    so_far = ibis.window(group_by=p.app_pk, order_by=[p.pa, p.pb], rows=(None, 0))
    p = p.mutate(island=p.opens.sum().over(so_far))
    return p.group_by(["app_pk", "island"]).agg(pa=p.pa.min(), pb=p.pb.max()).select("app_pk", "pa", "pb")


def _measure(clocks: ibis.Table, cal: ibis.Table, islands: ibis.Table, as_of_ts: int) -> ibis.Table:
    """Elapsed working days of each clock from its start to its end (or T), less paused days."""
    c = clocks.mutate(start_day=_day(clocks.start_ts), ref_day=_day(clocks.end_ts.coalesce(as_of_ts)))
    c = _look_up(c, cal, ("start_day", "wn_start", "pn_start"), ("ref_day", "wn_ref", "pn_ref"))
    spans = c.select("app_pk", "check", "wn_start", "wn_ref")
    overlap = spans.join(islands, "app_pk")
    share = ibis.greatest(
        ibis.least(overlap.pb, overlap.wn_ref) - ibis.greatest(overlap.pa, overlap.wn_start), 0
    )
    paused = overlap.group_by(["app_pk", "check"]).agg(paused_workdays=share.sum())
    paused = paused.rename(p_app="app_pk", p_check="check")
    c = c.left_join(paused, [c.app_pk == paused.p_app, c.check == paused.p_check]).select(
        *c.columns, "paused_workdays"
    )
    return c.select(
        "app_pk",
        "calendar_key",
        "user_class",
        "check",
        "check_order",
        "start_ts",
        "end_ts",
        "limit_workdays",
        "start_day",
        "wn_start",
        "wn_ref",
        elapsed_workdays=ibis.greatest(c.wn_ref - c.wn_start - c.paused_workdays.fill_null(0), 0),
        provisional=(c.pn_ref - c.pn_start) > 0,
    )


def _stage_sums(measured: ibis.Table) -> ibis.Table:
    """The lv/hv ``total`` is the sum of the stages reported (and provisional when one of them is)."""
    is_stage = measured.check != "total"
    per_app = ibis.window(group_by=measured.app_pk)
    stage_sum = ibis.ifelse(is_stage, measured.elapsed_workdays, 0).sum().over(per_app)
    stage_provisional = (is_stage & measured.provisional).any().over(per_app)
    summed = ~is_stage & (measured.user_class != "lv_zero")
    return measured.mutate(
        elapsed_workdays=ibis.ifelse(summed, stage_sum, measured.elapsed_workdays),
        provisional=ibis.ifelse(summed, stage_provisional, measured.provisional),
    )


def time_limit_checks(
    applications: ibis.Table, pauses: ibis.Table, calendar: ibis.Table, params: R2Params, as_of_ts: int
) -> ibis.Table:
    """Rules R2 at the as-of time ``as_of_ts``: one row per (application, check), columns as
    ``CHECKS_SCHEMA``, ordered by app_id, app_pk, then accept … connect, total.

    ``applications``, ``pauses`` and ``calendar`` are Ibis tables of one backend with the columns of
    ``APPLICATION_SCHEMA``, ``PAUSE_SCHEMA`` and ``CALENDAR_SCHEMA``; the calendar must span
    ``calendar_bounds`` for every calendar key the applications use (see ``evaluate_time_limits``).

    ``deadline_day`` is the date at whose end (24:00) the limit runs out: the first day with
    ``workday_no = workday_no(date(ref)) + limit − elapsed``, where ref is the end (or T when
    open). For a stage and the 三零 total that is ``workday_no(date(start)) + limit + paused``
    (the paused working days of the measured interval); for an lv/hv total it is the day the
    remaining budget runs out if the clock runs on from ref. It is never before date(start), and
    null when the calendar table ends first.
    """
    as_of_ts = int(as_of_ts)
    cal = _calendar(calendar)
    apps = _visible_applications(applications, as_of_ts)
    islands = _pause_islands(pauses, apps, cal, as_of_ts)
    checks = _stage_sums(_measure(_clock_rows(apps, params), cal, islands, as_of_ts))

    finished = checks.end_ts.notnull()
    over = checks.elapsed_workdays > checks.limit_workdays
    target = checks.wn_ref + checks.limit_workdays - checks.elapsed_workdays
    checks = checks.mutate(
        status=ibis.cases((finished & over, "late"), (finished, "ok"), (over, "overdue"), else_="open"),
        target_no=target,
    )
    firsts = cal.group_by(["calendar_key", "workday_no"]).agg(first_day=cal.day.min())
    firsts = firsts.rename(f_key="calendar_key", f_no="workday_no")
    checks = checks.left_join(
        firsts, [checks.calendar_key == firsts.f_key, checks.target_no == firsts.f_no]
    ).select(*checks.columns, "first_day")
    deadline_no = ibis.ifelse(checks.target_no <= checks.wn_start, checks.start_day, checks.first_day)
    checks = checks.mutate(deadline_day=ibis.date(EPOCH) + deadline_no.cast("int32").as_interval("D"))

    about = apps.select("app_id", "company", "county_code", "grid_upgrade", a_pk=apps.app_pk)
    out = checks.join(about, checks.app_pk == about.a_pk)
    out = out.select(
        "app_id",
        "user_class",
        "check",
        "elapsed_workdays",
        "limit_workdays",
        "status",
        "app_pk",
        "company",
        "county_code",
        "provisional",
        "start_ts",
        "end_ts",
        "deadline_day",
        "grid_upgrade",
        "check_order",
    )
    return out.order_by(["app_id", "app_pk", "check_order"]).drop("check_order")


# ---------------------------------------------------------------------------------------------
# Running it


@dataclass
class R2Result:
    checks: pa.Table  # one row per (application, check), CHECKS_SCHEMA
    as_of_ts: int | None = None
    params: R2Params | None = field(default=None, repr=False)

    @property
    def provisional(self) -> bool:
        """Whether any check counted or skipped a day of a year without a loaded schedule."""
        return bool(pc.any(self.checks["provisional"]).as_py())

    def csv_table(self) -> pa.Table:
        """The columns of ``getpower evaluate time-limits --format csv`` (no provisional column)."""
        return self.checks.select(list(CSV_COLUMNS))


def _conform(table: pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}")
    return table.select(schema.names).cast(schema)


def uncovered_calendar_keys(applications: pa.Table, calendar: pa.Table, as_of_ts: int) -> list[str]:
    """Calendar keys whose days [date(first visible application), date(T)] the calendar misses."""
    visible = applications.filter(pc.less_equal(applications["applied_ts"], as_of_ts))
    if visible.num_rows == 0:
        return []
    need = visible.group_by("calendar_key").aggregate([("applied_ts", "min")])
    have = calendar.group_by("calendar_key").aggregate([("day", "min"), ("day", "max"), ("day", "count")])
    spans = {
        k: (lo, hi, n)
        for k, lo, hi, n in zip(
            have["calendar_key"].to_pylist(),
            have["day_min"].to_pylist(),
            have["day_max"].to_pylist(),
            have["day_count"].to_pylist(),
            strict=True,
        )
    }
    t_day = china_day(as_of_ts)
    problems = []
    for key, earliest in zip(
        need["calendar_key"].to_pylist(), need["applied_ts_min"].to_pylist(), strict=True
    ):
        lo, hi, n = spans.get(key, (None, None, 0))
        first = china_day(earliest)
        if lo is None or lo > first or hi < t_day or n != hi - lo + 1:
            problems.append(
                f"{key!r} needs {EPOCH + dt.timedelta(days=first)}…{EPOCH + dt.timedelta(days=t_day)}"
            )
    return problems


def evaluate_time_limits(
    backend: str,
    applications: pa.Table,
    pauses: pa.Table,
    calendar: pa.Table,
    params: R2Params,
    as_of_ts: int,
    con=None,
) -> R2Result:
    """Rules R2 at ``as_of_ts`` on ``backend`` ('duckdb' or 'spark'); see ``time_limit_checks``.

    Build ``calendar`` with ``calendar_table`` over ``calendar_bounds(applications, as_of_ts, params)``.
    """
    applications = _conform(applications, APPLICATION_SCHEMA, "applications")
    pauses = _conform(pauses, PAUSE_SCHEMA, "pauses")
    calendar = _conform(calendar, CALENDAR_SCHEMA, "calendar")
    problems = uncovered_calendar_keys(applications, calendar, as_of_ts)
    if problems:
        raise ValueError("calendar table does not cover the evaluation: " + "; ".join(problems))
    con = con if con is not None else engine.connect(backend)
    expr = time_limit_checks(
        engine.register(con, "r2_applications", applications),
        engine.register(con, "r2_pauses", pauses),
        engine.register(con, "r2_calendar", calendar),
        params,
        as_of_ts,
    )
    checks = engine.to_arrow(expr).select(CHECKS_SCHEMA.names).cast(CHECKS_SCHEMA)
    return R2Result(checks=checks, as_of_ts=int(as_of_ts), params=params)
