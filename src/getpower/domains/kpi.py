"""The KPI contract between the domains and the cockpit: what a KPI is (``Kpi``), what one area's
value is made of (``Measure``), the areas of the province (``Geography``) and what a month's
computation is given (``Context``).

A rule domain offers its KPIs in its declaration (``RuleDomain.kpis``); an app that is not a rule
domain (the filing centre) registers its own with ``register``. The cockpit reads ``offered()`` and
adds its composite score; it computes every KPI after each stored run (``signals.run_stored``),
never on a page view. ``docs/cockpit.md`` gives the formulas.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from django.db.models import Count, Max

from getpower.core.models import EvaluationRun, Organisation, Region, region_prefix

from .registry import all_domains

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
    cache: dict = field(default_factory=dict)  # what several KPIs of one computation share

    @property
    def is_current(self) -> bool:
        """The month has not ended yet: state-based KPIs are read as they stand now."""
        return self.month_stop > self.now


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
    stored_with: str | None = None  # a state KPI recomputed with this rule's runs (and recorded against them)

    @property
    def weight_key(self) -> str:
        return f"cockpit_weight_{self.code}"

    def format(self, value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:.{self.decimals}f}"


_EXTRA: dict[str, Kpi] = {}


def register(kpi: Kpi) -> Kpi:
    """A KPI offered by an app that is not a rule domain (called from its ``AppConfig.ready()``)."""
    _EXTRA[kpi.code] = kpi
    return kpi


def offered() -> tuple[Kpi, ...]:
    """Every KPI the domains offer: the rule domains' in rule order, then the others'."""
    return (*[k for d in all_domains() for k in d.kpis], *_EXTRA.values())
