"""R2 time limits on 1,000,000 connection applications with all their stages and ~100,000 customer
pauses, on DuckDB, against a per-row Python implementation with chinesecalendar in the same run.

1. generate (parent, numpy → Arrow files under ``var/bench/r2/``; see ``bench/_r2_data.py``);
2. DuckDB, in a fresh process: the calendar table (``rules.calendar_table`` over
   ``rules.calendar_bounds``, the shipped schedules, one national key) and
   ``rules.evaluate_time_limits("duckdb", …)`` at the as-of time, wall time, CPU and the process's
   peak RSS; the rows of the sample's applications are kept for the comparison;
3. baseline, in another process: ``bench/_r2_rowwise.py`` — per application and stage, a loop over
   the days calling ``chinese_calendar.is_workday``, less the paused days — on the first
   ``--r2-sample`` applications (a random mix: the generator draws every application alike),
   extrapolated linearly to all of them; its rows compared with DuckDB's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from ._fingerprint import fingerprint, fingerprint_line
from ._util import (
    VAR_BENCH,
    fmt_int,
    fmt_s,
    machine_info,
    machine_line,
    markdown_table,
    run_child,
    text_table,
)

TITLE = "R2 time limits, 1,000,000 applications"
DEFAULT_COUNT, DEFAULT_SAMPLE = 1_000_000, 20_000
AS_OF = "2026-11-25 16:00"  # China time
TARGET_SECONDS = 10.0
TARGET_PEAK_MB = 3072.0
DATA_DIR = VAR_BENCH / "r2"
NO_DATABASE = f"sqlite:///{VAR_BENCH / 'r2_unused.sqlite3'}"  # Django is set up in the child but never connects


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--r2-count", type=int, default=DEFAULT_COUNT,
                       help=f"applications (default {DEFAULT_COUNT:,})")
    group.add_argument("--r2-sample", type=int, default=DEFAULT_SAMPLE,
                       help=f"applications for the per-row baseline (default {DEFAULT_SAMPLE:,})")
    group.add_argument("--r2-repeat", type=int, default=3,
                       help="DuckDB runs, each in a fresh process; the median is reported (default 3)")


def as_of_ts() -> int:
    from ._r2_data import CHINA

    moment = dt.datetime.fromisoformat(AS_OF).replace(tzinfo=dt.timezone(dt.timedelta(seconds=CHINA)))
    return int(moment.timestamp())


def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _read(path: str):
    import pyarrow.feather as feather

    return feather.read_table(path, memory_map=True)


# -- child-process side ------------------------------------------------------------------------------
def evaluate_duckdb(paths: dict, as_of: int, sample: int, sample_out: str) -> dict:
    import pyarrow.compute as pc
    import pyarrow.feather as feather

    from getpower.connections import rules
    from getpower.workdays.shipped import shipped_calendar

    from ._child import rss_mb

    applications, pauses = _read(paths["applications"]), _read(paths["pauses"])
    params = rules.R2Params.from_values({})
    rss_before = rss_mb()
    cpu = _cpu()
    started = time.monotonic()
    first, last = rules.calendar_bounds(applications, as_of, params)
    calendar = rules.calendar_table(shipped_calendar(), first, last, {"": None})
    calendar_s = time.monotonic() - started
    t = time.monotonic()
    result = rules.evaluate_time_limits("duckdb", applications, pauses, calendar, params, as_of)
    engine_s = time.monotonic() - t
    seconds = time.monotonic() - started
    cpu_s = _cpu() - cpu
    rss_after = rss_mb()
    checks = result.checks
    kept = checks.filter(pc.less_equal(checks["app_pk"], sample))
    feather.write_feather(kept, sample_out, compression="uncompressed")
    counts = checks.group_by(["user_class", "status"]).aggregate([("app_pk", "count")]).to_pylist()
    by_status: dict = {}
    for row in counts:
        by_status.setdefault(row["user_class"], {})[row["status"]] = row["app_pk_count"]
    return {"seconds": round(seconds, 2), "calendar_seconds": round(calendar_s, 3), "engine_seconds": round(engine_s, 2),
            "cpu_seconds": round(cpu_s, 2), "rss_before_mb": round(rss_before, 1), "rss_after_mb": round(rss_after, 1),
            "calendar_days": calendar.num_rows, "calendar_span": [str(first), str(last)],
            "check_rows": checks.num_rows, "result_mb": round(checks.nbytes / 1048576, 1),
            "provisional_rows": int(pc.sum(checks["provisional"]).as_py() or 0), "statuses": by_status}


def rowwise(paths: dict, as_of: int, sample: int, sample_out: str) -> dict:
    import pyarrow.compute as pc

    from getpower.connections import rules

    from . import _r2_rowwise

    applications, pauses = _read(paths["applications"]), _read(paths["pauses"])
    apps = applications.filter(pc.less_equal(applications["app_pk"], sample))
    own = pauses.filter(pc.less_equal(pauses["app_pk"], sample))
    params = rules.R2Params.from_values({})
    t = time.monotonic()
    app_rows, pause_rows = apps.to_pylist(), own.to_pylist()
    to_python_s = time.monotonic() - t
    cpu = _cpu()
    t = time.monotonic()
    expected = _r2_rowwise.evaluate(app_rows, pause_rows, as_of, params)
    seconds = time.monotonic() - t
    cpu_s = _cpu() - cpu
    agreement = _r2_rowwise.compare(expected, _read(sample_out))
    return {"applications": apps.num_rows, "pauses": own.num_rows, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu_s, 2), "to_python_seconds": round(to_python_s, 2), **agreement}


# -- parent side -------------------------------------------------------------------------------------
def generate(count: int) -> dict:
    import pyarrow.feather as feather

    from . import _r2_data

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    data = _r2_data.generate(count, as_of_ts())
    paths = {}
    for name in ("applications", "pauses"):
        path = DATA_DIR / f"{name}.arrow"
        feather.write_feather(data[name], path, compression="uncompressed")
        paths[name] = str(path)
    (DATA_DIR / "stats.json").write_text(json.dumps(data["stats"], indent=2))
    return {"paths": paths, "stats": data["stats"]}


def run(args) -> dict:
    machine = machine_info()
    machine["sources"] = fingerprint("src/getpower/connections/rules.py", "src/getpower/analytics/engine.py",
                                     "src/getpower/workdays/calendar.py")
    T = as_of_ts()
    print(f"generating {args.r2_count:,} applications (as of {AS_OF} China time) …", flush=True)
    data = generate(args.r2_count)
    st = data["stats"]
    print(f"  {st['applications']:,} applications {st['classes']}, {st['pauses']:,} pauses, in "
          f"{st['generate_seconds']} s", flush=True)
    sample = min(args.r2_sample, args.r2_count)
    sample_out = str(DATA_DIR / "duckdb_sample.arrow")
    runs = []
    for i in range(max(1, args.r2_repeat)):
        print(f"DuckDB run {i + 1}/{max(1, args.r2_repeat)}: calendar table + evaluate_time_limits …", flush=True)
        one = run_child("bench.r2_time_limits:evaluate_duckdb",
                        {"paths": data["paths"], "as_of": T, "sample": sample, "sample_out": sample_out},
                        database_url=NO_DATABASE)
        print(f"  {one['seconds']:.1f} s (calendar {one['calendar_seconds']:.2f} s, engine {one['engine_seconds']:.1f} s), "
              f"CPU {one['cpu_seconds']:.1f} s, {one['check_rows']:,} rows, peak {one['peak_mb']:.0f} MB, "
              f"load {one['loadavg_1m']:.1f}", flush=True)
        runs.append(one)
    duck = dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])  # the median run
    duck["runs_seconds"] = [r["seconds"] for r in runs]
    duck["runs_cpu_seconds"] = [r["cpu_seconds"] for r in runs]
    duck["peak_mb"] = max(r["peak_mb"] for r in runs)
    print(f"per-row Python with chinesecalendar on {sample:,} applications …", flush=True)
    row = run_child("bench.r2_time_limits:rowwise",
                    {"paths": data["paths"], "as_of": T, "sample": sample, "sample_out": sample_out},
                    database_url=NO_DATABASE)
    extrapolated = row["seconds"] * st["applications"] / row["applications"]
    ratio = extrapolated / duck["seconds"]
    print(f"  {row['seconds']:.1f} s → {extrapolated:,.0f} s for {st['applications']:,} ({ratio:.0f}× DuckDB); "
          f"mismatches {row['mismatches']} of {row['rows_rowwise']:,} rows", flush=True)
    Path(sample_out).unlink(missing_ok=True)
    passed = duck["seconds"] < TARGET_SECONDS and duck["peak_mb"] < TARGET_PEAK_MB
    machine["loadavg_max"] = max([machine["loadavg_1m"], row["loadavg_1m"], *(r["loadavg_1m"] for r in runs)])
    table = [
        [f"DuckDB: calendar + evaluate_time_limits (median of {len(runs)})", fmt_int(st["applications"]),
         fmt_s(duck["seconds"]),
         fmt_s(duck["cpu_seconds"]), fmt_int(duck["peak_mb"]), "1×",
         "met" if passed else "MISSED"],
        [f"per-row Python + chinesecalendar (sample of {row['applications']:,})", fmt_int(row["applications"]),
         fmt_s(row["seconds"]), fmt_s(row["cpu_seconds"]), fmt_int(row["peak_mb"]), "", ""],
        ["per-row, extrapolated to all", fmt_int(st["applications"]), fmt_int(extrapolated), "", "",
         f"{ratio:,.0f}×", ""],
    ]
    headers = ["implementation", "applications", "seconds", "CPU s", "peak MB", "÷ DuckDB", "target"]
    print()
    print(text_table(headers, table))
    print(f"targets: < {TARGET_SECONDS:.0f} s, peak < {TARGET_PEAK_MB / 1024:.0f} GB → {'met' if passed else 'MISSED'}")
    if machine["loadavg_max"] > machine["nproc"] + 0.5:
        print(f"WARNING: the machine was busy (1-minute load average up to {machine['loadavg_max']:.1f} on "
              f"{machine['nproc']} cores): wall times are pessimistic")
    default = (args.r2_count, args.r2_sample) == (DEFAULT_COUNT, DEFAULT_SAMPLE)
    markdown = render_markdown(machine, st, duck, row, table, headers, extrapolated, ratio, passed) if default else None
    if not default:
        print("(not the default scale: docs/benchmarks.md is left as it is)")
    return {"title": TITLE, "machine": machine, "data": st, "duckdb": duck, "rowwise": row,
            "rowwise_extrapolated_seconds": round(extrapolated, 1), "ratio": round(ratio, 1), "passed": passed,
            "markdown": markdown}


def render_markdown(machine, st, duck, row, table, headers, extrapolated, ratio, passed) -> str:
    busy = ""
    if machine.get("loadavg_max", 0) > machine["nproc"] + 0.5:
        busy = (f"\n\n> The machine was shared while this ran (1-minute load average {machine['loadavg_1m']:.1f} at the"
                f" start, up to {machine['loadavg_max']:.1f}, on {machine['nproc']} cores): wall times are pessimistic;"
                " *CPU s* is the steadier figure.")
    verdict = "**Targets met.**" if passed else "**Targets missed.**"
    statuses = "; ".join(f"{c}: " + ", ".join(f"{s} {n:,}" for s, n in sorted(v.items()))
                         for c, v in sorted(duck["statuses"].items()))
    return f"""
Measured {machine['date']} on {machine_line(machine)}.
1-minute load average {machine['loadavg_1m']:.1f} at the start, up to {machine['loadavg_max']:.1f} during the run.

Command: `{machine['command']}`. Raw figures: `var/bench/r2_time_limits.json`.
Code measured (SHA-256 prefix, modified): {fingerprint_line(machine.get('sources', {}))}.

**Data** (`bench/_r2_data.py`, numpy, seed 2026, straight into `rules.APPLICATION_SCHEMA` /
`rules.PAUSE_SCHEMA`): {st['applications']:,} applications lodged {st['first_day']} … {AS_OF} —
{", ".join(f"{c} {n:,}" for c, n in st['classes'].items())} — each stage of its class taking a drawn number of
working days of the shipped 2025/2026 schedules (8 % late at one stage, 3 % stalled), {st['energized']:,}
energised by T; {st['pauses']:,} customer pauses ({st['open_pauses']:,} still open). Times after T are null.

**Method.** As of {AS_OF} China time. *DuckDB* (a fresh process): `rules.calendar_table(shipped_calendar(),
*rules.calendar_bounds(...), {{"": None}})` ({duck['calendar_days']} days, {duck['calendar_span'][0]} …
{duck['calendar_span'][1]}) then `rules.evaluate_time_limits("duckdb", …)`, wall time from the Arrow tables to
the {duck['check_rows']:,} result rows, each run in a fresh process (so Ibis' first compilation is included);
{len(duck['runs_seconds'])} runs: {', '.join(f"{x:.1f}" for x in duck['runs_seconds'])} s (CPU
{', '.join(f"{x:.1f}" for x in duck['runs_cpu_seconds'])} s), the median reported (calendar
{duck['calendar_seconds']:.2f} s, evaluation {duck['engine_seconds']:.1f} s); *peak MB* is the largest `ru_maxrss`
of the runs (Python, DuckDB and the input tables).
*Per-row baseline* (`bench/_r2_rowwise.py`, another process): per application and stage a loop over the days
calling `chinese_calendar.is_workday`, paused days skipped, on the first {row['applications']:,} applications
(their {row['pauses']:,} pauses), extrapolated linearly.

**Targets:** under {TARGET_SECONDS:.0f} s and {TARGET_PEAK_MB / 1024:.0f} GB on this {machine['nproc']}-core machine.
{verdict}{busy}

{markdown_table(headers, table, "lrrrrrl")}

**Agreement** on the sample: {row['rows_rowwise']:,} (application, check) rows per-row, {row['rows_duckdb']:,} from
DuckDB; **mismatches {row['mismatches']}** (user class, elapsed working days, limit and status compared;
only in DuckDB {row['only_duckdb']}, only per-row {row['only_rowwise']}, differing {row['differing']}).
The per-row baseline ÷ DuckDB: **{ratio:,.0f}×** ({extrapolated:,.0f} s extrapolated).

Statuses of all rows: {statuses}.
"""
