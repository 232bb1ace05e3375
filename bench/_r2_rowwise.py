"""The baseline of the R2 benchmark: time limits computed per row in plain Python, the way one
would write them without a calendar table — for each application and each of its stages, walk
the days (date(start), date(end)] and ask ``chinese_calendar.is_workday`` about each, skipping the
days of the application's customer pauses (R1/R2 as in ``docs/rules-r2.md``).

It returns (app_pk, check) → (user_class, elapsed_workdays, limit_workdays, status) for the
applications given; the deadline day and the provisional flag are not computed (chinesecalendar
knows no year after 2026, and nothing here needs them for the comparison).
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

CHINA = dt.timezone(dt.timedelta(hours=8))
ONE_DAY = dt.timedelta(days=1)
STAGES = (
    ("accept", "applied_ts", "accepted_ts"),
    ("scheme", "accepted_ts", "scheme_replied_ts"),
    ("design", "design_submitted_ts", "design_reviewed_ts"),
    ("midcheck", "midcheck_requested_ts", "midcheck_done_ts"),
    ("completion", "completion_requested_ts", "completion_done_ts"),
    ("connect", None, "energized_ts"),
)


def china_date(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, CHINA).date()


def evaluate(applications: list[dict], pauses: list[dict], as_of_ts: int, params) -> dict[tuple, tuple]:
    by_app: dict[int, list[dict]] = {}
    for p in pauses:
        by_app.setdefault(p["app_pk"], []).append(p)
    t_date = china_date(as_of_ts)
    out: dict[tuple, tuple] = {}
    for app in applications:
        if app["applied_ts"] > as_of_ts:
            continue
        seen = {k: (v if v is not None and v <= as_of_ts else None) for k, v in app.items() if k.endswith("_ts")}
        low = app["voltage_kv"] <= 0.38
        if low:
            user_class = "lv_zero" if app["zero_service"] else "lv"
        else:
            user_class = "hv_dual" if app["supply"] == "dual" else "hv_single"
        # the days the customer paused: (date(start), date(end)], an open pause up to T
        paused: set[dt.date] = set()
        for p in by_app.get(app["app_pk"], ()):
            if p["pause_start_ts"] > as_of_ts:
                continue
            end = p["pause_end_ts"] if p["pause_end_ts"] is not None and p["pause_end_ts"] <= as_of_ts else as_of_ts
            day, last = china_date(p["pause_start_ts"]) + ONE_DAY, china_date(end)
            while day <= last:
                paused.add(day)
                day += ONE_DAY

        def elapsed(start_ts: int, end_ts: int | None, paused=paused) -> int:
            day = china_date(start_ts) + ONE_DAY
            last = china_date(end_ts) if end_ts is not None else t_date
            count = 0
            while day <= last:
                if chinese_calendar.is_workday(day) and day not in paused:
                    count += 1
                day += ONE_DAY
            return count

        def status(value: int, limit: int, finished: bool) -> str:
            if finished:
                return "late" if value > limit else "ok"
            return "overdue" if value > limit else "open"

        pk = app["app_pk"]
        if user_class == "lv_zero":
            limit = params.zero_total_with_works_workdays if app["external_works"] else params.zero_total_workdays
            value = elapsed(seen["applied_ts"], seen["energized_ts"])
            out[(pk, "total")] = (user_class, value, limit, status(value, limit, seen["energized_ts"] is not None))
            continue
        limits = params.limits[user_class]
        total = 0
        for check, start_col, end_col in STAGES:
            if check not in limits:
                continue
            if start_col is None:  # connect: from connect_ready, else the fallback
                start = seen["connect_ready_ts"]
                if start is None:
                    start = seen["scheme_replied_ts"] if low else seen["completion_done_ts"]
            else:
                start = seen[start_col]
            if start is None:
                continue
            value = elapsed(start, seen[end_col])
            total += value
            out[(pk, check)] = (user_class, value, limits[check], status(value, limits[check], seen[end_col] is not None))
        out[(pk, "total")] = (user_class, total, limits["total"],
                              status(total, limits["total"], seen["energized_ts"] is not None))
    return out


def compare(expected: dict[tuple, tuple], checks) -> dict:
    """Rows of the engine's ``checks`` (Arrow, the sample's applications) against the per-row ones."""
    got = {}
    for row in checks.select(["app_pk", "check", "user_class", "elapsed_workdays", "limit_workdays",
                              "status"]).to_pylist():
        got[(row["app_pk"], row["check"])] = (row["user_class"], row["elapsed_workdays"], row["limit_workdays"],
                                              row["status"])
    only_engine = len(got.keys() - expected.keys())
    only_rowwise = len(expected.keys() - got.keys())
    differ = sum(1 for k in got.keys() & expected.keys() if got[k] != expected[k])
    examples = [{"key": list(k), "duckdb": got[k], "rowwise": expected[k]}
                for k in sorted(got.keys() & expected.keys()) if got[k] != expected[k]][:5]
    return {"rows_duckdb": len(got), "rows_rowwise": len(expected), "only_duckdb": only_engine,
            "only_rowwise": only_rowwise, "differing": differ, "mismatches": only_engine + only_rowwise + differ,
            "examples": examples}
