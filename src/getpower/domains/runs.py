"""Evaluation-run bookkeeping, the same for every rule domain.

A domain's ``store_run`` calls ``record`` for the run row, writes its findings, then ``stored``,
which sends ``signals.run_stored`` inside the same transaction (the cockpit's snapshot is part of
the run: a run is never visible without it); ``finish`` writes the duration once ``evaluate`` returns.
"""

from __future__ import annotations

import datetime as dt

from getpower.core.models import EvaluationRun

from .signals import run_stored


def record(rule: str, *, as_of: dt.datetime, rulebook, engine: str, actor: str, summary: dict,
           provisional: bool = False) -> EvaluationRun:
    """The run row of an evaluation being stored (``rulebook``: the version it used)."""
    return EvaluationRun.objects.create(rule=rule, as_of=as_of, rulebook_version=rulebook.version, engine=engine,
                                        actor=actor, provisional=provisional, summary=summary)


def stored(run: EvaluationRun) -> None:
    """The run and its findings are written: tell the subscribers (inside the run's transaction)."""
    run_stored.send(sender=run.rule, run=run)


def finish(run: EvaluationRun | None, seconds: float) -> None:
    if run is not None:
        run.duration_seconds = seconds
        EvaluationRun.objects.filter(pk=run.pk).update(duration_seconds=seconds)


def latest(rule: str, *, as_of_date: dt.date | None = None) -> EvaluationRun | None:
    """The latest stored run of a rule (optionally of runs as of one day)."""
    qs = EvaluationRun.objects.filter(rule=rule)
    if as_of_date is not None:
        qs = qs.filter(as_of__date=as_of_date)
    return qs.order_by("-started_at", "-id").first()
