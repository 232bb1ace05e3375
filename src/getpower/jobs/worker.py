"""``getpower worker``: the django-q2 cluster that runs the jobs, and starting one beside the web server."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

from .evaluations import ensure_schedules
from .services import recover


def run_worker(*, echo=print) -> None:
    """Recover what a previous worker left running, make the schedules, run the cluster until stopped
    (SIGTERM or Ctrl+C: the running jobs finish first)."""
    # django-q2 reads its settings when imported: only once Django is set up
    from django_q.cluster import Cluster

    counts = recover(startup=True)
    ensure_schedules()
    echo(f"getpower worker 已启动：{settings.Q_CLUSTER['workers']} 个工作进程；"
         f"恢复中断任务 {counts['retried']} 个重试、{counts['failed']} 个失败，重新投递排队任务 {counts['redelivered']} 个")
    cluster = Cluster()
    cluster.start()
    if cluster.sentinel is not None:
        cluster.sentinel.join()


def start_worker_process(db_url: str | None = None) -> subprocess.Popen:
    """A worker beside ``getpower serve`` / ``getpower demo``, in a process of its own (same database)."""
    env = dict(os.environ)
    if db_url:
        env["GETPOWER_DATABASE_URL"] = db_url
    return subprocess.Popen([sys.executable, "-m", "getpower.cli", "worker"], env=env)
