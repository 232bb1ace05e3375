"""Deterministic synthetic outages (停电事件) for the synthetic province: a realistic year of the
outages ledger, from 1 January up to a given day, for the lines and 台区 of ``generate_assets``.

What makes it realistic (and exercises every branch of rules R3):

- faults follow Yunnan's seasons: few in the dry season, many in the rainy season (June–September,
  peaking July–August), clustered on regional storm days (thunderstorm afternoons and evenings);
- storm days come with meteorological warnings (numbered per issuer, issued in the morning), which
  some faults cite as a natural-disaster exclusion — most with full evidence, some with a missing
  reference, issuer or level, some citing a township-level notice (rejected);
- external damage (外力破坏) with its description, and some claims with no description (rejected);
- planned maintenance (计划检修) on working days between 08:00 and 18:00 (2–8 h), mostly in
  spring and autumn; temporary maintenance; rare load shedding (限电) in the dry season (March–May);
- supply-assurance (保供电) and operating-mode (方式调整) switching, mostly ≤ 30 min (exactly 30:00
  too), some 31–40 min (rejected by the rule);
- short interruptions ≤ 3 min (exactly 3:00 too) and some just over;
- line outages that cut every 台区 of the line and some that list a segment's 台区 only; 台区
  outages of their own; some line trips also recorded on one of their 台区 (overlapping times);
- ~2 % weak lines and ~3 % weak 台区 that trip often (frequent-outage breaches), and a few more
  somewhat weak ones (warnings);
- a few outages still going on at the end of the last day (no end time).

Pure Python with one ``random.Random`` per concern; the same seed gives the same rows.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from getpower.core.reference import read_regions
from getpower.workdays.shipped import shipped_calendar

from .province import county_short, generate_assets, prefecture_short, to_csv

OUTAGE_COLUMNS = ["event_id", "company", "asset_type", "asset_id", "start_time", "end_time", "kind", "cause",
                  "exclusion", "warning_ref", "warning_issuer", "warning_level", "warning_time", "affected_tq",
                  "users_affected"]
DEMO_AS_OF = datetime.date(2026, 11, 25)

# relative weight of a day, by month
FAULT_MONTH = {1: .5, 2: .5, 3: .6, 4: .7, 5: 1.0, 6: 1.8, 7: 2.6, 8: 2.5, 9: 1.7, 10: 1.0, 11: .6, 12: .5}
STORM_PROBABILITY = {1: .01, 2: .01, 3: .02, 4: .03, 5: .07, 6: .18, 7: .28, 8: .28, 9: .18, 10: .07, 11: .02,
                     12: .01}
STORM_BOOST = 6.0  # a storm day in the prefecture is this many times likelier to see a fault
PLANNED_MONTH = {1: .6, 2: .3, 3: 2.0, 4: 2.4, 5: 1.6, 6: .4, 7: .2, 8: .2, 9: .6, 10: 1.8, 11: 2.0, 12: 1.0}
SWITCHING_MONTH = {1: 1.4, 2: 1.4, 3: 1.0, 4: .9, 5: 1.0, 6: 1.3, 7: .9, 8: .9, 9: 1.0, 10: 1.3, 11: 1.0, 12: 1.1}
EXTERNAL_MONTH = {1: .8, 2: .7, 3: 1.3, 4: 1.3, 5: 1.2, 6: 1.0, 7: .9, 8: .9, 9: 1.0, 10: 1.1, 11: 1.2, 12: 1.0}
RAINY = (5, 6, 7, 8, 9, 10)
SHEDDING_MONTHS = (3, 4, 5)

# records per unit per full year, by category
LINE_RATES = {"fault": 0.9, "short": 6.5, "over_short": 0.15, "external": 0.35, "planned": 0.35, "temporary": 0.2,
              "switching": 2.0}
TQ_RATES = {"fault": 0.25, "short": 0.3, "over_short": 0.02, "external": 0.07, "planned": 0.1, "temporary": 0.06,
            "switching": 0.2}
WEAK_LINE_SHARE, WEAK_LINE_EXTRA = 0.02, 9.0
WEAK_TQ_SHARE, WEAK_TQ_EXTRA = 0.03, 6.0
FRAIL_LINE_SHARE, FRAIL_LINE_EXTRA = 0.04, 2.0  # somewhat weak: mostly warnings
FRAIL_TQ_SHARE, FRAIL_TQ_EXTRA = 0.05, 1.5
SHEDDING_LINE_SHARE, SHEDDING_RATE = 0.04, 1.5
DISASTER_CLAIM_SHARE = 0.55  # of the faults on a storm day
OVERLAP_SHARE = 0.06  # of line faults also recorded on one of their 台区
SUBSET_SHARE = {"planned": 0.6, "temporary": 0.4, "fault": 0.25, "external": 0.3}

# hour weights (0–23), kept cumulative: thunderstorm afternoons and evenings; other faults spread
# over the day with an afternoon bump
STORM_HOURS = list(itertools.accumulate([0] * 12 + [1, 2, 3, 4, 5, 5, 4, 3, 2, 1.5, 1, .6]))
FAULT_HOURS = list(itertools.accumulate([.5, .4, .4, .4, .4, .5, .8, 1, 1.1, 1.1, 1.1, 1.1, 1.2, 1.3, 1.5, 1.6, 1.6,
                                         1.5, 1.5, 1.4, 1.2, 1, .8, .6]))

STORM_KINDS_RAINY = ("暴雨", "雷电", "强对流", "地质灾害气象风险")
STORM_KINDS_DRY = ("大风", "森林火险", "低温凝冻")
COLOURS = ("蓝", "黄", "黄", "橙", "橙", "红")
DISASTER_EFFECTS = {
    "暴雨": ("暴雨引发山体滑坡致杆塔倾斜", "暴雨洪水冲毁电杆基础", "暴雨致设备进水接地"),
    "雷电": ("雷击造成绝缘子击穿、线路跳闸", "雷击损坏柱上开关", "雷击致避雷器击穿"),
    "强对流": ("强对流大风致树木倒伏压断导线", "冰雹击碎绝缘子", "短时大风致导线舞动短路"),
    "地质灾害气象风险": ("泥石流冲倒电杆", "滑坡掩埋电缆通道"),
    "大风": ("大风致异物挂线", "大风致导线舞动相间短路"),
    "森林火险": ("山火烧毁线路杆塔", "山火致线路跳闸"),
    "低温凝冻": ("导线覆冰断线", "覆冰致杆塔倾斜"),
}
LINE_FAULT_CAUSES = ("绝缘子老化击穿", "树障放电", "鸟窝短路", "跌落式熔断器故障", "避雷器击穿",
                     "用户设备故障越级跳闸", "电缆中间接头击穿", "导线断股接地", "柱上开关故障")
RAINY_FAULT_CAUSES = ("雷击跳闸", "暴雨致设备受潮接地", "树木被雨水压弯触碰导线")
TQ_FAULT_CAUSES = ("配变低压出线开关跳闸", "配变烧损", "低压熔断器熔断", "低压线路短路", "配变过负荷跳闸",
                   "低压电缆分支箱故障", "小动物短路")
WEAK_LINE_CAUSES = ("线路老旧、绝缘水平低跳闸", "线路通道树障反复放电", "线路末端电压低、设备老化故障")
WEAK_TQ_CAUSES = ("配变重过载跳闸", "低压线路老化短路", "台区供电半径过长、低压开关频繁跳闸")
EXTERNAL_CAUSES = ("施工机械挖断电缆", "车辆撞断电杆", "吊车碰触导线", "彩钢瓦等异物飘挂导线", "盗割电缆",
                   "违章建房碰线", "放风筝挂线", "烧荒引发山火烧断导线", "砍伐树木倒压导线")
PLANNED_LINE_CAUSES = ("计划检修：线路消缺", "计划检修：配网改造", "计划检修：更换柱上开关",
                       "计划检修：新用户设备接入", "计划检修：线路迁改（市政工程）", "计划检修：绝缘化改造")
PLANNED_TQ_CAUSES = ("计划检修：台区改造", "计划检修：配变增容", "计划检修：低压线路改造", "计划检修：更换配变")
TEMPORARY_CAUSES = ("临时检修：紧急消缺", "临时检修：处理设备发热缺陷", "临时检修：更换损坏瓷瓶",
                    "临时检修：处理导线断股")
SHEDDING_CAUSES = ("有序用电：枯水期电力供应紧张", "执行有序用电方案限电", "电网负荷紧张，按序位表限电")
SUPPLY_ASSURANCE_CAUSES = ("保供电接入：高考保电", "保供电退出：春节保电结束", "保供电接入：重要活动保电",
                           "保供电：发电车接入")
MODE_ADJUSTMENT_CAUSES = ("方式调整：倒闸操作转供", "方式调整：负荷转移", "方式调整：合环转供")
SHORT_CAUSES = ("瞬时故障，重合闸成功", "瞬时接地故障", "瞬时故障，备自投动作")


@dataclass(frozen=True)
class StormWarning:
    """A meteorological warning issued on a storm day in one prefecture."""

    level: str  # province / prefecture / county
    number: int
    issued: datetime.datetime
    kind: str
    colour: str


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _cumulative(weights) -> list[float]:
    return list(itertools.accumulate(weights))


def _fmt(value: datetime.datetime | None) -> str:
    return "" if value is None else value.isoformat(" ")


class _Year:
    """The days of the period, their weights per category, and the storm days of each prefecture."""

    def __init__(self, year: int, until: datetime.date, seed: int, prefectures: list[str]):
        self.year, self.until = year, until
        first = datetime.date(year, 1, 1)
        self.days = [first + datetime.timedelta(days=i) for i in range(max(0, (until - first).days + 1))]
        year_days = [first + datetime.timedelta(days=i) for i in range((datetime.date(year + 1, 1, 1) - first).days)]
        calendar = shipped_calendar()
        workday = {d: calendar.is_workday(d) for d in set(self.days) | set(year_days)}

        def planned(d):
            return PLANNED_MONTH[d.month] if workday[d] else 0.0

        def temporary(d):
            return 1.5 if d.month in RAINY else 1.0

        base = {
            "fault": lambda d: FAULT_MONTH[d.month],
            "external": lambda d: EXTERNAL_MONTH[d.month],
            "planned": planned,
            "temporary": temporary,
            "switching": lambda d: SWITCHING_MONTH[d.month],
            "shedding": lambda d: 1.0 if d.month in SHEDDING_MONTHS else 0.0,
        }
        # the share of a full year's weight that falls inside the period, by category
        self.fraction = {}
        for name, weight in base.items():
            full = sum(weight(d) for d in year_days)
            self.fraction[name] = sum(weight(d) for d in self.days) / full if full else 0.0
        self.cum = {name: _cumulative([weight(d) for d in self.days]) for name, weight in base.items()}

        # storm days: per prefecture; a day on which many prefectures storm gets a provincial warning
        rng = random.Random(f"storms-{seed}-{year}")
        storms: dict[str, list[datetime.date]] = {}
        for pref in prefectures:
            storms[pref] = [d for d in self.days if rng.random() < STORM_PROBABILITY[d.month]]
        per_day: dict[datetime.date, int] = {}
        for days in storms.values():
            for d in days:
                per_day[d] = per_day.get(d, 0) + 1
        province_days = sorted(d for d, n in per_day.items() if n >= 6)
        province_number = {d: i + 1 for i, d in enumerate(province_days)}
        self.warnings: dict[tuple[str, datetime.date], StormWarning] = {}
        for pref in prefectures:
            counters = {"prefecture": 0, "county": 0}
            for d in storms[pref]:
                kind = rng.choice(STORM_KINDS_RAINY if d.month in RAINY else STORM_KINDS_DRY)
                colour = rng.choice(COLOURS)
                issued = datetime.datetime(d.year, d.month, d.day, rng.randint(5, 11), rng.choice((0, 15, 30, 45)))
                if d in province_number:
                    level, number = "province", province_number[d]
                else:
                    level = "prefecture" if rng.random() < 0.45 else "county"
                    counters[level] += 1
                    number = counters[level]
                self.warnings[(pref, d)] = StormWarning(level, number, issued, kind, colour)
        # faults: the seasonal weight, boosted on the prefecture's storm days
        self.fault_cum: dict[str, list[float]] = {}
        for pref in prefectures:
            self.fault_cum[pref] = _cumulative([
                FAULT_MONTH[d.month] * (STORM_BOOST if (pref, d) in self.warnings else 1.0) for d in self.days
            ])

    def pick(self, rng: random.Random, cum: list[float]) -> datetime.date:
        return self.days[bisect.bisect_right(cum, rng.random() * cum[-1])]


class _Places:
    """Names for warning issuers: counties, prefectures, townships."""

    def __init__(self):
        regions = read_regions()
        self.county: dict[str, dict] = {}
        self.prefecture: dict[str, dict] = {}
        self.townships: dict[str, list[str]] = {}
        for r in regions:
            if r["level"] == "county":
                self.county[r["code"]] = r
            elif r["level"] == "prefecture":
                self.prefecture[r["code"]] = r
            elif r["level"] == "township":
                self.townships.setdefault(r["parent_code"], []).append(r["name"])

    def prefecture_of(self, county_code: str) -> str:
        county = self.county.get(county_code)
        return county["parent_code"] if county else county_code[:4] + "00"

    def issuer(self, warning: StormWarning, county_code: str, year: int) -> tuple[str, str]:
        """(reference, issuing body) of a warning as seen from a county."""
        if warning.level == "province":
            return f"滇气预〔{year}〕{warning.number}号", "云南省气象台"
        if warning.level == "prefecture":
            pref = self.prefecture.get(self.prefecture_of(county_code))
            name = pref["name"] if pref else "州市"
            short = prefecture_short(name)
            suffix = "市" if name.endswith("市") else "州"
            return f"{short}气预〔{year}〕{warning.number}号", f"{short}{suffix}气象台"
        county = self.county.get(county_code)
        name = county["name"] if county else county_code
        return f"{county_short(name)}气预〔{year}〕{warning.number}号", f"{name}气象局"


def generate_outages(assets: list[dict], *, year: int = 2026, until: datetime.date,
                     seed: int = 2026) -> Iterator[dict]:
    """Outage ledger rows (dicts keyed by ``OUTAGE_COLUMNS``) from 1 January of ``year`` to the end
    of ``until``, in start order, for the lines and 台区 in ``assets`` (rows of ``generate_assets``).
    Deterministic by ``seed``; times are China time, 'YYYY-MM-DD HH:MM:SS'."""
    places = _Places()
    lines = [a for a in assets if a["asset_type"] == "line"]
    tqs_of: dict[str, list[dict]] = {}
    for a in assets:
        if a["asset_type"] == "tq":
            tqs_of.setdefault(a["line_id"], []).append(a)
    prefectures = sorted({places.prefecture_of(a["county_code"]) for a in assets})
    period = _Year(year, until, seed, prefectures)
    if not period.days:
        return iter(())
    end_of_period = datetime.datetime(until.year, until.month, until.day, 23, 59, 59)
    rng = random.Random(f"outages-{seed}-{year}")
    records: list[tuple[datetime.datetime, str, int, dict]] = []
    gen = _Generator(rng, period, places, year, end_of_period, records)

    line_plan = _plan(LINE_RATES, period)
    tq_plan = _plan(TQ_RATES, period)
    for line in lines:
        tqs = tqs_of.get(line["asset_id"], [])
        gen.unit(line, tqs, line_plan)
        roll = rng.random()
        extra = WEAK_LINE_EXTRA if roll < WEAK_LINE_SHARE else (
            FRAIL_LINE_EXTRA if roll < WEAK_LINE_SHARE + FRAIL_LINE_SHARE else 0.0)
        for _ in range(_poisson(rng, extra * period.fraction["fault"])):
            gen.weak_fault(line, tqs)
        if line["area_type"] in ("town", "rural") and rng.random() < SHEDDING_LINE_SHARE:
            for _ in range(_poisson(rng, SHEDDING_RATE * period.fraction["shedding"])):
                gen.shedding(line, tqs)
        for tq in tqs:
            gen.unit(tq, [], tq_plan)
            roll = rng.random()
            extra = WEAK_TQ_EXTRA if roll < WEAK_TQ_SHARE else (
                FRAIL_TQ_EXTRA if roll < WEAK_TQ_SHARE + FRAIL_TQ_SHARE else 0.0)
            for _ in range(_poisson(rng, extra * period.fraction["fault"])):
                gen.weak_fault(tq, [])
    gen.ongoing(lines, tqs_of, max(3, round(len(lines) / 400)))

    records.sort(key=lambda r: (r[0], r[1], r[2]))

    def rows() -> Iterator[dict]:
        for n, (_, _, _, row) in enumerate(records, start=1):
            row["event_id"] = f"OUT{year}{n:07d}"
            yield row

    return rows()


def _plan(rates: dict[str, float], period: _Year) -> tuple[float, list[str], list[float]]:
    """(expected records in the period, categories, cumulative category weights) for one unit."""
    source = {"fault": "fault", "short": "fault", "over_short": "fault", "external": "external",
              "planned": "planned", "temporary": "temporary", "switching": "switching"}
    expected = {name: rate * period.fraction[source[name]] for name, rate in rates.items()}
    names = list(expected)
    return sum(expected.values()), names, _cumulative([expected[n] for n in names])


class _Generator:
    def __init__(self, rng: random.Random, period: _Year, places: _Places, year: int,
                 end_of_period: datetime.datetime, records: list):
        self.rng, self.period, self.places, self.year = rng, period, places, year
        self.end_of_period = end_of_period
        self.records = records
        self.seq = 0

    # --- helpers -------------------------------------------------------------------------------

    def _time(self, day: datetime.date, hours: list[float] | None = None, hour: int | None = None,
              seconds: bool = True) -> datetime.datetime:
        """A time on ``day``: at ``hour``, or an hour drawn from cumulative ``hours`` weights."""
        random_ = self.rng.random
        if hour is None:
            hour = bisect.bisect_right(hours, random_() * hours[-1]) if hours else int(random_() * 24)
        return datetime.datetime(day.year, day.month, day.day, hour, int(random_() * 60),
                                 int(random_() * 60) if seconds else 0)

    def _minutes(self, median: float, sigma: float, low: float, high: float) -> datetime.timedelta:
        minutes = min(high, max(low, math.exp(self.rng.gauss(math.log(median), sigma))))
        return datetime.timedelta(seconds=round(minutes * 60))

    def _subset(self, unit: dict, tqs: list[dict], category: str) -> list[dict]:
        """The 台区 a line outage lists (empty = all of them)."""
        if unit["asset_type"] != "line" or len(tqs) < 2 or self.rng.random() >= SUBSET_SHARE.get(category, 0):
            return []
        k = self.rng.randint(1, len(tqs) - 1)
        first = self.rng.randint(0, len(tqs) - k)
        return tqs[first:first + k]

    def add(self, unit: dict, start: datetime.datetime, end: datetime.datetime | None, kind: str, cause: str, *,
            exclusion: str = "none", evidence: tuple[str, str, str, datetime.datetime | None] | None = None,
            listed: list[dict] | None = None) -> dict | None:
        if start > self.end_of_period:
            return None
        if end is not None and end > self.end_of_period:
            end = None  # still going on at the end of the last day
        ref, issuer, level, issued = evidence or ("", "", "", None)
        if listed:
            users: int | str = sum(int(t["users"] or 0) for t in listed)
        else:
            users = int(unit["users"] or 0) if self.rng.random() < 0.8 else ""
        row = {
            "event_id": "", "company": unit["company"], "asset_type": unit["asset_type"],
            "asset_id": unit["asset_id"], "start_time": _fmt(start), "end_time": _fmt(end), "kind": kind,
            "cause": cause, "exclusion": "" if exclusion == "none" and self.rng.random() < 0.5 else exclusion,
            "warning_ref": ref, "warning_issuer": issuer, "warning_level": level, "warning_time": _fmt(issued),
            "affected_tq": ";".join(t["asset_id"] for t in listed or ()), "users_affected": users,
        }
        self.seq += 1
        self.records.append((start, unit["asset_id"], self.seq, row))
        return row

    def _disaster_evidence(self, unit: dict, warning: StormWarning) -> tuple[str, str, str, datetime.datetime | None]:
        rng = self.rng
        ref, issuer = self.places.issuer(warning, unit["county_code"], self.year)
        level = warning.level
        roll = rng.random()
        if roll < 0.10:  # a field left out: the claim is rejected
            missing = rng.choice(((0,), (1,), (2,), (0, 1), (0, 2)))
            parts = [ref, issuer, level]
            for i in missing:
                parts[i] = ""
            return parts[0], parts[1], parts[2], warning.issued if rng.random() < 0.5 else None
        if roll < 0.16:  # a township's notice: below county level, rejected
            towns = self.places.townships.get(unit["county_code"]) or [f"{unit['county_code']}某镇"]
            town = rng.choice(towns)
            return (f"{town[:2]}政发〔{self.year}〕{rng.randint(3, 60)}号", f"{town}人民政府", "township",
                    warning.issued)
        return ref, issuer, level, warning.issued

    # --- categories ----------------------------------------------------------------------------

    def unit(self, unit: dict, tqs: list[dict], plan: tuple[float, list[str], list[float]]) -> None:
        expected, names, cum = plan
        rng = self.rng
        for _ in range(_poisson(rng, expected)):
            category = names[bisect.bisect_right(cum, rng.random() * cum[-1])]
            getattr(self, category)(unit, tqs)

    def _fault_day(self, unit: dict) -> tuple[datetime.date, StormWarning | None]:
        pref = self.places.prefecture_of(unit["county_code"])
        day = self.period.pick(self.rng, self.period.fault_cum[pref])
        return day, self.period.warnings.get((pref, day))

    def fault(self, unit: dict, tqs: list[dict], *, weak: bool = False) -> None:
        rng = self.rng
        day, warning = self._fault_day(unit)
        is_line = unit["asset_type"] == "line"
        if warning is not None:
            start = self._time(day, STORM_HOURS)
            duration = self._minutes(180 if is_line else 150, 0.9, 15, 36 * 60)
            effect = rng.choice(DISASTER_EFFECTS[warning.kind])
            if not weak and rng.random() < DISASTER_CLAIM_SHARE:
                evidence = self._disaster_evidence(unit, warning)
                cause = f"{warning.kind}{warning.colour}色预警期间，{effect}"
                row = self.add(unit, start, start + duration, "fault", cause, exclusion="disaster_warning",
                               evidence=evidence, listed=self._subset(unit, tqs, "fault"))
            else:
                row = self.add(unit, start, start + duration, "fault", effect, listed=self._subset(unit, tqs, "fault"))
        else:
            start = self._time(day, STORM_HOURS if day.month in (6, 7, 8) and rng.random() < 0.4 else FAULT_HOURS)
            if weak:
                cause = rng.choice(WEAK_LINE_CAUSES if is_line else WEAK_TQ_CAUSES)
            elif is_line:
                cause = rng.choice(LINE_FAULT_CAUSES + (RAINY_FAULT_CAUSES if day.month in RAINY else ()))
            else:
                cause = rng.choice(TQ_FAULT_CAUSES)
            duration = self._minutes(100 if is_line else 120, 0.8, 8, 20 * 60)
            row = self.add(unit, start, start + duration, "fault", cause, listed=self._subset(unit, tqs, "fault"))
        if row is not None and is_line and tqs and rng.random() < OVERLAP_SHARE:
            self._overlap(row, unit, tqs, start, start + duration)

    def weak_fault(self, unit: dict, tqs: list[dict]) -> None:
        self.fault(unit, tqs, weak=True)

    def _overlap(self, row: dict, line: dict, tqs: list[dict], start: datetime.datetime,
                 end: datetime.datetime) -> None:
        """The same trip recorded on one of the line's 台区 too, with overlapping times."""
        rng = self.rng
        listed = row["affected_tq"].split(";") if row["affected_tq"] else None
        candidates = [t for t in tqs if listed is None or t["asset_id"] in listed]
        tq = rng.choice(candidates)
        tq_start = start + datetime.timedelta(seconds=rng.randint(0, 120))
        tq_end = max(tq_start + datetime.timedelta(minutes=5),
                     end + datetime.timedelta(seconds=rng.randint(-600, 900)))
        cause = f"{line['name']}故障，台区失电" if "name" in line else "10kV线路故障，台区失电"
        self.add(tq, tq_start, tq_end, "fault", cause, exclusion=row["exclusion"] or "none",
                 evidence=(row["warning_ref"], row["warning_issuer"], row["warning_level"],
                           datetime.datetime.fromisoformat(row["warning_time"]) if row["warning_time"] else None))

    def short(self, unit: dict, tqs: list[dict]) -> None:
        rng = self.rng
        day, warning = self._fault_day(unit)
        start = self._time(day, STORM_HOURS if warning is not None else FAULT_HOURS)
        seconds = 180 if rng.random() < 0.08 else rng.randint(15, 179)
        self.add(unit, start, start + datetime.timedelta(seconds=seconds), "fault", rng.choice(SHORT_CAUSES))

    def over_short(self, unit: dict, tqs: list[dict]) -> None:
        rng = self.rng
        day, _ = self._fault_day(unit)
        start = self._time(day, FAULT_HOURS)
        seconds = 181 if rng.random() < 0.15 else rng.randint(182, 300)
        self.add(unit, start, start + datetime.timedelta(seconds=seconds), "fault", rng.choice(SHORT_CAUSES))

    def external(self, unit: dict, tqs: list[dict]) -> None:
        rng = self.rng
        day = self.period.pick(rng, self.period.cum["external"])
        start = self._time(day, FAULT_HOURS)
        duration = self._minutes(240, 0.7, 20, 30 * 60)
        cause = "" if rng.random() < 0.15 else rng.choice(EXTERNAL_CAUSES)  # no description: rejected
        self.add(unit, start, start + duration, "fault", cause, exclusion="external_damage",
                 listed=self._subset(unit, tqs, "external"))

    def planned(self, unit: dict, tqs: list[dict]) -> None:
        rng = self.rng
        day = self.period.pick(rng, self.period.cum["planned"])
        hour, minute = rng.choice(((8, 0), (8, 0), (8, 30), (9, 0), (9, 0), (9, 30), (10, 0)))
        start = datetime.datetime(day.year, day.month, day.day, hour, minute)
        latest = (18 * 60 - (hour * 60 + minute)) // 30  # in half hours, so that it ends by 18:00
        duration = datetime.timedelta(minutes=30 * rng.randint(4, min(16, latest)))
        causes = PLANNED_LINE_CAUSES if unit["asset_type"] == "line" else PLANNED_TQ_CAUSES
        self.add(unit, start, start + duration, "planned", rng.choice(causes),
                 listed=self._subset(unit, tqs, "planned"))

    def temporary(self, unit: dict, tqs: list[dict]) -> None:
        rng = self.rng
        day = self.period.pick(rng, self.period.cum["temporary"])
        start = self._time(day, hour=rng.randint(9, 16) if rng.random() < 0.85 else rng.choice((6, 7, 20, 21, 22)),
                           seconds=False)
        duration = datetime.timedelta(minutes=rng.randint(60, 300))
        self.add(unit, start, start + duration, "temporary", rng.choice(TEMPORARY_CAUSES),
                 listed=self._subset(unit, tqs, "temporary"))

    def switching(self, unit: dict, tqs: list[dict]) -> None:
        rng = self.rng
        day = self.period.pick(rng, self.period.cum["switching"])
        start = self._time(day, hour=rng.choice((0, 1, 6, 7, 8, 9, 10, 14, 15, 22, 23)))
        roll = rng.random()
        if roll < 0.05:
            seconds = 30 * 60  # exactly 30:00: still excluded
        elif roll < 0.9:
            seconds = rng.randint(4 * 60, 30 * 60)
        else:
            seconds = rng.randint(31 * 60, 40 * 60)  # too long for the exclusion: rejected by the rule
        if rng.random() < 0.4:
            exclusion, kind, cause = "supply_assurance", "planned", rng.choice(SUPPLY_ASSURANCE_CAUSES)
        else:
            exclusion, kind, cause = "mode_adjustment", "temporary", rng.choice(MODE_ADJUSTMENT_CAUSES)
        self.add(unit, start, start + datetime.timedelta(seconds=seconds), kind, cause, exclusion=exclusion)

    def shedding(self, line: dict, tqs: list[dict]) -> None:
        rng = self.rng
        if self.period.cum["shedding"][-1] <= 0:
            return
        day = self.period.pick(rng, self.period.cum["shedding"])
        hour = rng.choice((10, 11, 14, 18, 19, 19, 20))
        start = datetime.datetime(day.year, day.month, day.day, hour, rng.choice((0, 30)))
        duration = datetime.timedelta(minutes=30 * rng.randint(2, 8))
        self.add(line, start, start + duration, "shedding", rng.choice(SHEDDING_CAUSES))

    def ongoing(self, lines: list[dict], tqs_of: dict[str, list[dict]], count: int) -> None:
        """A few outages that began on the last day and are not over at its end."""
        rng = self.rng
        day = self.period.days[-1]
        for _ in range(count if lines else 0):
            line = rng.choice(lines)
            tqs = tqs_of.get(line["asset_id"], [])
            unit = rng.choice(tqs) if tqs and rng.random() < 0.5 else line
            start = self._time(day, hour=rng.randint(7, 21))
            kind, cause = rng.choice((("fault", "故障抢修中"), ("fault", "倒杆抢修中"), ("temporary", "临时检修：设备抢修中")))
            self.add(unit, start, None, kind, cause)


def demo_outages_step(structure, say: Callable[[str], None]) -> None:
    """Demo step: a year of outages up to ``DEMO_AS_OF`` for the demo's lines and 台区, imported
    through the outages ledger."""
    # the generators above serve bench/ without Django; the import into the database needs it, and
    # .demo imports this module (through its steps)
    from getpower.ledgers.importer import run_import

    from .demo import DEMO_SCALE

    started = time.monotonic()
    assets = list(generate_assets(structure, **DEMO_SCALE))
    rows = list(generate_outages(assets, year=DEMO_AS_OF.year, until=DEMO_AS_OF))
    result = run_import("outages", to_csv(rows, OUTAGE_COLUMNS), "demo-outages.csv", channel="demo")
    if not result.ok:
        raise RuntimeError(f"demo data demo-outages.csv failed to import: {result.errors[:5]}")
    say(f"  demo-outages.csv: {result.added} 条新增（截至 {DEMO_AS_OF}，{time.monotonic() - started:.1f}s）")
