"""How long ``getpower demo`` takes from nothing to a site answering on 127.0.0.1: a fresh SQLite
file, ``getpower demo --port P`` started as a new user would start it (migrate, the synthetic
province and its year of outages, applications, arrears cases and filings, evaluations, then the
server), timed until its home page answers 200. Beside it, in the same run, the floor every start
pays: ``getpower migrate`` on another fresh file (schema and the shipped reference data).

Target (issue 2): the site answers within 2 minutes on this machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from ._util import (
    PROJECT_DIR,
    VAR_BENCH,
    BenchError,
    fresh_sqlite,
    machine_info,
    machine_line,
    markdown_table,
)

TITLE = "Demo start-up: getpower demo until the site answers"
TARGET_SECONDS = 120.0
STEP = re.compile(r"（(demo_\w+_step)：([\d.]+)s）")


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--demo-timeout", type=float, default=900.0, help="give up after this many seconds (default 900)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def time_migrate() -> dict:
    url = fresh_sqlite(VAR_BENCH / "demo_time-migrate.sqlite3")
    env = dict(os.environ, GETPOWER_DATABASE_URL=url)
    cpu, started = _children_cpu(), time.monotonic()
    subprocess.run([str(PROJECT_DIR / ".venv/bin/getpower"), "migrate"], cwd=PROJECT_DIR, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return {"seconds": round(time.monotonic() - started, 1), "cpu_seconds": round(_children_cpu() - cpu, 1)}


def time_demo(timeout: float) -> dict:
    url = fresh_sqlite(VAR_BENCH / "demo_time.sqlite3")
    port = _free_port()
    env = dict(os.environ, GETPOWER_DATABASE_URL=url, PYTHONUNBUFFERED="1")
    log = VAR_BENCH / "demo_time.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen([str(PROJECT_DIR / ".venv/bin/getpower"), "demo", "--port", str(port)],
                                   cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            while not _answers(f"http://127.0.0.1:{port}/"):
                if process.poll() is not None:
                    raise BenchError(f"getpower demo exited with {process.returncode}; see {log}")
                if time.monotonic() - started > timeout:
                    raise BenchError(f"getpower demo did not answer within {timeout:.0f} s; see {log}")
                time.sleep(0.25)
            seconds = time.monotonic() - started
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    cpu = _children_cpu()  # the demo process, reaped above (the migrate child was counted before)
    steps = {name: float(value) for name, value in STEP.findall(log.read_text())}
    return {"seconds": round(seconds, 1), "children_cpu_total": cpu, "steps": steps, "port": port}


def run(args) -> dict:
    machine = machine_info()
    print("baseline: getpower migrate on a fresh SQLite file …", flush=True)
    migrate = time_migrate()
    print(f"  {migrate['seconds']:.1f} s (CPU {migrate['cpu_seconds']:.1f} s)", flush=True)
    before = _children_cpu()
    print("getpower demo on a fresh SQLite file, until its home page answers …", flush=True)
    demo = time_demo(args.demo_timeout)
    demo["cpu_seconds"] = round(demo.pop("children_cpu_total") - before, 1)
    print(f"  {demo['seconds']:.1f} s (CPU {demo['cpu_seconds']:.1f} s)", flush=True)
    passed = demo["seconds"] < TARGET_SECONDS
    rows = [["`getpower migrate` (the floor)", f"{migrate['seconds']:.1f}", f"{migrate['cpu_seconds']:.1f}", "1×", ""],
            ["`getpower demo` until `/` answers 200", f"{demo['seconds']:.1f}", f"{demo['cpu_seconds']:.1f}",
             f"{demo['seconds'] / max(migrate['seconds'], 0.1):.1f}×", "met" if passed else "MISSED"]]
    steps = ", ".join(f"{name.removeprefix('demo_').removesuffix('_step')} {value:.1f} s"
                      for name, value in demo["steps"].items())
    markdown = f"""Measured {machine['date']} on {machine_line(machine)}; 1-minute load average {machine['loadavg_1m']:.1f}
at the start.

Command: `{machine['command']}`. Raw figures: `var/bench/demo_time.json`; the demo's own output:
`var/bench/demo_time.log`.

**Method.** A fresh SQLite file each; `getpower demo --port P` started as a new user starts it (it migrates,
generates the synthetic province with its year of data, evaluates, then serves), timed from launch until
`http://127.0.0.1:P/` answers 200. CPU is the demo process's own user + system time. Its generation steps took:
{steps}.

**Target:** the site answers within {TARGET_SECONDS:.0f} s. **{"Met" if passed else "Missed"}.**

{markdown_table(["run", "seconds", "CPU s", "÷ migrate", "target"], rows, "lrrrl")}
"""
    print(f"target: the site answers within {TARGET_SECONDS:.0f} s → {'met' if passed else 'MISSED'}")
    return {"machine": machine, "migrate": migrate, "demo": demo, "passed": passed, "markdown": markdown,
            "title": TITLE}
