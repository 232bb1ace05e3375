"""KPI snapshots: computed after every evaluation run (never on a page view) and read back.

``snapshot_after_run`` subscribes to ``getpower.domains.signals.run_stored`` (sent at the end of every
rule domain's ``store_run``, inside its transaction; connected in ``CockpitConfig.ready``): it
recomputes the KPIs of the run's month (China time) for every area, from the month's runs — per
rule the run with the latest as-of time in the month (ties: the latest started). ``recompute``
does a whole month; ``ensure_fresh`` lets a page check in a few small queries that a month's
snapshots still match its runs, the governance items and the rulebook (governance items change
between runs; runs stored before this app existed have no snapshots yet) and recompute if not.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from getpower.core.models import EvaluationRun
from getpower.domains import registry
from getpower.outages.models import GovernanceItem
from getpower.rulebook.models import RulebookVersion
from getpower.rulebook.services import rulebook_at

from . import kpis
from .kpis import AreaKey, Context, Geography, Measure, all_kpis
from .models import KpiSnapshot, MonthState

logger = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")
_refresh_lock = threading.Lock()


class MonthError(ValueError):
    pass


def now() -> dt.datetime:
    """The present (one place, so that tests can move it)."""
    return timezone.now()


# -- months ----------------------------------------------------------------------------------------

def parse_month(text: str) -> str:
    match = MONTH_PATTERN.fullmatch((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise MonthError(f"月份“{text}”格式应为 YYYY-MM")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def month_of(moment: dt.datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of the next month) in China time."""
    year, number = int(month[:4]), int(month[5:7])
    start = dt.datetime(year, number, 1, tzinfo=CHINA)
    stop = dt.datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=CHINA)
    return start, stop


def shift_month(month: str, delta: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def last_day(month: str) -> dt.date:
    return month_bounds(month)[1].date() - dt.timedelta(days=1)


def month_run_ids(month: str) -> dict[str, int | None]:
    """Per rule, the run behind the month: the latest as-of time inside it, then the latest started
    (one LIMIT 1 query per rule: arrears refreshes may store many runs in a month)."""
    start, stop = month_bounds(month)
    return {rule: EvaluationRun.objects.filter(rule=rule, as_of__gte=start, as_of__lt=stop)
            .order_by("-as_of", "-started_at", "-id").values_list("id", flat=True).first() for rule in registry.rules()}


def month_runs(month: str) -> dict[str, EvaluationRun | None]:
    ids = month_run_ids(month)
    runs = EvaluationRun.objects.in_bulk([pk for pk in ids.values() if pk])
    return {rule: runs.get(pk) for rule, pk in ids.items()}


def state_runs(state: MonthState | None) -> dict[str, EvaluationRun | None]:
    """The runs a month's snapshots were computed from (one query)."""
    ids = dict(state.runs) if state else {}
    found = EvaluationRun.objects.in_bulk([i for i in ids.values() if i])
    return {rule: found.get(ids.get(rule)) for rule in registry.rules()}


def run_months() -> list[str]:
    """Every month that has an evaluation run, oldest first."""
    moments = (EvaluationRun.objects.filter(rule__in=registry.rules()).annotate(m=TruncMonth("as_of", tzinfo=CHINA))
               .values_list("m", flat=True).distinct())
    return sorted({month_of(m) if isinstance(m, dt.datetime) else m.strftime("%Y-%m") for m in moments if m})


def is_current(month: str) -> bool:
    return month_bounds(month)[1] > now()


# -- computing -----------------------------------------------------------------------------------

def state_stamp(month: str) -> str:
    """What besides the runs the month's snapshots depend on: the rulebook version in force at the
    month's end (composite weights) and, while the month runs, the governance items."""
    version = (RulebookVersion.objects.filter(effective_from__lte=last_day(month))
               .order_by("-effective_from", "-number").values_list("number", flat=True).first())
    stamp = f"rb{version or 0}"
    if is_current(month):
        g = GovernanceItem.objects.aggregate(n=Count("id"), open=Count("id", filter=~Q(status="closed")),
                                             at=Max("updated_at"))
        stamp += f"|gov{g['n']}/{g['open']}/{g['at'].isoformat() if g['at'] else ''}"
    return stamp


def _rows(month: str, kpi: str, measures: dict[AreaKey, Measure], geo: Geography, runs: dict,
          at: dt.datetime) -> list[KpiSnapshot]:
    return [KpiSnapshot(month=month, area_level=area.level, area_code=area.code, kpi=kpi,
                        value=None if m.value is None else round(m.value, 6), numerator=m.numerator,
                        denominator=m.denominator, parts=m.parts, computed_at=at, runs=runs)
            for area in geo.areas() for m in [measures.get((area.level, area.code), kpis.EMPTY)]]


def _write(month: str, kpi: str, rows: list[KpiSnapshot]) -> None:
    """Upsert by (month, area_level, area_code, kpi); drop rows of areas that are gone."""
    KpiSnapshot.objects.bulk_create(
        rows, batch_size=2000, update_conflicts=True, unique_fields=["month", "area_level", "area_code", "kpi"],
        update_fields=["value", "numerator", "denominator", "parts", "computed_at", "runs"])
    keep = {(r.area_level, r.area_code) for r in rows}
    stale = [pk for pk, level, code in KpiSnapshot.objects.filter(month=month, kpi=kpi).values_list(
        "id", "area_level", "area_code") if (level, code) not in keep]
    if stale:
        KpiSnapshot.objects.filter(pk__in=stale).delete()


def _stored(month: str, kpi: str) -> dict[AreaKey, Measure]:
    return {(level, code): Measure(value, numerator, denominator, parts)
            for level, code, value, numerator, denominator, parts in KpiSnapshot.objects.filter(
                month=month, kpi=kpi).values_list("area_level", "area_code", "value", "numerator", "denominator",
                                                  "parts")}


@transaction.atomic
def recompute(month: str, *, rules: set[str] | None = None) -> MonthState:
    """Recompute and store the month's KPIs for every area. With ``rules``, only the KPIs of those
    rules' runs plus the state-based ones and the composite (the others keep their snapshots)."""
    month = parse_month(month)
    runs = month_runs(month)
    run_ids = {rule: (run.pk if run else None) for rule, run in runs.items()}
    geo = Geography.read()  # not the page cache: a new company counts at once
    at = timezone.now()  # when it was computed (``now()`` is the present the KPIs are read at)
    ctx = Context(month=month, runs=runs, geo=geo, now=now(), month_stop=month_bounds(month)[1])
    measures: dict[str, dict[AreaKey, Measure]] = {}
    for kpi in all_kpis():
        if kpi.compute is None:
            continue
        if rules is not None and kpi.rule is not None and kpi.rule not in rules:
            measures[kpi.code] = _stored(month, kpi.code)
            continue
        measures[kpi.code] = kpi.compute(ctx)
        rule = kpi.rule or kpi.stored_with
        behind = {rule: run_ids.get(rule)} if rule else {}
        _write(month, kpi.code, _rows(month, kpi.code, measures[kpi.code], geo, behind, at))
    weights = kpis.weights_from(rulebook_at(last_day(month)).values)
    scores = kpis.composite(measures, weights, geo)
    _write(month, kpis.COMPOSITE.code, _rows(month, kpis.COMPOSITE.code, scores, geo,
                                             {r: i for r, i in run_ids.items() if i}, at))
    state, _ = MonthState.objects.update_or_create(month=month, defaults={
        "runs": run_ids, "stamp": state_stamp(month), "computed_at": at})
    return state


def snapshot_after_run(sender=None, *, run: EvaluationRun, **kwargs) -> None:
    """The subscriber to ``run_stored`` (every rule's ``store_run``): refresh the KPIs of the run's month.

    Runs inside the evaluation's transaction, in a savepoint of its own: a failure here is logged
    and leaves the month to be recomputed by the next page view, it never loses the run."""
    month = month_of(run.as_of)
    try:
        with transaction.atomic():
            state = MonthState.objects.filter(month=month).first()
            expected = month_run_ids(month)
            others_current = state is not None and all(
                state.runs.get(rule) == expected[rule] for rule in registry.rules() if rule != run.rule)
            recompute(month, rules={run.rule} if others_current else None)
    except Exception:
        logger.exception("cockpit: KPI snapshot after run %s (%s) failed; month %s left stale", run.pk, run.rule,
                         month)


def ensure_fresh(month: str) -> MonthState | None:
    """Make sure the month's snapshots match its runs, governance items and rulebook; recompute if
    not. Returns None for a month without any run."""
    state = MonthState.objects.filter(month=month).first()
    expected = month_run_ids(month)
    if state is None and not any(expected.values()):
        return None
    if state is not None and state.runs == expected and state.stamp == state_stamp(month):
        return state
    with _refresh_lock:  # one recomputation at a time in this process; the others then find it done
        state = MonthState.objects.filter(month=month).first()
        if state is not None and state.runs == expected and state.stamp == state_stamp(month):
            return state
        changed_runs = state is None or state.runs != expected
        return recompute(month, rules=None if changed_runs else set())


def ensure_months() -> list[str]:
    """Every month with runs, each with its snapshots (months never computed are computed now)."""
    months = run_months()
    done = set(MonthState.objects.values_list("month", flat=True))
    for month in months:
        if month not in done:
            ensure_fresh(month)
    return months


_checked_at: dict[str, float] = {}  # what was checked (a month, or "months") → when, in this process


def checked_recently(what: str, seconds: float) -> bool:
    """True when ``what`` was checked in this process less than ``seconds`` ago; else notes a check."""
    now_s = time.monotonic()
    if seconds and now_s - _checked_at.get(what, -1e9) < seconds:
        return True
    _checked_at[what] = now_s
    return False


def page_months(recheck_seconds: float = 0.0) -> list[str]:
    """``ensure_months`` for pages: its checks at most every ``recheck_seconds`` per process."""
    if checked_recently("months", recheck_seconds):
        return list(MonthState.objects.values_list("month", flat=True))
    return ensure_months()


def page_state(month: str, recheck_seconds: float = 0.0) -> MonthState | None:
    """``ensure_fresh`` for pages: its checks (runs, governance, rulebook) at most every
    ``recheck_seconds`` per process; the state itself is always read (snapshots written after a run
    are seen at once: the hook updates it)."""
    if checked_recently(month, recheck_seconds):
        return MonthState.objects.filter(month=month).first()
    return ensure_fresh(month)


# -- reading ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Snap:
    """A stored KPI as the pages read it (plain values: a page reads a thousand of them)."""

    value: float | None
    numerator: float | None
    denominator: float | None
    parts: dict | None = None


def snapshots(month: str, keys: list[AreaKey], kpis: list[str] | None = None, *,
              parts: bool = False) -> dict[AreaKey, dict[str, Snap]]:
    """The stored KPIs of some areas in a month: {(level, code): {kpi: snapshot}}; ``parts`` also
    reads what each number is made of (the cards need it, the rankings do not)."""
    out: dict[AreaKey, dict[str, Snap]] = {key: {} for key in keys}
    if not keys:
        return out
    by_level: dict[str, list[str]] = {}
    for level, code in keys:
        by_level.setdefault(level, []).append(code)
    condition = Q()
    for level, codes in by_level.items():
        condition |= Q(area_level=level, area_code__in=codes)
    qs = KpiSnapshot.objects.filter(condition, month=month)
    if kpis is not None:
        qs = qs.filter(kpi__in=kpis)
    fields = ["area_level", "area_code", "kpi", "value", "numerator", "denominator"] + (["parts"] if parts else [])
    for level, code, kpi, *values in qs.values_list(*fields):
        out.setdefault((level, code), {})[kpi] = Snap(*values)
    return out


def trend(level: str, code: str, kpi: str) -> list[tuple[str, float | None]]:
    return list(KpiSnapshot.objects.filter(area_level=level, area_code=code, kpi=kpi).order_by("month")
                .values_list("month", "value"))
