"""Load test of the regulator pages: 20 concurrent users against ``getpower serve`` (waitress) on
127.0.0.1 with the demo database, against the same requests from one user in the same run.

1. the demo database (``getpower --db … demo --no-serve`` when it is missing; ``migrate`` always);
2. ``getpower serve`` on a free 127.0.0.1 port (its own process, ``--cockpit-threads`` threads);
3. each user logs in with its own cookie jar (regulator-side demo accounts: the regulator, the
   provincial bureau, 昆明's and 五华's authorities, the administrator), then loops over its pages:
   the cockpit at its root with each KPI in turn, the cockpit drilled into an area inside its
   jurisdiction, the home page and the frequent-outage findings, pausing a think time between
   requests (uniform ±50 % around ``--cockpit-think``, default 1 s: a very busy user);
4. baseline: one user, ``--cockpit-baseline-seconds``; load: ``--cockpit-users`` users,
   ``--cockpit-seconds``; stress (reported, not judged): the same users back to back with no think
   time, ``--cockpit-stress-seconds``. Latency is per request, from send to the end of the body.

Target: p95 < 500 ms in the load run, no errors. Standard library only (urllib, cookie jars, threads).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ._util import PROJECT_DIR, VAR_BENCH, BenchError, machine_info, machine_line, markdown_table, text_table

TITLE = "Cockpit load test"
DEMO_DB = VAR_BENCH / "demo.sqlite3"
DEMO_PASSWORD = "getpower2026"
TARGET_P95_MS = 500.0
KPIS = ("composite", "on_time_rate", "outage_per_1000_tq", "open_governance", "arrears_violations")
# account → an area inside its jurisdiction to drill into
ACCOUNTS = {"regulator": "530100", "bureau": "532900", "km_authority": "530102", "wh_authority": "530102",
            "admin": "530500"}


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--cockpit-db", default=f"sqlite:///{DEMO_DB}",
                       help=f"database with the demo data (default sqlite:///{DEMO_DB}; created when missing)")
    group.add_argument("--cockpit-users", type=int, default=20, help="concurrent users (default 20)")
    group.add_argument("--cockpit-seconds", type=float, default=30.0, help="load duration (default 30 s)")
    group.add_argument("--cockpit-baseline-seconds", type=float, default=10.0,
                       help="one-user baseline duration (default 10 s)")
    group.add_argument("--cockpit-threads", type=int, default=8, help="waitress threads (default 8, as getpower serve)")
    group.add_argument("--cockpit-think", type=float, default=1.0,
                       help="mean pause between a user's requests, uniform ±50%% (s, default 1)")
    group.add_argument("--cockpit-stress-seconds", type=float, default=15.0,
                       help="no-think-time stress run after the load run (s, default 15; 0: none)")


# -- the server ------------------------------------------------------------------------------------

def getpower(*args: str, timeout: float = 1800) -> None:
    command = [sys.executable, "-m", "getpower.cli", *args]
    completed = subprocess.run(command, cwd=PROJECT_DIR, timeout=timeout, check=False, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BenchError(f"{' '.join(args[:3])} failed: {completed.stderr[-2000:]}")


def prepare_database(url: str) -> None:
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is not None and not path.exists():
        print(f"creating the demo database {path} (a few minutes) …", flush=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        getpower("--db", url, "demo", "--no-serve")
    getpower("--db", url, "migrate")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(VAR_BENCH / "cockpit_load-server.log", "w")  # the server process holds it until it ends
    # `getpower serve` refuses the development SECRET_KEY: a throw-away key for this local run
    env = {**os.environ, "GETPOWER_SECRET_KEY": os.environ.get("GETPOWER_SECRET_KEY") or secrets.token_urlsafe(50)}
    process = subprocess.Popen([sys.executable, "-m", "getpower.cli", "--db", url, "serve", "--port", str(port),
                                "--threads", str(threads)], cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
                               env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"getpower serve exited with {process.returncode} (see {log.name})")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise BenchError("getpower serve did not answer /healthz within 60 s")


# -- the users -----------------------------------------------------------------------------------

class User:
    def __init__(self, base: str, username: str):
        self.base, self.username = base, username
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def login(self) -> None:
        with self.opener.open(f"{self.base}/login/", timeout=30) as response:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
        body = urllib.parse.urlencode({"username": self.username, "password": DEMO_PASSWORD,
                                       "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(f"{self.base}/login/", data=body, headers={"Referer": f"{self.base}/login/"})
        with self.opener.open(request, timeout=30) as response:
            if response.url.rstrip("/") != self.base:
                raise BenchError(f"login of {self.username} failed")

    def pages(self) -> list[tuple[str, str]]:
        area = ACCOUNTS[self.username]
        out = [(f"cockpit ({kpi})", f"/cockpit/?kpi={kpi}") for kpi in KPIS]
        out += [("cockpit drilled", f"/cockpit/?kpi=outage_per_1000_tq&area={area}"), ("home", "/"),
                ("findings", "/outages/findings/?status=breach")]
        # interleave: cockpit, drilled, home, findings, next cockpit …
        cockpits, rest = out[:len(KPIS)], out[len(KPIS):]
        return [page for i, cockpit in enumerate(cockpits) for page in (cockpit, rest[i % len(rest)])]

    def get(self, path: str) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            with self.opener.open(f"{self.base}{path}", timeout=60) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        return status, time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 when unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def run_phase(base: str, users: int, seconds: float, think: float, server_pid: int) -> dict:
    """``users`` threads, each logged in, looping over its pages until ``seconds`` have passed."""
    people = [User(base, list(ACCOUNTS)[i % len(ACCOUNTS)]) for i in range(users)]
    for person in people:
        person.login()
    samples: list[tuple[str, int, float]] = []
    lock = threading.Lock()
    start = threading.Barrier(users + 1)
    stop_at = [0.0]

    def loop(person: User, offset: int) -> None:
        pages = person.pages()
        rng = random.Random(offset)
        mine = []
        start.wait()
        index = offset
        while time.monotonic() < stop_at[0]:
            name, path = pages[index % len(pages)]
            status, elapsed = person.get(path)
            mine.append((name, status, elapsed))
            index += 1
            if think:
                time.sleep(rng.uniform(think / 2, think * 1.5))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=loop, args=(p, i)) for i, p in enumerate(people)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    began, cpu_before, load_before = time.monotonic(), cpu_seconds(server_pid), os.getloadavg()[0]
    start.wait()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    result = summarise(samples, wall, users)
    cpu = cpu_seconds(server_pid) - cpu_before
    result.update({"server_cpu_s": round(cpu, 2),
                   "server_cpu_ms_per_request": round(1000 * cpu / len(samples), 1) if samples else None,
                   "server_cpu_share": round(cpu / wall, 2) if wall else None,
                   "loadavg_1m": round(max(load_before, os.getloadavg()[0]), 2)})
    return result


def page_costs(base: str, server_pid: int, repeats: int = 10) -> dict[str, dict]:
    """Each page alone, one request at a time (the regulator's pages): the server's CPU per request
    and the median latency — what each page costs, apart from any queueing."""
    user = User(base, "regulator")
    user.login()
    out = {}
    for name, path in dict(user.pages()).items():
        user.get(path)
        before = cpu_seconds(server_pid)
        times = [user.get(path)[1] * 1000 for _ in range(repeats)]
        out[name] = {"cpu_ms": round(1000 * (cpu_seconds(server_pid) - before) / repeats, 1),
                     "median_ms": round(statistics.median(times), 1)}
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def summarise(samples: list[tuple[str, int, float]], wall: float, users: int) -> dict:
    times = [s[2] * 1000 for s in samples]
    errors = sum(1 for s in samples if s[1] != 200)
    pages: dict[str, list[float]] = {}
    for name, _, elapsed in samples:
        pages.setdefault(name, []).append(elapsed * 1000)
    return {
        "users": users, "requests": len(samples), "errors": errors, "seconds": round(wall, 1),
        "throughput_rps": round(len(samples) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(times, 0.50), 1), "p95_ms": round(percentile(times, 0.95), 1),
        "p99_ms": round(percentile(times, 0.99), 1), "max_ms": round(max(times, default=0.0), 1),
        "mean_ms": round(statistics.fmean(times), 1) if times else 0.0,
        "pages": {name: {"n": len(v), "p50_ms": round(percentile(v, 0.5), 1), "p95_ms": round(percentile(v, 0.95), 1)}
                  for name, v in sorted(pages.items())},
    }


def demo_size(url: str) -> dict:
    if not url.startswith("sqlite:///"):
        return {}
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
        def one(sql: str) -> int:
            try:
                return con.execute(sql).fetchone()[0]
            except sqlite3.Error:
                return 0

        return {"assets": one("SELECT COUNT(*) FROM grid_asset"), "outages": one("SELECT COUNT(*) FROM outages_outage"),
                "findings": one("SELECT COUNT(*) FROM outages_finding"),
                "governance_items": one("SELECT COUNT(*) FROM outages_governanceitem"),
                "applications": one("SELECT COUNT(*) FROM connections_application"),
                "arrears_cases": one("SELECT COUNT(*) FROM arrears_arrearscase"),
                "snapshots": one("SELECT COUNT(*) FROM cockpit_kpisnapshot")}


def run(args) -> dict:
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    url = args.cockpit_db
    machine = machine_info()
    prepare_database(url)
    process, base = start_server(url, args.cockpit_threads)
    try:
        warm = User(base, "regulator")
        warm.login()
        for _, path in warm.pages():  # first views compute any missing snapshots and fill caches
            status, _ = warm.get(path)
            if status != 200:
                raise BenchError(f"{path} answered {status}")
        costs = page_costs(base, process.pid)
        print(f"baseline: 1 user, {args.cockpit_baseline_seconds:g} s …", flush=True)
        baseline = run_phase(base, 1, args.cockpit_baseline_seconds, args.cockpit_think, process.pid)
        print(f"load: {args.cockpit_users} users, {args.cockpit_seconds:g} s …", flush=True)
        load = run_phase(base, args.cockpit_users, args.cockpit_seconds, args.cockpit_think, process.pid)
        stress = None
        if args.cockpit_stress_seconds > 0:
            print(f"stress: {args.cockpit_users} users, no think time, {args.cockpit_stress_seconds:g} s …", flush=True)
            stress = run_phase(base, args.cockpit_users, args.cockpit_stress_seconds, 0.0, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    size = demo_size(url)
    passed = load["p95_ms"] < TARGET_P95_MS and load["errors"] == 0 and baseline["errors"] == 0
    headers = ["run", "users", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors",
               "server CPU ms/req", "server CPU share", "load avg"]
    table = [[name, r["users"], r["requests"], r["throughput_rps"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"],
              r["errors"], r["server_cpu_ms_per_request"], r["server_cpu_share"], r["loadavg_1m"]] for name, r in (("baseline (1 user)", baseline), ("load", load),
                                           ("stress (no think time)", stress)) if r is not None]
    page_headers = ["page", "alone: server CPU ms", "alone: median ms", "load n", "load p50", "load p95"]
    page_table = [[name, costs.get(name, {}).get("cpu_ms", "—"), costs.get(name, {}).get("median_ms", "—"), v["n"],
                   v["p50_ms"], v["p95_ms"]] for name, v in load["pages"].items()]
    print()
    print(text_table(headers, table))
    print()
    print(text_table(page_headers, page_table))
    verdict = "met" if passed else "MISSED"
    print(f"target: p95 < {TARGET_P95_MS:.0f} ms with {args.cockpit_users} users, no errors → {verdict}")
    default = (args.cockpit_users, args.cockpit_seconds, args.cockpit_think) == (20, 30.0, 1.0)
    markdown = render_markdown(machine, size, args, table, headers, page_table, page_headers, passed,
                               load) if default else None
    if not default:
        print("(not the default load: docs/benchmarks.md is left as it is)")
    return {"title": TITLE, "machine": machine, "database": url, "size": size, "baseline": baseline, "load": load,
            "stress": stress, "page_costs": costs, "passed": passed, "markdown": markdown}


def render_markdown(machine, size, args, table, headers, page_table, page_headers, passed, load) -> str:
    cpu_ms, share = load["server_cpu_ms_per_request"], load["server_cpu_share"]
    capacity = (f"At {cpu_ms} ms of server CPU per request, one free core answers about {1000 / cpu_ms:.0f} "
                f"requests/s; the load run offered {load['throughput_rps']} requests/s and the server process got "
                f"{share} of a core (1-minute load average {load['loadavg_1m']} on {machine['nproc']} cores)."
                if cpu_ms else "")
    return "\n".join([
        f"Measured {machine['date']} on {machine_line(machine)}; command `{machine['command']}`.",
        "",
        f"`getpower serve` (waitress, {args.cockpit_threads} threads) on 127.0.0.1 with the demo database "
        f"({size.get('assets', 0):,} lines and 台区, {size.get('outages', 0):,} outages, "
        f"{size.get('findings', 0):,} frequent-outage findings, {size.get('governance_items', 0):,} governance "
        f"items, {size.get('applications', 0):,} connection applications, {size.get('arrears_cases', 0):,} "
        f"arrears cases). Each user logs in with its own session (regulator, bureau, 昆明 and 五华 authorities, admin) "
        "and requests the cockpit at its root with each KPI in turn, the cockpit drilled into an area, the home "
        f"page and the frequent-outage findings, with a think time of {args.cockpit_think:g} s ± 50 % between "
        f"requests. Baseline: the same requests from one user ({args.cockpit_baseline_seconds:g} s); load: "
        f"{args.cockpit_users} users ({args.cockpit_seconds:g} s); stress (not judged): the same "
        f"{args.cockpit_users} users back to back with no think time ({args.cockpit_stress_seconds:g} s). "
        "Latency from send to the end of the body. *alone*: each page requested 10 times in a row by one "
        "user before the runs (its own cost, no queueing). *server CPU ms/req*: the server process's CPU time "
        "(user + system, /proc) divided by the requests it answered — its own cost, whatever else runs; "
        "*server CPU share*: its CPU seconds per wall second (one Python process: the GIL keeps it near one "
        f"core); *load avg*: the machine's 1-minute load average during the run ({machine['nproc']} cores; "
        "other sessions' jobs included).",
        "",
        markdown_table(headers, table),
        "",
        markdown_table(page_headers, page_table),
        "",
        f"Target p95 < {TARGET_P95_MS:.0f} ms with {args.cockpit_users} concurrent users (load run), no errors: "
        f"**{'met' if passed else 'missed'}**. {capacity} KPIs are read from `KpiSnapshot` rows written after "
        "each evaluation run (docs/cockpit.md); a page view computes nothing.",
    ])
