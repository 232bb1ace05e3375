"""Deterministic synthetic residential-community arrears disconnections (居民住宅小区欠费停电) for the
synthetic province: a year of the ``arrears_cases`` ledger, from 1 January up to a given day.

What makes it realistic (and exercises every branch of rules R4):

- whole communities (mostly older ones behind one collective meter, whose property company stopped
  paying) cut off on working days in the morning, never in a statutory holiday;
- most cases follow the procedure: the bill more than 30 days overdue, a demand for payment (催交)
  before the written notice, the cut approved by the company's responsible head, the notice served 3
  to 7 days before, the customer told again between 24 hours and 30 minutes before, and the case
  reported in advance to the county energy authority (some to the prefecture's);
- some cases break one rule (a few two): bill overdue 30 days or less, demand after (or with) the
  notice, no approver, notice 1–2 or 8–10 days before, final notice 10 minutes before or more than
  24 hours before or missing, report after the cut or missing;
- some cases cancelled before the cut (the arrears paid), some still pending at the last day (the cut
  planned for the days after it, the final notice and perhaps the report still to come), and most
  cut communities restored within hours or days once they paid.

Pure Python with one ``random.Random``; the same seed gives the same rows.
"""

from __future__ import annotations

import bisect
import datetime
import random
import time
from collections.abc import Callable

from getpower.core.reference import read_regions
from getpower.workdays.shipped import shipped_calendar

from .outages import DEMO_AS_OF
from .province import INCREMENTAL, county_short, county_weights, to_csv

ARREARS_COLUMNS = ["case_id", "company", "county_code", "community", "households", "arrears_yuan", "bill_due_date",
                   "demand_at", "approved_by", "notice_served_at", "final_notice_at", "reported_at", "authority",
                   "authority_level", "planned_cut_at", "cut_at", "restored_at", "cancelled_at"]
DEMO_CASES = 300

# shares of the cases
CANCELLED_SHARE, PENDING_SHARE, VIOLATION_SHARE = 0.06, 0.05, 0.3
SECOND_VIOLATION_SHARE = 0.15  # of the violating cases
PREFECTURE_REPORT_SHARE = 0.15  # reported to the prefecture's energy authority instead of the county's
INCREMENTAL_CASE_SHARE = 0.1  # of the cases in an incremental company's county
# every kind of violation, each in at least one case
VIOLATIONS = ("overdue_short", "overdue_exactly_30", "demand_after_notice", "demand_with_notice", "no_approver",
              "notice_2d", "notice_8d", "final_10min", "final_too_early", "final_missing", "report_after_cut",
              "report_missing")
PENDING_KINDS = ("report_pending", "reported")  # final notice still to come in every pending case

COMMUNITY_NAMES = ("阳光花园", "锦绣家园", "金色家园", "翠湖苑", "幸福里", "书香门第", "凤凰城", "滨江花园", "春城名苑",
                   "和谐家园", "紫薇苑", "康乐小区", "建设新村", "电厂宿舍", "糖厂生活区", "纺织厂宿舍", "职工住宅区",
                   "桂花园", "景苑小区", "丽景华庭", "盛世家园", "兴隆小区", "东城花园", "西苑小区", "南湖人家",
                   "北辰小区", "吉祥小区", "丰收新村", "学府花园", "水岸名都")
PHASES = ("", "", "", "一期", "二期", "三期", "A区", "B区")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ("建国", "志强", "海涛", "丽华", "俊峰", "国华", "晓东", "文斌", "春梅", "永刚", "红霞", "学军", "明亮", "云飞",
         "德明", "少华", "建平", "玉兰", "忠良", "家豪")
ROLES = ("副总经理", "营销副总经理", "分管副局长", "局长", "总经理")


def _fmt(value: datetime.datetime | None) -> str:
    return "" if value is None else value.isoformat(" ")


class _Cases:
    def __init__(self, rng: random.Random, cutoff: datetime.datetime):
        self.rng, self.cutoff = rng, cutoff
        self.calendar = shipped_calendar()

    def office(self, day: datetime.date, first: int = 8 * 60 + 30, last: int = 17 * 60 + 30) -> datetime.datetime:
        minute = self.rng.randint(first, last)
        return datetime.datetime(day.year, day.month, day.day, minute // 60, minute % 60, self.rng.randrange(60))

    def cut_day(self, low: datetime.date, high: datetime.date) -> datetime.date:
        """A working day in [low, high] (no cut in a holiday or at a weekend)."""
        rng = self.rng
        for _ in range(100):
            day = low + datetime.timedelta(days=rng.randint(0, (high - low).days))
            if self.calendar.is_workday(day):
                return day
        return low

    def approver(self) -> str:
        rng = self.rng
        return f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}（{rng.choice(ROLES)}）"

    def case(self, kind: str, violations: tuple[str, ...], day: datetime.date,
             authorities: dict[str, tuple[str, str]]) -> dict:
        """One case: ``kind`` is ok, violation, cancelled or pending; its cut planned on ``day``."""
        rng = self.rng
        planned = datetime.datetime(day.year, day.month, day.day, *rng.choice(((9, 0), (9, 0), (9, 30), (10, 0),
                                                                                 (10, 30), (14, 30), (15, 0))))
        future = planned > self.cutoff
        cut = None
        if kind in ("ok", "violation") and not future:
            cut = planned + datetime.timedelta(minutes=rng.choice((0, 0, 0, 2, 5, 8, 12, 20)))
        at_cut = cut or planned  # what the checks compare against

        # the bill and the demand for payment
        if "overdue_exactly_30" in violations:
            overdue = 30
        elif "overdue_short" in violations:
            overdue = rng.randint(8, 29)
        else:
            overdue = rng.choice((rng.randint(31, 40), rng.randint(35, 90), rng.randint(60, 180)))
        bill_due = day - datetime.timedelta(days=overdue)

        # the written notice, 3 to 7 days before (in a pending case: already served by the last day)
        if "notice_2d" in violations:
            notice_days = rng.choice((1, 2, 2))
        elif "notice_8d" in violations:
            notice_days = rng.choice((8, 8, 9, 10))
        else:
            earliest = (day - self.cutoff.date()).days if future else 3
            notice_days = rng.randint(max(3, earliest), 7)
        notice = self.office(day - datetime.timedelta(days=notice_days))
        if notice > self.cutoff:
            notice = self.cutoff.replace(hour=9, minute=rng.randint(0, 59), second=0)

        if "demand_after_notice" in violations:
            demand = notice + datetime.timedelta(minutes=rng.randint(60, 48 * 60))
            demand = min(demand, planned - datetime.timedelta(hours=2), self.cutoff)
            if demand <= notice:
                demand = notice + datetime.timedelta(minutes=5)
        elif "demand_with_notice" in violations:
            demand = notice
        else:
            first = bill_due + datetime.timedelta(days=1)
            latest = (notice.date() - first).days
            demand_day = notice.date() - datetime.timedelta(days=rng.randint(1, max(1, min(25, latest))))
            demand = self.office(max(first, demand_day))
            if demand >= notice:
                demand = notice - datetime.timedelta(hours=rng.randint(2, 6))

        # the final notice, between 24 hours and 30 minutes before the cut
        final: datetime.datetime | None
        if kind in ("cancelled", "pending") or "final_missing" in violations:
            final = None
        elif "final_10min" in violations:
            final = at_cut - datetime.timedelta(minutes=rng.choice((10, 10, 5, 15, 29)))
        elif "final_too_early" in violations:
            final = at_cut - datetime.timedelta(hours=rng.randint(25, 60))
        else:  # before the planned time, and within 24 hours of the actual cut
            latest = 1440 - (at_cut - planned).seconds // 60
            final = planned - datetime.timedelta(minutes=rng.choice((30, rng.randint(31, 90), rng.randint(60, 240),
                                                                     rng.randint(120, latest), latest)))

        # the report to the energy authority
        reported: datetime.datetime | None
        if "report_missing" in violations or (kind == "pending" and "report_pending" in violations):
            reported = None
        elif "report_after_cut" in violations:
            reported = at_cut + datetime.timedelta(minutes=rng.randint(30, 3 * 24 * 60))
            reported = min(reported, self.cutoff)
        else:  # on the day of the notice or later, and (in a pending case) by the last day
            fewest = max(0, (day - self.cutoff.date()).days)
            lead = rng.randint(fewest, max(fewest, (day - notice.date()).days))
            report_day = day - datetime.timedelta(days=lead)
            reported = self.office(report_day, last=8 * 60 + 50) if lead == 0 else self.office(report_day)
            reported = max(min(reported, self.cutoff), notice)
            if reported >= at_cut:
                reported = at_cut - datetime.timedelta(hours=1)

        cancelled = restored = None
        if kind == "cancelled":
            # the community paid after the notice, before the planned cut (a report after that is not made)
            cancelled = (notice + (planned - notice) * rng.uniform(0.2, 0.9)).replace(microsecond=0)
            if reported is not None and reported > cancelled:
                reported = None
        elif cut is not None and rng.random() < 0.95:
            restored = cut + datetime.timedelta(minutes=round(rng.lognormvariate(7.0, 0.9)))  # ~18 h median
            if restored > self.cutoff:
                restored = None

        authority = level = ""
        if reported is not None:
            level = "prefecture" if rng.random() < PREFECTURE_REPORT_SHARE else "county"
            authority = authorities[level]
        return {
            "case_id": "", "bill_due_date": bill_due.isoformat(), "demand_at": _fmt(demand),
            "approved_by": "" if "no_approver" in violations else self.approver(),
            "notice_served_at": _fmt(notice), "final_notice_at": _fmt(final), "reported_at": _fmt(reported),
            "authority": authority, "authority_level": level, "planned_cut_at": _fmt(planned), "cut_at": _fmt(cut),
            "restored_at": _fmt(restored), "cancelled_at": _fmt(cancelled),
        }


def generate_arrears_cases(structure, *, until: datetime.date, seed: int = 2026,
                           count: int = DEMO_CASES) -> list[dict]:
    """About ``count`` residential-community arrears cases (rows keyed by ``ARREARS_COLUMNS``) with cuts
    planned from January of ``until.year`` to a few days after ``until``, as the ledger holds them at
    the end of that day, in order of planned cut. Each case's company is its county's supplier (an
    incremental company for a share of the cases in its county); reports go to the county's energy
    authority (some to the prefecture's), named as in ``structure.organisations``. Deterministic by
    ``seed``; times are China time, 'YYYY-MM-DD HH:MM:SS'."""
    year = until.year
    rng = random.Random(f"arrears-{seed}-{year}")
    cutoff = datetime.datetime(until.year, until.month, until.day, 23, 59, 59)
    cases = _Cases(rng, cutoff)
    counties = [r for r in read_regions() if r["level"] == "county"]
    weights = county_weights(counties)
    names = {r["code"]: r["name"] for r in counties}
    authority_of = {(o["level"], o["region_code"]): o["name"] for o in structure.organisations
                    if o["kind"] == "energy_authority"}
    incremental = {county: code for code, _, county in INCREMENTAL}

    n_cancelled = max(2, round(count * CANCELLED_SHARE))
    n_pending = max(len(PENDING_KINDS), round(count * PENDING_SHARE))
    n_violation = max(len(VIOLATIONS), round(count * VIOLATION_SHARE))
    kinds = ["cancelled"] * n_cancelled + ["pending"] * n_pending + ["violation"] * n_violation
    kinds += ["ok"] * max(0, count - len(kinds))
    rng.shuffle(kinds)
    violation_cycle = list(VIOLATIONS)
    rng.shuffle(violation_cycle)
    pending_cycle = list(PENDING_KINDS)

    first = datetime.date(year, 1, 12)
    codes = [c["code"] for c in counties]
    county_cum: list[float] = []
    total = 0.0
    for code in codes:
        total += weights[code]
        county_cum.append(total)

    rows: list[tuple[datetime.datetime, str, dict]] = []
    n_violations = n_pendings = 0
    for kind in kinds:
        if kind == "violation":
            violations = (violation_cycle[n_violations % len(violation_cycle)],)
            n_violations += 1
            if rng.random() < SECOND_VIOLATION_SHARE:
                other = rng.choice([v for v in VIOLATIONS if v.split("_")[0] != violations[0].split("_")[0]])
                violations += (other,)
        elif kind == "pending":
            violations = (pending_cycle[n_pendings % len(pending_cycle)],)
            n_pendings += 1
        else:
            violations = ()
        if kind == "pending":
            day = cases.cut_day(until + datetime.timedelta(days=1), until + datetime.timedelta(days=6))
        else:
            day = cases.cut_day(first, until - datetime.timedelta(days=1) if kind == "cancelled" else until)
        code = codes[_index(county_cum, rng.random() * total)]
        pref = code[:4] + "00"
        authorities = {"county": authority_of.get(("county", code), ""),
                       "prefecture": authority_of.get(("prefecture", pref), "")}
        row = cases.case(kind, violations, day, authorities)
        company = structure.county_supplier[code]
        if code in incremental and rng.random() < INCREMENTAL_CASE_SHARE:
            company = incremental[code]
        households = max(30, round(rng.lognormvariate(5.3, 0.6)))
        row.update(company=company, county_code=code,
                   community=f"{county_short(names[code])}{rng.choice(COMMUNITY_NAMES)}{rng.choice(PHASES)}",
                   households=households, arrears_yuan=round(households * rng.uniform(60, 650), 2))
        rows.append((datetime.datetime.fromisoformat(row["planned_cut_at"]), code, row))

    rows.sort(key=lambda item: (item[0], item[1]))
    numbers: dict[str, int] = {}
    out = []
    for _, code, row in rows:
        numbers[code] = numbers.get(code, 0) + 1
        row["case_id"] = f"QF{year}{code}{numbers[code]:03d}"
        out.append({column: row[column] for column in ARREARS_COLUMNS})
    return out


def _index(cum: list[float], x: float) -> int:
    return min(bisect.bisect_right(cum, x), len(cum) - 1)


def demo_arrears_step(structure, say: Callable[[str], None]) -> None:
    """Demo step: a year of residential-community arrears cases up to ``DEMO_AS_OF`` (a few pending
    after it), imported through the arrears ledger."""
    # the generators above serve bench/ without Django; the import into the database needs it
    from getpower.ledgers.importer import run_import

    started = time.monotonic()
    rows = generate_arrears_cases(structure, until=DEMO_AS_OF, count=DEMO_CASES)
    result = run_import("arrears_cases", to_csv(rows, ARREARS_COLUMNS), "demo-arrears-cases.csv", channel="demo")
    if not result.ok:
        raise RuntimeError(f"demo data demo-arrears-cases.csv failed to import: {result.errors[:5]}")
    say(f"  demo-arrears-cases.csv: {result.added} 条新增（截至 {DEMO_AS_OF}，{time.monotonic() - started:.1f}s）")
