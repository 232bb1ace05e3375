"""Findings follow the data.

- ``ledger_changed`` (sent once an import has committed) queues one evaluation per rule that reads the
  ledger, at the current time (``RuleDomain.automatic_options``). A queued evaluation that has not
  started absorbs later requests for the same rule, and waits ``GETPOWER_EVALUATE_DELAY_SECONDS``
  before it starts: ten imports in a minute cause one run, or a few when one was already running.
- Every day the worker's scheduler queues an evaluation of every rule as of that day and the filings
  tick, each keyed by (job, day) so that neither runs twice for a day.
- ``freshness`` tells a page when its figures were computed and whether newer data is being evaluated.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F, Max, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone

from getpower.core.models import EvaluationRun
from getpower.domains import registry as domains

from . import registry
from .models import Job
from .registry import JobRejected
from .services import ACTIVE, append_log, current, enqueue, stamp

log = logging.getLogger("getpower.jobs")
AUTO_ACTOR = "自动评估"  # after an import
SCHEDULE_ACTOR = "定时任务"  # the daily schedule


def coalesce_key(domain: domains.RuleDomain) -> str:
    return f"evaluate:{domain.rule}"


def on_ledger_changed(sender: str, job=None, **kwargs) -> None:
    """``ledger_changed`` receiver: re-evaluate the rules that read the ledger."""
    if not settings.GETPOWER_REEVALUATE_ON_IMPORT:
        return
    for domain in domains.reading(sender):
        what = f"台账 {sender} 的导入（导入记录 {job.pk}）" if job is not None else f"台账 {sender} 的变更"
        evaluation = request(domain, reason=what)
        running = current()
        if running is not None and running.pk != evaluation.pk:
            append_log(running, f"已排队重新评估：{domain.label}（{domain.rule}），任务 #{evaluation.pk}")


def request(domain: domains.RuleDomain, *, reason: str) -> Job:
    """Queue an evaluation of ``domain`` now, or join the one already queued for it."""
    key = coalesce_key(domain)
    for _ in range(5):
        queued = Job.objects.filter(coalesce_key=key, status=Job.Status.QUEUED).first()
        if queued is not None:
            joined = Job.objects.filter(pk=queued.pk, status=Job.Status.QUEUED).update(
                absorbed=F("absorbed") + 1, log=Concat(F("log"), Value(stamp(f"合并请求：{reason}"))))
            if joined:
                return queued
            continue  # it started meanwhile: queue a new one
        try:
            return enqueue("evaluate", args={"domain": domain.name, "trigger": "ledger_changed", "reason": reason},
                           label=f"{domain.label}（{domain.rule}）重新评估", actor=AUTO_ACTOR,
                           subject=f"rule:{domain.rule}", coalesce_key=key,
                           delay_seconds=settings.GETPOWER_EVALUATE_DELAY_SECONDS)
        except IntegrityError:
            continue  # another process queued one at the same instant: join it
    raise RuntimeError(f"could not queue an evaluation of {domain.rule}")


def cancel_automatic(reason: str) -> int:
    """Cancel the queued re-evaluations that imports asked for (the demo evaluates its own data as of its
    own day right after loading it)."""
    return Job.objects.filter(kind=Job.Kind.EVALUATE, status=Job.Status.QUEUED, actor=AUTO_ACTOR).update(
        status=Job.Status.CANCELLED, finished_at=timezone.now(), log=Concat(F("log"), Value(stamp(f"已取消：{reason}"))))


def evaluate_task(job: Job, progress) -> dict:
    """An evaluation job: the rule evaluated and stored at the current time (or as asked in ``args``)."""
    try:
        domain = domains.get(job.args["domain"])
    except (KeyError, domains.DomainError) as exc:
        raise JobRejected(f"未知的规则：{exc}") from None
    options = domain.automatic_options(timezone.now())
    as_of = options.get("as_of")
    progress(0.05, f"评估{domain.label}（{domain.rule}），评估时点 {as_of if as_of is not None else '当前'}")
    evaluation = domain.evaluate(engine=job.args.get("engine", "duckdb"), store=True,
                                 actor=job.actor or AUTO_ACTOR, **options)
    run = getattr(evaluation, "run", None)
    progress(1.0, "结果已保存")
    return {"rule": domain.rule, "run": run.pk if run is not None else None,
            "as_of": as_of.isoformat() if isinstance(as_of, dt.date) else None,
            "rulebook_version": getattr(getattr(evaluation, "rulebook", None), "version", None)}


def daily(intended: str | None = None) -> list[int]:
    """The daily schedule: every rule as of today, and the filings tick, keyed by (job, day)."""
    day = timezone.localdate()
    if intended:
        day = timezone.localdate(dt.datetime.fromisoformat(intended)) if "T" in intended or " " in intended \
            else dt.date.fromisoformat(intended)
    queued = []
    for domain in domains.all_domains():
        queued.append(enqueue("evaluate", args={"domain": domain.name, "trigger": "daily", "day": day.isoformat()},
                              label=f"{domain.label}（{domain.rule}）每日评估 {day}", actor=SCHEDULE_ACTOR,
                              subject=f"rule:{domain.rule}", period_key=f"evaluate:{domain.rule}:{day}").pk)
    if "tick" in registry.registered():
        queued.append(enqueue("tick", args={"day": day.isoformat()}, label=f"报备定时处理 {day}",
                              actor=SCHEDULE_ACTOR, period_key=f"tick:{day}").pk)
    return queued


DAILY = "getpower：每日评估与报备定时处理"
RECOVER = "getpower：中断任务巡检"


def ensure_schedules() -> None:
    """The worker's schedules (django-q2 ``Schedule`` rows), made once and kept."""
    # django-q2's models: only once Django is set up
    from django_q.models import Schedule

    hour, minute = (int(x) for x in settings.GETPOWER_DAILY_AT.split(":"))
    now = timezone.localtime()
    first = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if first <= now:
        first += dt.timedelta(days=1)
    Schedule.objects.get_or_create(name=DAILY, defaults={
        "func": "getpower.jobs.evaluations.daily", "schedule_type": Schedule.DAILY, "repeats": -1,
        "next_run": first, "intended_date_kwarg": "intended"})
    Schedule.objects.get_or_create(name=RECOVER, defaults={
        "func": "getpower.jobs.services.recover", "schedule_type": Schedule.MINUTES, "minutes": 1,
        "repeats": -1, "next_run": now + dt.timedelta(minutes=1)})


# -- freshness ----------------------------------------------------------------------------------------

def freshness(rules: list[str] | tuple[str, ...] | None = None) -> list[dict]:
    """Per rule: its latest stored run (when it was computed, as of when) and the evaluation or the
    import of a ledger it reads that is still queued or running. Two queries, whatever the rules."""
    wanted = [d for d in domains.all_domains() if not rules or d.rule in rules]
    codes = [d.rule for d in wanted]
    last_ids = EvaluationRun.objects.filter(rule__in=codes).values("rule").annotate(last=Max("id")).values("last")
    latest = {run.rule: run for run in EvaluationRun.objects.filter(id__in=Subquery(last_ids))}
    active = list(Job.objects.filter(status__in=ACTIVE, kind__in=(Job.Kind.EVALUATE, Job.Kind.IMPORT))
                  .order_by("created_at", "id").only("id", "kind", "status", "subject", "args", "created_at"))
    out = []
    for domain in wanted:
        run = latest.get(domain.rule)
        pending = next((j for j in active if j.kind == Job.Kind.EVALUATE and j.subject == f"rule:{domain.rule}"), None)
        importing = any(j.kind == Job.Kind.IMPORT and j.args.get("ledger") in domain.ledgers for j in active)
        out.append({"rule": domain.rule, "label": domain.label, "run": run,
                    "computed_at": run.started_at if run else None, "as_of": run.as_of if run else None,
                    "pending": pending, "importing": importing})
    return out


def freshness_context(rules, since: str | None = None) -> dict:
    """What ``jobs/_freshness.html`` shows: the rows, whether to poll, and whether the runs changed since
    the page was drawn (``since``: the run ids it showed)."""
    rows = freshness(rules)
    now = ",".join(str(r["run"].pk) if r["run"] else "" for r in rows)
    return {"rows": rows, "rules": ",".join(rules or ()), "since": since if since is not None else now,
            "polling": any(r["pending"] or r["importing"] for r in rows),
            "changed": since is not None and since != now}
