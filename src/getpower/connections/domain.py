"""The connection time-limit rule domain (R2), declared once for the platform (``getpower.domains``)."""

from __future__ import annotations

import datetime as dt

from getpower.domains.registry import Output, RuleDomain

from .kpis import ON_TIME_RATE
from .services import evaluate as evaluate_r2

COLUMNS = ("app_id", "user_class", "check", "elapsed_workdays", "limit_workdays", "status")


def evaluate(*, as_of: dt.datetime, engine: str = "duckdb", store: bool = True, actor: str = "system"):
    return evaluate_r2(as_of, engine=engine, store=store, actor=actor)


def output(evaluation, fmt: str, options: dict) -> Output:
    """One row per started stage and one ``total`` row per application."""
    warnings = (("provisional", "评估涉及尚未载入节假日安排的年份，结果为暂定"),) if evaluation.provisional else ()
    return Output(COLUMNS, evaluation.result.checks.to_pylist(), f"用电报装时限评估（{evaluation.as_of}）",
                  {"provisional": evaluation.provisional}, warnings)


def declaration() -> RuleDomain:
    return RuleDomain(
        name="time-limits", rule="R2", label="用电报装时限",
        description="每个已开始的环节一行，每个申请一行 total", ledgers=("applications", "application_pauses"),
        evaluate=evaluate, output=output, as_of="time", kpis=(ON_TIME_RATE,), findings_url="/connections/late/")
