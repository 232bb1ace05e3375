"""The rule-domain registry: one ``RuleDomain`` per rule, registered by its app in ``AppConfig.ready()``.

A declaration says what the rest of the platform needs to know of a rule:

- its command word (``getpower evaluate <name>``), rule code and Chinese label;
- the ledgers it reads (an import of one of them queues its re-evaluation);
- its evaluation, ``evaluate(*, as_of, engine, store, actor, **options)`` on the portable engine,
  which returns an evaluation object with ``run`` (the stored ``EvaluationRun`` or ``None``) and
  ``rulebook`` (the version it used) — storing the run and its findings is the domain's own;
- its result table for the command line (``output``: the ``cli.md`` CSV columns and rows);
- how ``--as-of`` reads (a day, a time, or not at all) and its own options;
- the KPIs it offers the cockpit and whether its findings open governance items (闭环销号);
- the page that lists its findings.

Its rulebook parameters are those declared for its rule in ``rulebook.parameters``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from getpower.rulebook.parameters import PARAMETERS

CHINA = ZoneInfo("Asia/Shanghai")


class DomainError(LookupError):
    pass


@dataclass(frozen=True)
class Option:
    """An option of a domain's ``evaluate`` command beyond ``--as-of``, ``--format`` and ``--engine``.

    ``parse`` turns the text into the value passed to ``evaluate`` as ``dest``, or raises
    ``ValueError`` with a Chinese reason (the command exits 2)."""

    name: str  # "--period"
    dest: str  # "period"
    help: str
    parse: Callable[[str], Any] = str
    default: Any = None
    required: bool = False
    flag: bool = False  # a switch: present → True


@dataclass(frozen=True)
class Output:
    """What a command prints: the columns in order, one dict per row, a title and extra metadata."""

    columns: tuple[str, ...]
    rows: list[dict]
    title: str
    meta: dict = field(default_factory=dict)
    warnings: tuple[tuple[str, str], ...] = ()  # (code, Chinese text) written to standard error


@dataclass(frozen=True)
class RuleDomain:
    name: str  # the command word: "frequent-outages"
    rule: str  # "R3"
    label: str  # "频繁停电"
    description: str  # one line in Chinese: what a row of its result is (the command's help)
    ledgers: tuple[str, ...]  # the ledgers it reads
    evaluate: Callable[..., Any]
    output: Callable[[Any, str, dict], Output]  # (evaluation, format, options) → Output
    as_of: str = "time"  # "day": --as-of DAY (the end of that day); "time": a date or a time; "none"
    as_of_required: bool = True
    options: tuple[Option, ...] = ()
    detail_for_json: bool = False  # JSON output asks ``evaluate(detail=True)`` for what it adds
    kpis: tuple[Any, ...] = ()  # cockpit KPI declarations (``getpower.domains.kpi.Kpi``)
    opens_governance: bool = False
    findings_url: str = ""  # the page listing its findings
    auto: Callable[[dt.datetime], dict] | None = None  # the options of an automatic run at a moment

    @property
    def parameters(self) -> tuple:
        """Its rulebook parameters (declared once in ``rulebook.parameters``)."""
        return tuple(p for p in PARAMETERS if p.rule == self.rule)

    def automatic_options(self, moment: dt.datetime) -> dict:
        """The options of an evaluation made by the platform itself at ``moment`` (after an import,
        or the daily schedule): as of that day (``day``) or that instant (``time``)."""
        if self.auto is not None:
            return self.auto(moment)
        if self.as_of == "day":
            return {"as_of": moment.astimezone(CHINA).date()}
        if self.as_of == "time":
            return {"as_of": moment}
        return {}


_DOMAINS: dict[str, RuleDomain] = {}


def register(domain: RuleDomain) -> RuleDomain:
    """Called from the domain app's ``AppConfig.ready()``; registering the same name again replaces it."""
    other = next((d for d in _DOMAINS.values() if d.rule == domain.rule and d.name != domain.name), None)
    if other is not None:
        raise DomainError(f"rule {domain.rule} is already declared as {other.name}")
    _DOMAINS[domain.name] = domain
    return domain


def get(name: str) -> RuleDomain:
    try:
        return _DOMAINS[name]
    except KeyError:
        raise DomainError(f"未知的规则“{name}”，可选：{', '.join(_DOMAINS)}") from None


def by_rule(rule: str) -> RuleDomain:
    for domain in _DOMAINS.values():
        if domain.rule == rule:
            return domain
    raise DomainError(f"未知的规则编号“{rule}”")


def all_domains() -> list[RuleDomain]:
    """Every registered domain, in rule order (R2, R3, …)."""
    return sorted(_DOMAINS.values(), key=lambda d: (len(d.rule), d.rule))


def reading(ledger: str) -> list[RuleDomain]:
    """The domains whose findings depend on ``ledger``."""
    return [d for d in all_domains() if ledger in d.ledgers]


def rules() -> tuple[str, ...]:
    return tuple(d.rule for d in all_domains())
