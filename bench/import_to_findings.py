"""From a committed import to updated findings on the page, at province scale (issue 13).

The R3 benchmark's province (``bench/_r3_data.py``: 320,513 lines and 台区, 2,000,000 outages of a year)
is loaded into a database of its own (PostgreSQL when reachable, else SQLite). In one child process,
with a real ``getpower worker`` running beside it on the same database:

1. *warm-up* (untimed): one import and the evaluation it causes, so that the worker has loaded its
   modules (as a worker that has been running does);
2. per round: 1,000 new outage rows on 台区 picked at random are imported with ``run_import`` (what the
   import job runs); from the import's commit, the clock runs until the findings page
   (``/outages/findings/``, signed in as the administrator, polled every 0.25 s) names the new R3 run —
   the coalesced evaluation that ``ledger_changed`` queued, run by the worker and stored;
   ``--itf-repeat`` rounds with the coalescing window as configured (``GETPOWER_EVALUATE_DELAY_SECONDS``,
   5 s by default) and as many with no window;
3. the floor: the same evaluation alone (``RuleDomain.evaluate`` with its automatic options, stored),
   timed in the child after one untimed run, and the worker's own duration of each evaluation job.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from ._util import (
    PG_DEFAULT_URL,
    VAR_BENCH,
    BenchError,
    fmt_s,
    fresh_postgres,
    fresh_sqlite,
    machine_info,
    machine_line,
    markdown_table,
    run_child,
    text_table,
)

TITLE = "From an import to updated findings on the page"
TARGET_SECONDS = 30.0
PG_URL = PG_DEFAULT_URL.rsplit("/", 1)[0] + "/getpower_bench_itf"


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--itf-db", default="postgresql",
                       help="postgresql (default; SQLite when it is unreachable) or sqlite")
    group.add_argument("--itf-pg-url", default=os.environ.get("GETPOWER_BENCH_ITF_PG_URL", PG_URL),
                       help=f"PostgreSQL database to drop and re-create (default {PG_URL})")
    group.add_argument("--itf-lines", type=int, default=20_000, help="10 kV lines of the province (default 20,000)")
    group.add_argument("--itf-outages", type=int, default=2_000_000, help="outage records (default 2,000,000)")
    group.add_argument("--itf-rows", type=int, default=1_000, help="outage rows per import (default 1,000)")
    group.add_argument("--itf-repeat", type=int, default=2, help="timed rounds per window setting (default 2)")
    group.add_argument("--itf-reuse", action="store_true", help="reuse the generated tables and the loaded database")


# -- child-process side (Django is set up) ---------------------------------------------------------
def _outage_csv(rows: int, round_no: int) -> bytes:
    """``rows`` one-hour faults yesterday on 台区 picked at random (new event ids each round)."""
    import datetime as dt
    import random

    from django.utils import timezone

    from getpower.grid.models import Asset

    tqs = list(Asset.objects.filter(asset_type="tq").values_list("asset_id", "company__org_code")
               .order_by("?")[:rows])
    day = timezone.localdate() - dt.timedelta(days=1)
    rng = random.Random(round_no)
    lines = ["event_id,company,asset_type,asset_id,start_time,end_time,kind"]
    for k, (asset_id, company) in enumerate(tqs):
        hour = rng.randrange(0, 22)
        lines.append(f"ITF-{round_no}-{k},{company},tq,{asset_id},{day} {hour:02d}:00,{day} {hour + 1:02d}:00,fault")
    return ("\n".join(lines) + "\n").encode()


def measure(rows: int, repeat: int) -> dict:
    import re
    import subprocess
    import sys

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from getpower.core.models import EvaluationRun
    from getpower.domains import registry
    from getpower.jobs.models import Job
    from getpower.ledgers.importer import run_import

    settings.GETPOWER_JOBS_SYNC = False
    admin = get_user_model().objects.filter(username="bench-admin").first() or \
        get_user_model().objects.create_superuser("bench-admin", password="bench-admin-password-1")
    client = Client()
    client.force_login(admin)
    worker = subprocess.Popen([sys.executable, "-m", "getpower.cli", "worker"], env=dict(os.environ))
    window = settings.GETPOWER_EVALUATE_DELAY_SECONDS

    def one_round(round_no: int, delay: float) -> dict:
        settings.GETPOWER_EVALUATE_DELAY_SECONDS = delay
        data = _outage_csv(rows, round_no)
        before = EvaluationRun.objects.filter(rule="R3").order_by("-id").values_list("id", flat=True).first() or 0
        started = time.monotonic()
        result = run_import("outages", data, f"itf-{round_no}.csv", channel="cli")
        committed = time.monotonic()
        if not result.ok:
            raise BenchError(f"the import was rejected: {result.errors[:3]}")
        polls = 0
        while True:
            run = EvaluationRun.objects.filter(rule="R3", id__gt=before).order_by("-id").first()
            if run is not None:
                html = client.get("/outages/findings/").content.decode()
                polls += 1
                if re.search(rf"批次 {run.pk}\D", html):
                    break
            if time.monotonic() - committed > 600:
                raise BenchError("no new R3 run on the page after 600 s")
            time.sleep(0.25)
        visible = time.monotonic()
        job = Job.objects.filter(kind="evaluate", subject="rule:R3").order_by("-id").first()
        return {"round": round_no, "window_s": delay, "import_s": round(committed - started, 2),
                "to_page_s": round(visible - committed, 2), "run": run.pk, "added": result.added,
                "job": job.pk, "job_absorbed": job.absorbed, "job_duration_s": job.duration_seconds,
                "job_queued_s": round((job.started_at - job.created_at).total_seconds(), 2) if job.started_at else None,
                "page_polls": polls}

    try:
        warm = one_round(0, 0.0)
        rounds = [one_round(i + 1, window) for i in range(repeat)]
        rounds += [one_round(repeat + i + 1, 0.0) for i in range(repeat)]
        domain = registry.get("frequent-outages")
        domain.evaluate(store=True, actor="bench", **domain.automatic_options(timezone.now()))  # warm-up, untimed
        floor = []
        for _ in range(repeat):
            started = time.monotonic()
            domain.evaluate(store=True, actor="bench", **domain.automatic_options(timezone.now()))
            floor.append(round(time.monotonic() - started, 2))
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=120)
        except subprocess.TimeoutExpired:
            worker.kill()
    return {"warm_up": warm, "rounds": rounds, "floor_s": floor, "window_s": window,
            "workers": settings.Q_CLUSTER["workers"]}


# -- parent side -------------------------------------------------------------------------------------
def _database(db: str, args, data: dict) -> tuple[str | None, dict]:
    from .r3_frequent_outages import DATA_DIR

    marker = DATA_DIR / f"itf-loaded-{db}.json"
    previous = json.loads(marker.read_text()) if marker.exists() else {}
    if db == "sqlite":
        path = VAR_BENCH / "import_to_findings.sqlite3"
        if args.itf_reuse and previous.get("wanted") == data["stats"]["wanted"] and path.exists():
            return f"sqlite:///{path}", previous
        url = fresh_sqlite(path)
    else:
        if args.itf_reuse and previous.get("wanted") == data["stats"]["wanted"]:
            return args.itf_pg_url, previous
        url, note = fresh_postgres(args.itf_pg_url)
        if url is None:
            return None, {"skipped": note}
    marker.unlink(missing_ok=True)
    print(f"[{db}] migrate, organisations, load {data['stats']['outages']:,} outages …", flush=True)
    setup = run_child("bench.r3_frequent_outages:setup_database",
                      {"organisations_csv": data["organisations_csv"], "paths": data["paths"]}, database_url=url)
    marker.write_text(json.dumps({**setup, "wanted": data["stats"]["wanted"]}))
    print(f"[{db}]   loaded in {setup['load_seconds']} s", flush=True)
    return url, setup


def run(args) -> dict:
    from . import r3_frequent_outages as r3

    machine = machine_info()
    shaped = argparse.Namespace(r3_lines=args.itf_lines, r3_outages=args.itf_outages, r3_reuse=args.itf_reuse)
    print(f"generating {args.itf_outages:,} outages on {args.itf_lines:,} lines …", flush=True)
    data = r3.generate(shaped)
    db = args.itf_db
    url, setup = _database(db, args, data)
    if url is None and db == "postgresql":
        print(f"[postgresql] skipped: {setup['skipped']}; measuring on SQLite", flush=True)
        db = "sqlite"
        url, setup = _database(db, args, data)
    if url is None:
        raise BenchError(f"no database: {setup}")
    print(f"[{db}] {args.itf_rows:,}-row imports with a worker running …", flush=True)
    out = run_child("bench.import_to_findings:measure", {"rows": args.itf_rows, "repeat": args.itf_repeat},
                    database_url=url)
    rounds = out["rounds"]
    windowed = [r for r in rounds if r["window_s"] > 0]
    direct = [r for r in rounds if r["window_s"] == 0]
    latency = statistics.median(r["to_page_s"] for r in windowed) if windowed else None
    floor = statistics.median(out["floor_s"])
    passed = latency is not None and latency < TARGET_SECONDS
    headers = ["round", "window s", "import s", "commit → page s", "evaluation job s", "queued s", "new rows"]
    table = [[str(r["round"]), f"{r['window_s']:g}", fmt_s(r["import_s"]), fmt_s(r["to_page_s"]),
              fmt_s(r["job_duration_s"]), fmt_s(r["job_queued_s"]), f"{r['added']:,}"] for r in rounds]
    table.append(["floor", "—", "—", "—", ", ".join(fmt_s(s) for s in out["floor_s"]), "—", "—"])
    print()
    print(text_table(headers, table))
    st = data["stats"]
    direct_median = statistics.median(r["to_page_s"] for r in direct) if direct else None
    markdown = "\n".join([
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine_line(machine)}; database "
        f"{'PostgreSQL ' + str(setup.get('server_version', '')) if db == 'postgresql' else 'SQLite'}.",
        "",
        "Command: `.venv/bin/python -m bench import_to_findings`. Raw figures: `var/bench/import_to_findings.json`.",
        "",
        f"**Data**: the R3 benchmark's province ({st['assets']:,} lines and 台区, {st['outages']:,} outages of a "
        f"year), loaded into a database of its own; a `getpower worker` ({out['workers']} worker "
        f"process{'es' if out['workers'] > 1 else ''}) runs beside the measuring process on the same database.",
        "",
        f"**Method.** Each round imports {args.itf_rows:,} new outage rows (one-hour faults yesterday on 台区 picked "
        "at random) with `run_import`; its commit sends `ledger_changed`, which queues one coalesced R3 evaluation "
        "job; the worker runs it and stores the run. The clock starts at the import's commit and stops when the "
        "findings page `/outages/findings/` (polled every 0.25 s as the administrator) names the new run. One untimed "
        "warm-up round first (the worker loads its modules once, as a running worker has). Rounds with the "
        f"coalescing window as configured ({out['window_s']:g} s: imports of the next seconds join the same "
        "evaluation) and with none. *Evaluation job s*: the worker's own duration of the evaluation; *floor*: "
        "the same evaluation alone (`RuleDomain.evaluate` with its automatic options, stored) in the warmed process.",
        "",
        f"**Target:** commit → page under {TARGET_SECONDS:.0f} s (with the configured window): "
        f"**{'met' if passed else 'not met'}** — median {fmt_s(latency)} s beside a floor of {fmt_s(floor)} s"
        + (f"; without the window {fmt_s(direct_median)} s." if direct_median is not None else "."),
        "",
        markdown_table(headers, table, "lrrrrrr"),
        "",
        f"*Import s* (not part of the target: the clock starts at its commit) is `run_import` of the {args.itf_rows:,} "
        "rows into the province's ledger, validation and audit included. *Queued s* is the wait between the job's "
        "creation and its start: the window, plus the worker's poll (0.5 s).",
    ])
    return {"database": db, "setup": setup, **out, "latency_median_s": latency, "floor_median_s": floor,
            "passed": passed, "markdown": markdown, "machine": machine}
