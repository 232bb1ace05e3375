"""The cockpit's KPIs, declared once: code, Chinese label, unit, direction, how each is computed
for every area (province, prefecture, county, supply company) from one month's evaluation runs,
how it scores in the composite, and the list of findings behind each number.

Every computation is a handful of grouped queries over (county, company) that are rolled up in
Python: county → prefecture → province by the GB/T 2260 parent, and per company. A KPI's value is
never computed on a page view; ``services.recompute`` stores it as a ``KpiSnapshot`` after each
evaluation run. ``docs/cockpit.md`` gives the formulas and the choices behind them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from django.db.models import Count, Max, Q

from getpower.core.models import EvaluationRun, Organisation, Region, region_prefix

AreaKey = tuple[str, str]  # (level, code): ("province", "530000"), ("company", "PG-530102")
REGION_LEVELS = ("province", "prefecture", "county")


@dataclass(frozen=True)
class Measure:
    """One KPI of one area: the value and what it is made of."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    parts: dict = field(default_factory=dict)


EMPTY = Measure(None)


@dataclass(frozen=True)
class Area:
    level: str
    code: str
    name: str
    prefix: str = ""  # GB/T 2260 prefix of a region area ("53", "5301", "530102"); "" for a company
    parent: str = ""  # the region code of the area above (a company: the region it belongs to)


@dataclass
class Geography:
    """The areas of the province: regions from the reference data, companies from the ledger."""

    province: Area
    prefectures: dict[str, Area]
    counties: dict[str, Area]
    companies: dict[str, Area]  # by org_code
    company_codes: dict[int, str]  # organisation id → org_code

    @classmethod
    def load(cls) -> Geography:
        """The areas, kept for a minute per process under the organisations' count and last id (a
        ledger import that adds one shows at once, a rename within the minute)."""
        signature = Organisation.objects.aggregate(n=Count("id"), last=Max("id"))
        key = (signature["n"], signature["last"])
        kept = _GEOGRAPHY.get(key)
        if kept is None or time.monotonic() - kept[0] > 60:
            _GEOGRAPHY.clear()
            kept = _GEOGRAPHY[key] = (time.monotonic(), cls.read())
        return kept[1]

    @classmethod
    def read(cls) -> Geography:
        province, prefectures, counties = None, {}, {}
        for code, name, level, parent in Region.objects.filter(level__in=REGION_LEVELS).values_list(
                "code", "name", "level", "parent_id"):
            area = Area(level, code, name, region_prefix(code, level), parent or "")
            if level == "province":
                province = area
            elif level == "prefecture":
                prefectures[code] = area
            else:
                counties[code] = area
        if province is None:
            province = Area("province", "530000", "云南省", "53")
        companies, ids = {}, {}
        for pk, org_code, name, region in Organisation.objects.filter(kind=Organisation.Kind.SUPPLIER).values_list(
                "id", "org_code", "name", "region_id"):
            companies[org_code] = Area("company", org_code, name, "", region)
            ids[pk] = org_code
        return cls(province, prefectures, counties, companies, ids)

    def areas(self) -> list[Area]:
        return [self.province, *self.prefectures.values(), *self.counties.values(), *self.companies.values()]

    def region(self, code: str) -> Area | None:
        if code == self.province.code:
            return self.province
        return self.prefectures.get(code) or self.counties.get(code)

    def keys_of(self, county: str | None, company_id: int | None) -> list[AreaKey]:
        """Every area a row of this county and company counts towards."""
        keys: list[AreaKey] = []
        if county in self.counties:
            keys += [("county", county), ("prefecture", self.counties[county].parent), ("province", self.province.code)]
        elif county and county[:2] == self.province.prefix:
            keys.append(("province", self.province.code))
        if company_id in self.company_codes:
            keys.append(("company", self.company_codes[company_id]))
        return keys

    def roll_up(self, rows: Iterable[dict], fields: tuple[str, ...]) -> dict[AreaKey, dict[str, int]]:
        """Sum ``fields`` of grouped rows (with ``county_id`` and ``company_id``) into every area."""
        out: dict[AreaKey, dict[str, int]] = defaultdict(lambda: dict.fromkeys(fields, 0))
        for row in rows:
            for key in self.keys_of(row["county_id"], row["company_id"]):
                totals = out[key]
                for name in fields:
                    totals[name] += row[name] or 0
        return out


_GEOGRAPHY: dict[tuple, tuple[float, Geography]] = {}  # per process: (read at, areas) by organisations' signature


@dataclass
class Context:
    """What a month's computation needs: the runs behind it, the areas and the moment it is made."""

    month: str
    runs: dict[str, EvaluationRun | None]
    geo: Geography
    now: dt.datetime
    month_stop: dt.datetime  # the first instant of the next month (China time)
    _tq: dict[AreaKey, int] | None = None

    @property
    def is_current(self) -> bool:
        """The month has not ended yet: state-based KPIs are read as they stand now."""
        return self.month_stop > self.now

    def tq_counts(self) -> dict[AreaKey, int]:
        """台区 per area (grid ledger as it stands: the ledger keeps no history)."""
        if self._tq is None:
            from getpower.grid.models import Asset

            rows = Asset.objects.filter(asset_type=Asset.Type.TQ).values("county_id", "company_id").annotate(
                tq=Count("id")).order_by()
            self._tq = {key: totals["tq"] for key, totals in self.geo.roll_up(rows, ("tq",)).items()}
        return self._tq


# -- the computations --------------------------------------------------------------------------------

def on_time_rate(ctx: Context) -> dict[AreaKey, Measure]:
    """R2, the whole process (check ``total``): finished on time ÷ finished, in %.

    Late and overdue counts are the run's ``TimeLimitFinding`` rows of check ``total``; finished
    applications (applied and energised by the run's as-of time — exactly the ``total`` checks
    that are ok or late) are counted from the applications ledger, because the run summary has
    no per-county counts. ok = finished − late. The province figures equal ``summary["totals"]``.
    """
    from getpower.connections.models import Application, TimeLimitFinding

    run = ctx.runs.get("R2")
    if run is None:
        return {}
    late_rows = TimeLimitFinding.objects.filter(run=run, check_name="total", status__in=("late", "overdue")).values(
        "county_id", "company_id").annotate(late=Count("id", filter=Q(status="late")),
                                            overdue=Count("id", filter=Q(status="overdue"))).order_by()
    late = ctx.geo.roll_up(late_rows, ("late", "overdue"))
    finished_rows = Application.objects.filter(applied_at__lte=run.as_of, energized_at__lte=run.as_of).values(
        "county_id", "company_id").annotate(finished=Count("id")).order_by()
    finished = ctx.geo.roll_up(finished_rows, ("finished",))
    out = {}
    for key in set(late) | set(finished):
        n_late, n_overdue = late.get(key, {}).get("late", 0), late.get(key, {}).get("overdue", 0)
        n_finished = finished.get(key, {}).get("finished", 0)
        ok = n_finished - n_late
        out[key] = Measure(100.0 * ok / n_finished if n_finished else None, ok, n_finished,
                           {"late": n_late, "overdue": n_overdue})
    return out


def outage_rate(ctx: Context) -> dict[AreaKey, Measure]:
    """R3: frequent-outage breaches and warnings (lines and 台区) per 1,000 台区 of the area."""
    from getpower.outages.models import Finding

    run = ctx.runs.get("R3")
    if run is None:
        return {}
    rows = Finding.objects.filter(run=run).values("county_id", "company_id").annotate(
        breach=Count("id", filter=Q(status="breach")), warning=Count("id", filter=Q(status="warning"))).order_by()
    found = ctx.geo.roll_up(rows, ("breach", "warning"))
    tq = ctx.tq_counts()
    out = {}
    for key in set(found) | set(tq):
        counts = found.get(key, {"breach": 0, "warning": 0})
        flagged, units = counts["breach"] + counts["warning"], tq.get(key, 0)
        out[key] = Measure(1000.0 * flagged / units if units else None, flagged, units, dict(counts))
    return out


def open_items(ctx: Context):
    """The governance items (闭环销号) not closed: as they stand now while the month runs; at the
    month's end for a past month (replayed from the event log, as the 动态清零 chart does)."""
    from getpower.outages.models import GovernanceEvent, GovernanceItem

    if ctx.is_current:
        return GovernanceItem.objects.exclude(status=GovernanceItem.Status.CLOSED)
    state: dict[int, str] = {}
    for item_id, status in GovernanceEvent.objects.filter(at__lt=ctx.month_stop).order_by("at", "id").values_list(
            "item_id", "to_status"):
        state[item_id] = status
    return GovernanceItem.objects.filter(pk__in=[pk for pk, s in state.items() if s != GovernanceItem.Status.CLOSED])


def open_governance(ctx: Context) -> dict[AreaKey, Measure]:
    """Open governance items per area (``open_items``); the denominator is the area's 台区."""
    rows = open_items(ctx).values("county_id", "company_id").annotate(n=Count("id")).order_by()
    found = ctx.geo.roll_up(rows, ("n",))
    tq = ctx.tq_counts()
    return {key: Measure(float(found.get(key, {}).get("n", 0)), found.get(key, {}).get("n", 0), tq.get(key, 0))
            for key in {(a.level, a.code) for a in ctx.geo.areas()}}


def arrears_violations(ctx: Context) -> dict[AreaKey, Measure]:
    """R4: arrears-disconnection cases with at least one violation (of the cases checked)."""
    from getpower.arrears.models import ArrearsFinding

    run = ctx.runs.get("R4")
    if run is None:
        return {}
    rows = ArrearsFinding.objects.filter(run=run).values("county_id", "company_id").annotate(
        cases=Count("case_id", distinct=True),
        violating=Count("case_id", distinct=True, filter=Q(status="violation"))).order_by()
    found = ctx.geo.roll_up(rows, ("cases", "violating"))
    return {key: Measure(float(found.get(key, {}).get("violating", 0)), found.get(key, {}).get("violating", 0),
                         found.get(key, {}).get("cases", 0))
            for key in {(a.level, a.code) for a in ctx.geo.areas()}}


def filings_rate(ctx: Context) -> dict[AreaKey, Measure]:
    """Filings (报备, R5) handed in on time, in %, per region area, from the filings app when it is installed.

    The contract with ``getpower.filings``: ``getpower.filings.kpis.on_time_counts(month="YYYY-MM")``
    gives, per county, the filings due in the month (``due``) and those handed in on time
    (``on_time``): ``[{"county_id", "due", "on_time"}]``; summed here into every region whose code
    prefix the county (or the filer's prefecture or province) has. An area
    where nothing was due has no value; companies have none yet."""
    try:
        from getpower.filings import kpis as filings_kpis  # type: ignore[attr-defined]
    except ImportError:
        return {}
    counts = getattr(filings_kpis, "on_time_counts", None)
    if counts is None:
        return {}
    rows = counts(month=ctx.month)
    out = {}
    for area in ctx.geo.areas():
        if area.level not in REGION_LEVELS:
            continue
        # by GB/T 2260 prefix: a filer's region may be a prefecture or the province itself
        inside = [r for r in rows if r["county_id"].startswith(area.prefix)]
        due = sum(r["due"] for r in inside)
        if due:
            out[(area.level, area.code)] = Measure(round(100 * sum(r["on_time"] for r in inside) / due, 1))
    return out


# -- scoring ------------------------------------------------------------------------------------------

def percent_basis(m: Measure) -> float | None:
    return m.value


def compliant_share(m: Measure) -> float | None:
    """Arrears: the share of checked cases without a violation, in %."""
    return 100.0 * (1 - m.numerator / m.denominator) if m.denominator else None


def per_thousand_tq(m: Measure) -> float | None:
    return 1000.0 * m.numerator / m.denominator if m.denominator and m.numerator is not None else None


# -- the lists behind the numbers ---------------------------------------------------------------------

def area_filter(level: str, code: str) -> dict[str, str]:
    return {"province": {}, "prefecture": {"prefecture": code}, "county": {"county": code},
            "company": {"company": code}}[level]


def link(path: str, **params) -> str:
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items() if v not in (None, ""))
    return f"{path}?{query}" if query else path


def late_list(level: str, code: str, runs: dict, part: str | None = None) -> str:
    return link("/connections/late/", status=part or "late", run=runs.get("R2"), **area_filter(level, code))


def findings_list(level: str, code: str, runs: dict, part: str | None = None) -> str:
    return link("/outages/findings/", status=part, run=runs.get("R3"), **area_filter(level, code))


def governance_list(level: str, code: str, runs: dict, part: str | None = None) -> str:
    return link("/outages/governance/", status="open", **area_filter(level, code))


def arrears_list(level: str, code: str, runs: dict, part: str | None = None) -> str:
    return link("/arrears/", view="violations", run=runs.get("R4"), **area_filter(level, code))


# -- the registry -------------------------------------------------------------------------------------

ListUrl = Callable[[str, str, dict, str | None], str]


@dataclass(frozen=True)
class Kpi:
    code: str
    label: str
    unit: str
    higher_is_better: bool
    decimals: int
    formula: str  # how it is computed, in Chinese (cards, report, docs)
    rule: str | None  # the evaluation whose run it is computed from; None: state, other apps, or the KPIs
    compute: Callable[[Context], dict[AreaKey, Measure]] | None
    score_basis: Callable[[Measure], float | None] | None = None
    relative: bool = False  # the score compares the basis with the worst area of the same level
    list_url: ListUrl | None = None
    parts: tuple[tuple[str, str], ...] = ()  # (part, label) shown with their own lists

    @property
    def weight_key(self) -> str:
        return f"cockpit_weight_{self.code}"

    def format(self, value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:.{self.decimals}f}"


KPIS: tuple[Kpi, ...] = (
    Kpi("on_time_rate", "报装按时办结率", "%", True, 1,
        "全过程按时办结件数 ÷ 已办结件数（规则 R2，全过程时限）", "R2", on_time_rate, percent_basis,
        list_url=late_list, parts=(("late", "超时办结"), ("overdue", "已超期未办结"))),
    Kpi("outage_per_1000_tq", "频繁停电及预警（每千台区）", "个/千台区", False, 1,
        "频繁停电与预警的线路、台区数 ÷ 台区数 × 1000（规则 R3）", "R3", outage_rate, per_thousand_tq, relative=True,
        list_url=findings_list, parts=(("breach", "频繁停电"), ("warning", "预警"))),
    Kpi("open_governance", "未销号治理事项", "项", False, 0,
        "尚未销号的频繁停电治理事项数（往月为月末时点数）", None, open_governance, per_thousand_tq, relative=True,
        list_url=governance_list),
    Kpi("arrears_violations", "欠费停电违规案件", "件", False, 0,
        "至少有一项检查违规的居民小区欠费停电案件数（规则 R4）", "R4", arrears_violations, compliant_share,
        list_url=arrears_list),
    Kpi("filings_on_time", "报备及时率", "%", True, 1,
        "按期报备件数 ÷ 应报备件数（规则 R5，由报备模块提供）", None, filings_rate, percent_basis),
    Kpi("composite", "综合评分", "分", True, 1,
        "各指标得分按规则参数权重加权平均（见 docs/cockpit.md）", None, None),
)
BY_CODE = {k.code: k for k in KPIS}
SCORED = tuple(k for k in KPIS if k.score_basis is not None)
COMPOSITE = BY_CODE["composite"]


def composite(measures: dict[str, dict[AreaKey, Measure]], weights: dict[str, float],
              geo: Geography) -> dict[AreaKey, Measure]:
    """The composite score (0–100, higher is better) of every area from the other KPIs.

    Each KPI scores 0–100: a percentage as it is (on-time rates; arrears: the share of checked
    cases without a violation); a per-1,000-台区 figure as 100 × (1 − x ÷ the worst x among the
    areas of the same level). The score is the weighted mean over the KPIs the area has a value
    for (weights: the rulebook's ``cockpit_weight_*``). The province: the mean of its prefectures.
    """
    bases: dict[str, dict[AreaKey, float]] = {}
    worst: dict[tuple[str, str], float] = defaultdict(float)  # (kpi, level) → the largest basis
    for kpi in SCORED:
        bases[kpi.code] = {}
        for key, m in measures.get(kpi.code, {}).items():
            basis = kpi.score_basis(m)
            if basis is not None:
                bases[kpi.code][key] = basis
                worst[(kpi.code, key[0])] = max(worst[(kpi.code, key[0])], basis)
    out: dict[AreaKey, Measure] = {}
    for area in geo.areas():
        if area.level == "province":
            continue
        key = (area.level, area.code)
        scores, total_weight, total = {}, 0.0, 0.0
        for kpi in SCORED:
            basis, weight = bases[kpi.code].get(key), float(weights.get(kpi.code, 0))
            if basis is None or weight <= 0:
                continue
            if kpi.relative:
                top = worst[(kpi.code, area.level)]
                score = 100.0 * (1 - basis / top) if top > 0 else 100.0
            else:
                score = basis
            score = min(100.0, max(0.0, score))
            scores[kpi.code] = round(score, 2)
            total_weight += weight
            total += weight * score
        if total_weight:
            out[key] = Measure(total / total_weight, parts={"scores": scores})
    prefecture_scores = [m.value for (level, _), m in out.items() if level == "prefecture" and m.value is not None]
    if prefecture_scores:
        out[("province", geo.province.code)] = Measure(sum(prefecture_scores) / len(prefecture_scores),
                                                        parts={"prefectures": len(prefecture_scores)})
    return out


def weights_from(values: dict) -> dict[str, float]:
    """The composite weights of a rulebook version's values (missing keys: their defaults)."""
    from getpower.rulebook.parameters import BY_KEY

    return {k.code: float(values.get(k.weight_key, BY_KEY[k.weight_key].default)) for k in SCORED}
