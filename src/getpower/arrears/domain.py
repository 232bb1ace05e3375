"""The arrears-disconnection rule domain (R4), declared once for the platform (``getpower.domains``)."""

from __future__ import annotations

import datetime as dt

from getpower.domains.registry import Output, RuleDomain

from .kpis import ARREARS_VIOLATIONS
from .services import evaluate as evaluate_r4

COLUMNS = ("case_id", "check", "status")


def evaluate(*, as_of: dt.datetime, engine: str = "duckdb", store: bool = True, actor: str = "system"):
    return evaluate_r4(as_of, engine=engine, store=store, actor=actor)


def output(evaluation, fmt: str, options: dict) -> Output:
    """One row per case and check; cancelled cases are not listed."""
    return Output(COLUMNS, evaluation.findings.to_pylist(), f"欠费停电评估（{evaluation.as_of}）")


def declaration() -> RuleDomain:
    return RuleDomain(
        name="arrears", rule="R4", label="居民小区欠费停电",
        description="每个案件每项检查一行；已取消的案件不列出", ledgers=("arrears_cases",), evaluate=evaluate,
        output=output, as_of="time", kpis=(ARREARS_VIOLATIONS,), findings_url="/arrears/?view=violations")
