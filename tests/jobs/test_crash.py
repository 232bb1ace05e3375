"""A worker killed with SIGKILL in the middle of an import (issue 13): after a restart the job is
retried (or failed with its reason), never left running, and the database holds all of the file's
rows or none of them. Real processes on a file database: ``getpower --db sqlite:///… worker``."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.worker

ROWS = 120_000
ORGANISATIONS = "org_code,name,kind,level,region_code,parent_code\nWHPG,五华供电局,supplier,county,530102,\n"


def getpower(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "getpower.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=True, **kwargs)


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    # a session of its own: SIGKILL reaches the cluster's every process, as when the machine dies
    return subprocess.Popen([sys.executable, "-m", "getpower.cli", "worker"], env=env, start_new_session=True,
                            stdout=log.open("a"), stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """SIGTERM to the worker (it stops its cluster); SIGKILL to its whole process group."""
    try:
        if sig == signal.SIGKILL:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def read(db: Path, sql: str, *params):
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql, params).fetchone()


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_in_the_middle_of_an_import_then_restart(tmp_path):
    db = tmp_path / "crash.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GETPOWER_", "DJANGO_SETTINGS"))}
    env.update(GETPOWER_DATABASE_URL=f"sqlite:///{db}", GETPOWER_HOME=str(tmp_path), GETPOWER_JOBS_SYNC="0",
               GETPOWER_WORKERS="1")
    getpower(env, "migrate")
    (tmp_path / "orgs.csv").write_text(ORGANISATIONS, encoding="utf-8")
    getpower(env, "import", "organisations", str(tmp_path / "orgs.csv"))
    lines = ["asset_id,asset_type,name,company,county_code,line_id,rated_kva,users"]
    lines += [f"L{i:06d},line,五华10kV{i}回线,WHPG,530102,,,0" for i in range(ROWS)]
    big = tmp_path / "assets.csv"
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    queued = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import django, os
        os.environ["DJANGO_SETTINGS_MODULE"] = "getpower.settings"
        django.setup()
        from getpower.ledgers.jobs import queue_import
        record, job = queue_import("assets", open({str(big)!r}, "rb").read(), "assets.csv", channel="cli")
        print(job.pk, record.pk)
        """)], env=env, capture_output=True, text=True, timeout=120, check=True)
    job_id, record_id = (int(x) for x in queued.stdout.split())

    first = start_worker(env, tmp_path / "worker-1.log")
    try:
        wait_for(lambda: read(db, "SELECT stage FROM jobs_job WHERE id=?", job_id)[0] == "写入中", 60,
                 "the import to reach its write phase")
        time.sleep(0.3)  # inside the write transaction
        stop(first, signal.SIGKILL)
    finally:
        stop(first, signal.SIGKILL)
    status, attempts = read(db, "SELECT status, attempts FROM jobs_job WHERE id=?", job_id)
    assets = read(db, "SELECT count(*) FROM grid_asset")[0]
    assert (status, attempts) == ("running", 1)  # what a crash leaves behind
    assert assets in (0, ROWS)  # one transaction: all of the file or none of it

    second = start_worker(env, tmp_path / "worker-2.log")
    try:
        wait_for(lambda: read(db, "SELECT status FROM jobs_job WHERE id=?", job_id)[0] in ("succeeded", "failed"),
                 60, "the retried import to end")
    finally:
        stop(second)
    status, attempts, log, error = read(db, "SELECT status, attempts, log, error FROM jobs_job WHERE id=?", job_id)
    assert (status, attempts) == ("succeeded", 2), (error, log)
    assert "已不存在" in log and "重新排队" in log
    assert read(db, "SELECT count(*) FROM grid_asset")[0] == ROWS
    assert read(db, "SELECT status, rows_added + rows_unchanged FROM core_importjob WHERE id=?", record_id) == (
        "succeeded", ROWS)
    assert read(db, "SELECT count(*) FROM jobs_job WHERE status='running'")[0] == 0
    # the import changed the assets ledger: R3 reads it, so its evaluation was queued (and ran)
    assert read(db, "SELECT count(*) FROM jobs_job WHERE kind='evaluate' AND subject='rule:R3'")[0] == 1
