"""Queue, run, track and recover jobs.

``enqueue`` writes the ``Job`` row and hands its id to django-q2 in the same transaction (the ORM
broker's queue is a table of the same database: a job exists with its queue entry or not at all).
The worker's task, ``run_job``, claims the row (queued → running, one conditional UPDATE, so a
duplicate delivery is a no-op), beats a heartbeat while the kind's function runs, and records the
outcome. ``track`` records work that a process does itself (``getpower import``, ``getpower evaluate``).
``recover`` finds running jobs whose process is gone and queues them again or fails them with the reason.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from getpower.core.scope import organisation_of, scope_for

from . import registry
from .models import Job
from .registry import JobRejected

log = logging.getLogger("getpower.jobs")
TASK = "getpower.jobs.services.run_job"  # the one django-q2 task: run the Job row with this id
ACTIVE = (Job.Status.QUEUED, Job.Status.RUNNING)
_CURRENT: contextvars.ContextVar[Job | None] = contextvars.ContextVar("getpower_job", default=None)


def identity() -> str:
    """This process as a job's worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_sync() -> bool:
    return bool(getattr(settings, "GETPOWER_JOBS_SYNC", False))


def stamp(text: str) -> str:
    return f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {text}\n"


def append_log(job: Job | int, text: str, **changes) -> None:
    """Add a line to a job's log (one UPDATE: lines written by other processes are kept)."""
    pk = job if isinstance(job, int) else job.pk
    Job.objects.filter(pk=pk).update(log=Concat(F("log"), Value(stamp(text))), **changes)


def current() -> Job | None:
    """The job this thread is running (inside ``run_job`` or ``track``), if any."""
    return _CURRENT.get()


# -- queueing ---------------------------------------------------------------------------------------

def enqueue(kind: str, *, args: dict | None = None, label: str = "", user=None, actor: str = "",
            organisation=None, subject: str = "", period_key: str | None = None, coalesce_key: str = "",
            delay_seconds: float = 0, max_attempts: int | None = None) -> Job:
    """Queue a job of a registered kind and return its row.

    ``period_key`` names periodic work ("evaluate:R3:2026-10-05"): if a job with that key exists,
    it is returned and nothing is queued. ``coalesce_key``: at most one queued job per key (see
    ``evaluations.request``). In inline mode (``GETPOWER_JOBS_SYNC``) the job runs at once, here."""
    registry.get(kind)  # an unknown kind fails here, not in the worker
    if user is not None and getattr(user, "is_authenticated", False):
        organisation = organisation or organisation_of(user)
        actor = actor or user.get_username()
    else:
        user = None
    if period_key:
        existing = Job.objects.filter(period_key=period_key).first()
        if existing is not None:
            return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind, label=label[:200], user=user, actor=actor[:150], organisation=organisation,
                subject=subject, args=args or {}, period_key=period_key, coalesce_key=coalesce_key,
                not_before=now + dt.timedelta(seconds=delay_seconds) if delay_seconds else None,
                max_attempts=max_attempts or settings.GETPOWER_JOB_MAX_ATTEMPTS,
                log=stamp(f"排队：{label or Job.Kind(kind).label}（发起者 {actor or '系统'}）"))
            if not is_sync():
                dispatch(job)
    except IntegrityError:
        if period_key:
            existing = Job.objects.filter(period_key=period_key).first()
            if existing is not None:
                return existing
        raise
    if is_sync():
        run_job(job.pk, inline=True)
        job.refresh_from_db()
    return job


def dispatch(job: Job) -> str:
    """Hand the job to django-q2 (an ``OrmQ`` row in the caller's transaction)."""
    # django-q2 reads its settings when imported: only once Django is set up
    from django_q.tasks import async_task

    return async_task(TASK, job.pk, task_name=f"job-{job.pk}-{job.kind}",
                      q_options={"timeout": settings.Q_CLUSTER["timeout"]})


def cancel(job: Job, *, by: str) -> bool:
    """Cancel a job that has not started yet."""
    done = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED, finished_at=timezone.now(), log=Concat(F("log"), Value(stamp(f"已取消（{by}）"))))
    return bool(done)


# -- running ----------------------------------------------------------------------------------------

class Progress:
    """What a task reports: a fraction (0–1) and a stage; a new stage is also a log line. Each report
    is a heartbeat too."""

    def __init__(self, job: Job):
        self.job = job
        self.stage = job.stage
        self.last = 0.0

    def __call__(self, fraction: float, stage: str = "") -> None:
        now = time.monotonic()
        changed = bool(stage) and stage != self.stage
        if not changed and now - self.last < 0.5 and fraction < 1:
            return
        self.last = now
        fields = {"progress": max(0.0, min(1.0, fraction)), "heartbeat_at": timezone.now()}
        if changed:
            self.stage = stage
            fields["stage"] = stage[:100]
            fields["log"] = Concat(F("log"), Value(stamp(f"{stage}（{round(100 * fraction)}%）")))
        Job.objects.filter(pk=self.job.pk).update(**fields)

    def log(self, text: str) -> None:
        append_log(self.job, text)


class Heartbeat:
    """A thread that writes the job's heartbeat every few seconds while it runs (on its own database
    connection). On SQLite it waits for the job's own write transaction: the stale limit is larger."""

    def __init__(self, job_id: int, me: str):
        self.job_id, self.me = job_id, me
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name=f"heartbeat-{job_id}", daemon=True)
        self.thread.start()

    def beat(self) -> None:
        try:
            while not self.stopped.wait(settings.GETPOWER_JOB_HEARTBEAT_SECONDS):
                try:
                    Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING, worker=self.me).update(
                        heartbeat_at=timezone.now())
                except Exception:  # a locked database: the next beat tries again
                    log.debug("heartbeat of job %s missed", self.job_id, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)


def run_job(job_id: int, *, inline: bool = False) -> None:
    """The worker's task: claim the job, run it, record the outcome. Never raises (the outcome is on
    the row), so django-q2 never re-delivers a job that ran."""
    if not inline:
        close_old_connections()
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status != Job.Status.QUEUED:
        return  # done, cancelled, or being run by another worker: a duplicate delivery
    if job.not_before and not inline:
        # a coalesced evaluation waits for the imports of the next seconds to join it (it stays queued)
        while (wait := (job.not_before - timezone.now()).total_seconds()) > 0:
            time.sleep(min(wait, 1.0))
    me = identity()
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, worker=me, attempts=F("attempts") + 1,
        progress=0.0, stage="", error="", log=Concat(F("log"), Value(stamp(f"开始（{me}）"))))
    if not claimed:
        return
    job.refresh_from_db()
    execute(job, heartbeat=not inline)
    if not inline:
        close_old_connections()


def execute(job: Job, *, heartbeat: bool) -> None:
    kind = registry.get(job.kind)
    token = _CURRENT.set(job)
    beat = Heartbeat(job.pk, job.worker) if heartbeat else None
    started = time.monotonic()
    try:
        if connection.in_atomic_block:  # inline, inside the caller's transaction: an error rolls back to here
            with transaction.atomic():
                result, rejected = call(kind, job)
        else:
            result, rejected = call(kind, job)
    except Exception as exc:
        log.exception("job %s failed", job.pk)
        finish(job, Job.Status.FAILED, started, error=f"{type(exc).__name__}: {exc}",
               detail=traceback.format_exc(limit=6))
    else:
        if rejected is None:
            finish(job, Job.Status.SUCCEEDED, started, result=result or {})
        else:
            finish(job, Job.Status.FAILED, started, error=str(rejected))
    finally:
        if beat is not None:
            beat.stop()
        _CURRENT.reset(token)
    finished(job)


def call(kind: registry.Kind, job: Job) -> tuple[dict | None, JobRejected | None]:
    """The kind's function; a rejection is returned, not raised (what it wrote stays: the record of why)."""
    try:
        return kind.run(job, Progress(job)), None
    except JobRejected as exc:
        return None, exc


def finish(job: Job, status: str, started: float, *, result: dict | None = None, error: str = "",
           detail: str = "") -> None:
    seconds = time.monotonic() - started
    text = "完成" if status == Job.Status.SUCCEEDED else f"失败：{error}"
    line = stamp(f"{text}（耗时 {seconds:.1f} 秒）") + (detail if detail else "")
    changes = {"status": status, "finished_at": timezone.now(), "duration_seconds": seconds,
               "error": error[:4000], "log": Concat(F("log"), Value(line))}
    if status == Job.Status.SUCCEEDED:
        changes.update(progress=1.0, result=result or {})
    Job.objects.filter(pk=job.pk).update(**changes)
    job.refresh_from_db()


def finished(job: Job) -> None:
    """The kind's clean-up once a job has ended for good."""
    kind = registry.get(job.kind)
    if kind.finished is None:
        return
    try:
        kind.finished(job)
    except Exception:  # the job's outcome is recorded already; a failed clean-up is only logged
        log.exception("clean-up of job %s failed", job.pk)


@dataclass
class Run:
    """What ``track`` hands the caller: the job, its progress, and the outcome to record."""

    job: Job
    progress: Progress
    result: dict = field(default_factory=dict)
    error: str = ""
    nested: bool = False

    def fail(self, reason: str) -> None:
        self.error = reason


@contextmanager
def track(kind: str, *, label: str = "", user=None, actor: str = "", args: dict | None = None,
          subject: str = "") -> Iterator[Run]:
    """Record work this process does itself as a job row (running from the start, one attempt: if the
    process dies, ``recover`` marks it failed). Inside a job of the same kind (the worker running an
    import job calls ``run_import``), the running job is that record."""
    running = _CURRENT.get()
    if running is not None and running.kind == kind:
        yield Run(running, Progress(running), nested=True)
        return
    if user is not None and getattr(user, "is_authenticated", False):
        organisation, actor = organisation_of(user), actor or user.get_username()
    else:
        user, organisation = None, None
    now = timezone.now()
    job = Job.objects.create(
        kind=kind, label=label[:200], user=user, actor=(actor or "cli")[:150], organisation=organisation,
        subject=subject, args=args or {}, status=Job.Status.RUNNING, started_at=now, heartbeat_at=now,
        attempts=1, max_attempts=1, worker=identity(),
        log=stamp(f"开始：{label or Job.Kind(kind).label}（发起者 {actor or 'cli'}，{identity()}）"))
    token = _CURRENT.set(job)
    run = Run(job, Progress(job))
    started = time.monotonic()
    try:
        yield run
    except BaseException as exc:
        finish(job, Job.Status.FAILED, started, error=f"{type(exc).__name__}: {exc}"[:4000])
        raise
    else:
        if run.error:
            finish(job, Job.Status.FAILED, started, error=run.error)
        else:
            finish(job, Job.Status.SUCCEEDED, started, result=run.result)
    finally:
        _CURRENT.reset(token)


# -- recovery ---------------------------------------------------------------------------------------

def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped by its parent is a zombie: gone all the same
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def abandoned_because(job: Job, now: dt.datetime) -> str | None:
    """Why a running job has no live process behind it (None: it is alive)."""
    host, _, pid = job.worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        if not process_alive(int(pid)):
            return f"工作进程 {job.worker} 已不存在（进程崩溃或被强制结束）"
        return None
    stale = dt.timedelta(seconds=settings.GETPOWER_JOB_STALE_SECONDS)
    beat = job.heartbeat_at or job.started_at or job.created_at
    if now - beat > stale:
        return f"工作进程 {job.worker or '未知'} 的心跳已停止 {int((now - beat).total_seconds())} 秒"
    return None


def recover(*, startup: bool = False) -> dict:
    """Running jobs whose process is gone are queued again (their writes are one transaction, so an
    interrupted attempt left nothing) or, after their last attempt, failed with the reason. At a
    worker's start, queued jobs are handed to django-q2 again too: a delivery taken by a worker that
    died would otherwise come back only after the broker's retry time (a duplicate is a no-op)."""
    now = timezone.now()
    counts = {"retried": 0, "failed": 0, "redelivered": 0}
    retried: set[int] = set()
    for job in Job.objects.filter(status=Job.Status.RUNNING):
        reason = abandoned_because(job, now)
        if reason is None:
            continue
        same = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, worker=job.worker)
        kind = registry.get(job.kind) if job.kind in registry.registered() else None
        if kind is not None and kind.retry and job.attempts < job.max_attempts:
            with transaction.atomic():
                if same.update(status=Job.Status.QUEUED, worker="", stage="", not_before=None,
                               log=Concat(F("log"), Value(stamp(f"中断：{reason}；第 {job.attempts} 次尝试作废，"
                                                                   "重新排队")))):
                    dispatch(job)
                    retried.add(job.pk)
                    counts["retried"] += 1
        else:
            error = f"{reason}（已尝试 {job.attempts} 次，不再重试）"
            if same.update(status=Job.Status.FAILED, finished_at=now, error=error,
                           log=Concat(F("log"), Value(stamp(f"失败：{error}")))):
                counts["failed"] += 1
                job.refresh_from_db()
                if kind is not None:
                    finished(job)
    if startup:
        for job in Job.objects.filter(status=Job.Status.QUEUED).exclude(pk__in=retried):
            dispatch(job)
            counts["redelivered"] += 1
    if counts["retried"] or counts["failed"]:
        log.warning("recovered jobs: %s", counts)
    return counts


# -- reading ----------------------------------------------------------------------------------------

SYSTEM_KINDS_FOR_ALL = (Job.Kind.EVALUATE,)  # what every signed-in user may see of the platform's own jobs


def visible_jobs(user) -> QuerySet[Job]:
    """The jobs a user may see: administrators and province-wide regulators all; an authority those of
    the organisations in its region; a company its own (and those of the units under it); everyone
    the platform's automatic evaluations, which follow every company's imports."""
    qs = Job.objects.select_related("user", "organisation")
    scope = scope_for(user)
    if scope.everything:
        return qs
    system = Q(user__isnull=True, organisation__isnull=True, kind__in=SYSTEM_KINDS_FOR_ALL)
    own = Q(user=user)
    if scope.region_prefix is not None:
        return qs.filter(system | own | Q(organisation__region__code__startswith=scope.region_prefix))
    return qs.filter(system | own | Q(organisation_id__in=scope.org_ids))
