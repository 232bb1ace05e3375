"""Import 300,000 台区 (plus their 10 kV lines) from CSV, on SQLite and PostgreSQL, against a naive
row-by-row ORM insert measured in the same run.

For each database, in a fresh process each (Django settings are per process):

1. setup: migrate a fresh database, import the synthetic organisations;
2. first import: ``run_import("assets", data, name)`` — what ``getpower import assets FILE`` runs —
   timed from reading the file to the committed job, every row new;
3. second import of the same file: every row unchanged;
4. baseline: ``Asset.objects.create()`` per row, organisation, county and line fetched per row,
   on the first ``--import-sample`` rows of the file (IDs renamed), in one rolled-back transaction.

Peak memory is the child process's ``ru_maxrss``. ``--import-profile`` also runs the two imports
under cProfile on another fresh database and prints where the time goes.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from ._util import (
    PG_DEFAULT_URL,
    VAR_BENCH,
    BenchError,
    fmt_int,
    fmt_s,
    fresh_postgres,
    fresh_sqlite,
    machine_info,
    machine_line,
    markdown_table,
    run_child,
    text_table,
)

TITLE = "Import: 300,000 台区 from CSV"
DEFAULT_LINES, DEFAULT_TQ_PER_LINE, DEFAULT_SAMPLE = 20_000, 15, 5_000
TARGET_SECONDS = 60.0
TARGET_PEAK_MB = 2048.0
NAIVE_PREFIX = "N"
DATABASES = ("sqlite", "postgresql")
STAGES = (("读取完成", "read"), ("业务校验", "parse"), ("写入中", "validate"))


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--import-db", default=",".join(DATABASES),
                       help="comma-separated databases to measure (default: sqlite,postgresql)")
    group.add_argument("--import-pg-url", default=os.environ.get("GETPOWER_BENCH_PG_URL", PG_DEFAULT_URL),
                       help="PostgreSQL database to drop and re-create (name must start with getpower_bench; "
                            f"default {PG_DEFAULT_URL} or $GETPOWER_BENCH_PG_URL)")
    group.add_argument("--import-lines", type=int, default=DEFAULT_LINES,
                       help=f"synthetic 10 kV lines (default {DEFAULT_LINES:,})")
    group.add_argument("--import-tq-per-line", type=float, default=DEFAULT_TQ_PER_LINE,
                       help=f"mean 台区 per line (default {DEFAULT_TQ_PER_LINE})")
    group.add_argument("--import-sample", type=int, default=DEFAULT_SAMPLE,
                       help=f"rows for the naive row-by-row baseline (default {DEFAULT_SAMPLE:,})")
    group.add_argument("--import-profile", action="store_true",
                       help="also profile both imports with cProfile (extra fresh database; stats in var/bench/)")


# -- child-process side (Django is set up) ---------------------------------------------------------
def setup_database(organisations_csv: str) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from getpower.ledgers.importer import run_import

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_s = time.monotonic() - started
    path = Path(organisations_csv)
    result = run_import("organisations", path.read_bytes(), path.name, channel="cli")
    if not result.ok:
        raise BenchError(f"organisations did not import: {result.errors[:5]}")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {"migrate_seconds": round(migrate_s, 2), "organisations": result.added,
            "vendor": connection.vendor, "server_version": version}


def import_file(path: str, profile_out: str | None = None) -> dict:
    """Time run_import on one file, with the importer's own stage reports as a breakdown."""
    from getpower.ledgers.importer import run_import

    marks: dict[str, tuple[float, float]] = {}
    profiler = None
    if profile_out:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    server = _server_cpu()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()

    def progress(fraction: float, stage: str) -> None:
        if stage not in marks:
            marks[stage] = (time.monotonic() - started, _cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(usage))

    file = Path(path)
    data = file.read_bytes()
    result = run_import("assets", data, file.name, channel="cli", progress=progress)
    seconds = time.monotonic() - started
    cpu = _cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(usage)
    server_after = _server_cpu()
    server_cpu = None if server is None or server_after is None else server_after - server
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_out)
    if not result.ok:
        raise BenchError(f"the import was rejected: {result.errors[:5]}")
    stages, stages_cpu, previous = {}, {}, (0.0, 0.0)
    for label, key in STAGES:
        if label in marks:
            stages[key] = round(marks[label][0] - previous[0], 2)
            stages_cpu[key] = round(marks[label][1] - previous[1], 2)
            previous = marks[label]
    stages["write"] = round(seconds - previous[0], 2)
    stages_cpu["write"] = round(cpu - previous[1], 2)
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "server_cpu_seconds": None if server_cpu is None else round(server_cpu, 2), "rows": result.total, "added": result.added,
            "updated": result.updated, "unchanged": result.unchanged, "stages": stages,
            "stages_cpu": stages_cpu,
            "job": result.job.pk}


def _cpu(usage) -> float:
    return usage.ru_utime + usage.ru_stime


def _server_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine only), else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def naive_insert(path: str, sample: int) -> dict:
    """The baseline: one ORM create() per row, every foreign key fetched per row."""
    import csv

    from django.db import transaction

    from getpower.core.models import Organisation, Region
    from getpower.grid.models import Asset

    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for _, row in zip(range(sample), reader, strict=False)]
    with transaction.atomic():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        for r in rows:
            company = Organisation.objects.get(org_code=r["company"])
            county = Region.objects.get(code=r["county_code"])
            line = None
            if r["asset_type"] == "tq":
                line = Asset.objects.get(company=company, asset_id=NAIVE_PREFIX + r["line_id"])
            Asset.objects.create(
                asset_id=NAIVE_PREFIX + r["asset_id"], asset_type=r["asset_type"], name=r["name"],
                company=company, county=county, township_code=r["township_code"], line=line,
                rated_kva=float(r["rated_kva"]) if r["rated_kva"] else None, users=int(r["users"]),
                area_type=r["area_type"],
            )
        seconds = time.monotonic() - started
        cpu = _cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(usage)
        transaction.set_rollback(True)  # leave the database as the importer left it
    return {"rows": len(rows), "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 2),
            "rows_per_second": len(rows) / seconds}


# -- parent side -------------------------------------------------------------------------------------
CODE_FILES = ("ledgers/*.py", "grid/*.py", "core/audit.py", "core/models.py")


def code_fingerprint() -> str:
    """Which importer was measured (the code changes; git is not asked)."""
    import hashlib

    import getpower

    root = Path(getpower.__file__).parent
    digest = hashlib.sha256()
    for pattern in CODE_FILES:
        for path in sorted(root.glob(pattern)):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def generate_files(lines: int, tq_per_line: float) -> dict:
    from getpower.synthetic.province import (
        ASSET_COLUMNS,
        ORG_COLUMNS,
        build_structure,
        generate_assets,
        to_csv,
    )

    started = time.monotonic()
    structure = build_structure()
    organisations = VAR_BENCH / "organisations.csv"
    organisations.write_bytes(to_csv(structure.organisations, ORG_COLUMNS))
    assets = list(generate_assets(structure, lines_total=lines, tq_per_line=tq_per_line))
    tq = sum(1 for a in assets if a["asset_type"] == "tq")
    path = VAR_BENCH / f"assets-{lines}x{tq_per_line:g}.csv"
    path.write_bytes(to_csv(assets, ASSET_COLUMNS))
    return {"organisations_csv": str(organisations), "organisations": len(structure.organisations),
            "assets_csv": str(path), "rows": len(assets), "tq": tq,
            "lines": len(assets) - tq, "bytes": path.stat().st_size,
            "generate_seconds": round(time.monotonic() - started, 1), "code_fingerprint": code_fingerprint()}


def fresh_database(db: str, args, tag: str = "") -> tuple[str | None, str]:
    if db == "sqlite":
        return fresh_sqlite(VAR_BENCH / f"import_assets{tag}.sqlite3"), ""
    url = args.import_pg_url
    if tag:
        url = url.rstrip("/") + tag.replace("-", "_")
    return fresh_postgres(url)


def measure(db: str, files: dict, args) -> dict:
    url, note = fresh_database(db, args)
    if url is None:
        print(f"[{db}] skipped: {note}", flush=True)
        return {"database": db, "skipped": note}
    print(f"[{db}] fresh database, migrate, organisations …", flush=True)
    setup = run_child("bench.import_assets:setup_database", {"organisations_csv": files["organisations_csv"]},
                      database_url=url)
    out = {"database": db, "url": url if db == "postgresql" else os.path.relpath(url[10:], VAR_BENCH.parent.parent),
           "setup": setup}
    for run in ("first", "second"):
        print(f"[{db}] {run} import of {files['rows']:,} rows …", flush=True)
        out[run] = run_child("bench.import_assets:import_file", {"path": files["assets_csv"]}, database_url=url)
        r = out[run]
        print(f"[{db}]   {r['seconds']:.1f} s, +{r['added']:,} ~{r['updated']:,} ={r['unchanged']:,}, "
              f"peak {r['peak_mb']:.0f} MB, stages {r['stages']}", flush=True)
    expected = {"first": (files["rows"], 0, 0), "second": (0, 0, files["rows"])}
    for run, counts in expected.items():
        got = (out[run]["added"], out[run]["updated"], out[run]["unchanged"])
        if got != counts:
            raise BenchError(f"[{db}] {run} import: added/updated/unchanged {got}, expected {counts}")
    print(f"[{db}] naive baseline: {args.import_sample:,} rows, one create() each …", flush=True)
    out["naive"] = run_child("bench.import_assets:naive_insert",
                             {"path": files["assets_csv"], "sample": args.import_sample}, database_url=url)
    return out


def profile(db: str, files: dict, args) -> dict:
    url, note = fresh_database(db, args, tag="-profile")
    if url is None:
        return {}
    run_child("bench.import_assets:setup_database", {"organisations_csv": files["organisations_csv"]},
              database_url=url)
    outputs = {}
    for run in ("first", "second"):
        stats = VAR_BENCH / f"import_assets-{db}-{run}.pstats"
        print(f"[{db}] profiling the {run} import → {stats.relative_to(VAR_BENCH.parent.parent)}", flush=True)
        result = run_child("bench.import_assets:import_file",
                           {"path": files["assets_csv"], "profile_out": str(stats)}, database_url=url)
        outputs[run] = {"pstats": str(stats), "seconds_under_profiler": result["seconds"]}
        print_profile(stats)
    if db == "postgresql":
        from ._util import drop_postgres

        drop_postgres(url)
    return outputs


def print_profile(path: Path, limit: int = 25) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)


def run(args) -> dict:
    databases = [d.strip() for d in args.import_db.split(",") if d.strip()]
    unknown = set(databases) - set(DATABASES)
    if unknown:
        raise BenchError(f"--import-db: unknown {', '.join(sorted(unknown))} (choose from {', '.join(DATABASES)})")
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    print(f"generating the synthetic file ({args.import_lines:,} lines × ~{args.import_tq_per_line:g} 台区) …",
          flush=True)
    files = generate_files(args.import_lines, args.import_tq_per_line)
    print(f"  {files['rows']:,} rows ({files['tq']:,} 台区, {files['lines']:,} lines), "
          f"{files['bytes'] / 1048576:.1f} MB in {files['generate_seconds']} s → {files['assets_csv']}", flush=True)
    results = [measure(db, files, args) for db in databases]
    profiles = {}
    if args.import_profile:
        profiles = {db: profile(db, files, args) for db in databases if not _skipped(results, db)}
    measured = [r for r in results if "skipped" not in r]
    files["code_fingerprint_end"] = code_fingerprint()
    if files["code_fingerprint_end"] != files["code_fingerprint"]:
        print(f"WARNING: the importer's code changed during the run ({files['code_fingerprint']} → "
              f"{files['code_fingerprint_end']}): run again for consistent figures")
    passed = bool(measured) and all(_meets(r) for r in measured)
    table = rows_for(results, files)
    print()
    print(text_table(HEADERS, table))
    print(f"targets: each import < {TARGET_SECONDS:.0f} s, peak memory < {TARGET_PEAK_MB / 1024:.0f} GB → "
          f"{'met' if passed else 'MISSED'}")
    loads = [machine["loadavg_1m"]] + [r[run]["loadavg_1m"] for r in measured for run in ("first", "second", "naive")]
    machine["loadavg_max"] = max(loads)
    if machine["loadavg_max"] > machine["nproc"] + 0.5:
        print(f"WARNING: the machine was busy (1-minute load average up to {machine['loadavg_max']:.1f} on "
              f"{machine['nproc']} cores): wall times are pessimistic; CPU s is the importer's own CPU time")
    default_scale = (args.import_lines, args.import_tq_per_line, args.import_sample) == (
        DEFAULT_LINES, DEFAULT_TQ_PER_LINE, DEFAULT_SAMPLE)
    markdown = render_markdown(machine, files, results, table, passed) if default_scale else None
    if not default_scale:
        print("(not the default scale: docs/benchmarks.md is left as it is)")
    return {"title": TITLE, "machine": machine, "files": files, "results": results, "profiles": profiles,
            "passed": passed if measured else None, "markdown": markdown}


HEADERS = ["database", "run", "rows", "seconds", "CPU s", "server CPU s", "rows/s", "peak MB", "vs naive", "target"]


def _skipped(results: list[dict], db: str) -> bool:
    return any(r["database"] == db and "skipped" in r for r in results)


def _ok(run: dict) -> bool:
    return run["seconds"] < TARGET_SECONDS and run["peak_mb"] < TARGET_PEAK_MB


def _meets(result: dict) -> bool:
    return _ok(result["first"]) and _ok(result["second"])


def rows_for(results: list[dict], files: dict) -> list[list]:
    table = []
    for r in results:
        db = "PostgreSQL" if r["database"] == "postgresql" else "SQLite"
        if "skipped" in r:
            table.append([db, f"skipped: {r['skipped']}", *[""] * (len(HEADERS) - 2)])
            continue
        naive = r["naive"]["rows_per_second"]
        for run, label in (("first", "first import (all new)"), ("second", "second import (all unchanged)")):
            x = r[run]
            rate = x["rows"] / x["seconds"]
            table.append([db, label, fmt_int(x["rows"]), fmt_s(x["seconds"]), fmt_s(x["cpu_seconds"]),
                          fmt_s(x.get("server_cpu_seconds")), fmt_int(rate), fmt_int(x["peak_mb"]),
                          f"{rate / naive:.1f}×", "met" if _ok(x) else "MISSED"])
        n = r["naive"]
        table.append([db, "naive create() per row (baseline)", fmt_int(n["rows"]), f"{n['seconds']:.1f}",
                      fmt_s(n["cpu_seconds"]), "—", fmt_int(naive), fmt_int(n["peak_mb"]), "1.0×", ""])
    return table


def render_markdown(machine: dict, files: dict, results: list[dict], table: list[list], passed: bool) -> str:
    versions = [f"PostgreSQL {r['setup']['server_version']}" for r in results
                if r["database"] == "postgresql" and "setup" in r]
    skipped = [f"PostgreSQL was skipped: {r['skipped']}." for r in results if "skipped" in r]
    stage_rows = []
    for r in results:
        if "skipped" in r:
            continue
        db = "PostgreSQL" if r["database"] == "postgresql" else "SQLite"
        for run in ("first", "second"):
            wall, cpu = r[run]["stages"], r[run].get("stages_cpu", {})
            stage_rows.append([db, run, *(f"{fmt_s(wall.get(k))} / {fmt_s(cpu.get(k))}"
                                          for k in ("read", "parse", "validate", "write")),
                               f"{fmt_s(r[run]['seconds'])} / {fmt_s(r[run]['cpu_seconds'])}",
                               fmt_int(r[run]["rss_start_mb"])])
    sample = next((r["naive"]["rows"] for r in results if "naive" in r), DEFAULT_SAMPLE)
    verdict = ("**Targets met** on every database measured." if passed else
               "**Targets missed** — see the rows marked MISSED.")
    busy = ""
    changed = ""
    if files.get("code_fingerprint_end", files["code_fingerprint"]) != files["code_fingerprint"]:
        changed = f" — **the code changed during the run** (`{files['code_fingerprint_end']}` at the end)"
    if machine.get("loadavg_max", 0) > machine["nproc"] + 0.5:
        busy = (f"\n\n> The machine was shared while this ran (1-minute load average {machine['loadavg_1m']:.1f} at the"
                f" start, up to {machine['loadavg_max']:.1f}, on {machine['nproc']} cores): the wall times are"
                " pessimistic; *CPU s* and *server CPU s* are the steadier figures.")
    return f"""
Measured {machine['date']} on {machine_line(machine)}{', ' + ', '.join(versions) if versions else ''}.

Command: `{machine['command']}` (`make bench` runs every benchmark). Raw figures: `var/bench/import_assets.json`.
Code measured: importer fingerprint `{files['code_fingerprint']}` (SHA-256 of {', '.join(f'`{p}`' for p in CODE_FILES)}){changed}.

**Data.** The deterministic synthetic Yunnan (`getpower.synthetic.province`, seed 2026,
`generate_assets(lines_total={DEFAULT_LINES}, tq_per_line={DEFAULT_TQ_PER_LINE})`): {files['rows']:,} rows —
{files['tq']:,} 台区 and {files['lines']:,} 10 kV lines, {files['bytes'] / 1048576:.0f} MB of CSV — for the
{files['organisations']:,} synthetic organisations.

**Method.** For each database: a fresh database (SQLite file under `var/bench/`; PostgreSQL database
`getpower_bench`, dropped and re-created), migrated, synthetic organisations imported; then, each in a
fresh process:

1. *first import* — `run_import("assets", …)`, what `getpower import assets FILE` runs: wall time from
   reading the file to the committed import job; every row is new;
2. *second import* of the same file — idempotent: every row unchanged, nothing written but the job;
3. *baseline* — naive row-by-row ORM: `Asset.objects.create(...)` per row, its organisation, county and
   line each fetched with `.get()` per row, on the first {sample:,} rows of the same file (IDs renamed), in one
   transaction (rolled back afterwards), on the same database after the imports.

*rows/s* counts every row (台区 and lines); *vs naive* is importer rows/s ÷ naive rows/s. *CPU s* is the
importing process's own user + system CPU time; *server CPU s* is the PostgreSQL backend's CPU time for the
same import (read from `/proc`; SQLite runs inside the importing process). *Peak MB* is the maximum resident
set of the importing process (`getrusage` `ru_maxrss`), Python and Django included.

**Targets:** each import under {TARGET_SECONDS:.0f} s on this {machine['nproc']}-core machine; peak memory under
{TARGET_PEAK_MB / 1024:.0f} GB. {verdict} {' '.join(skipped)}{busy}

{markdown_table(HEADERS, table, "llrrrrrrrl")}

Where the time goes, from the importer's own progress reports (wall / CPU seconds of the importing
process; PostgreSQL's server work shows in the wall time only): *read* = job row, SHA-256,
decode and CSV parsing; *parse* = typed parsing of every cell (`Column.parse`) and the in-file key check;
*validate* = `AssetsLedger.validate` (organisations, counties, lines); *write* = `AssetsLedger.write`:
fetching stored rows, comparing, inserting, audit, commit. *RSS at start* is the process before reading
the file.

{markdown_table(["database", "import", "read", "parse", "validate", "write", "total", "RSS at start MB"],
                stage_rows)}
"""
