"""Deterministic synthetic connection applications (用电报装) and customer pauses (客户原因中止) for the
synthetic province: a realistic year of the ``applications`` and ``application_pauses`` ledgers,
from 1 January up to a given day.

What makes it realistic (and exercises every branch of rules R2):

- every user class: low-voltage 三零 applications of residents and private organisations (most; some
  with external line works, 15 working days), low-voltage applications handled without 三零 (public
  bodies, private organisations above 160 kW — and some residents and private organisations inside
  the 三零 scope, which is itself a finding), high-voltage single and dual supply at 10 kV, and a
  few at 35 kV and 110 kV (which take the 10 kV limits);
- the high-voltage stages 受理 → 供电方案答复 → 设计审查 → (中间检查, only for jobs with concealed
  works) → 竣工检验 → 装表接电, with the customer's own design and construction time between them;
- the supply company acts on working days (R1, the shipped 2026 schedule) in office hours; customers
  apply at the counter in office hours or online in the evening and at weekends and holidays; clocks
  run across the Spring Festival (2/15–2/23) and National Day (10/1–10/7) holidays;
- most stages within their limits, about one application in ten late at some stage, some stages still
  open at the last day (recent applications), about 3 % stalled and overdue at the last day;
- customer pauses (about 10 % of the applications, reasons such as 客户资料不全 or 客户内部工程未完成),
  inside a stage so that they matter, a few still open at the last day;
- low-voltage connections that need an upgrade of the 10 kV-and-above grid (about 2 %), with their
  stated completion date, connected only after the upgrade: many late or overdue (the F1 ledger).

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

from .outages import DEMO_AS_OF, _cumulative, _poisson
from .province import INCREMENTAL, county_weights, to_csv

APPLICATION_COLUMNS = ["app_id", "company", "county_code", "customer_kind", "voltage_kv", "supply", "capacity_kw",
                       "zero_service", "external_works", "grid_upgrade", "upgrade_due_date", "applied_at",
                       "accepted_at", "scheme_replied_at", "design_submitted_at", "design_reviewed_at",
                       "midcheck_requested_at", "midcheck_done_at", "completion_requested_at", "completion_done_at",
                       "connect_ready_at", "energized_at", "contact_phone_last4"]
PAUSE_COLUMNS = ["app_id", "pause_start", "pause_end", "reason"]
TIME_FIELDS = APPLICATION_COLUMNS[11:22]

# ~25,000 applications province-wide from 1 January to DEMO_AS_OF (129 counties, ~10.8 months)
DEMO_PER_COUNTY_PER_MONTH = 18.0
INCREMENTAL_SHARE = 0.2  # of its county's applications, for an incremental distribution company

# user classes and their shares; high voltage split further by voltage
CLASSES = (("lv_zero", "lv", "hv_single", "hv_dual"), (0.795, 0.09, 0.095, 0.02))
HV_VOLTAGES = ((10, 35, 110), (0.957, 0.03, 0.013))
EXTERNAL_WORKS_SHARE = 0.15  # of 三零 applications
GRID_UPGRADE_SHARE = 0.02  # of low-voltage applications
IN_SCOPE_LV_SHARE = 0.3  # of non-三零 low-voltage applications: inside the 三零 scope (a finding)
MIDCHECK_SHARE = 0.45  # of high-voltage jobs: concealed works, so a mid-construction check
CONNECT_READY_SHARE = {"lv": 0.55, "hv": 0.35}
LATE_SHARE = 0.08  # one stage (or the 三零 total) deliberately over its limit
PAUSE_SHARE = 0.10
SECOND_PAUSE_SHARE = 0.1  # of paused applications
STALL_RECENT_DAYS, STALL_RECENT_SHARE, STALL_OLD_SHARE = 75, 0.1, 0.007

# R2 limits (working days) of the stages, by class; the 三零 total
LIMITS = {
    "lv": {"accept": 1, "scheme": 3, "connect": 2},
    "hv_single": {"accept": 1, "scheme": 10, "design": 3, "midcheck": 2, "completion": 3, "connect": 3},
    "hv_dual": {"accept": 1, "scheme": 20, "design": 3, "midcheck": 2, "completion": 3, "connect": 3},
}
ZERO_LIMIT, ZERO_WORKS_LIMIT = 5, 15
# on-time working days of a stage: (values, weights)
ON_TIME = {
    "accept": ((0, 1), (7, 3)),
    "scheme_lv": ((0, 1, 2, 3), (2, 4, 3, 2)),
    "scheme_hv_single": (tuple(range(1, 11)), (1, 2, 3, 4, 5, 5, 4, 3, 2, 2)),
    "scheme_hv_dual": (tuple(range(4, 21)), (1, 1, 2, 2, 3, 4, 5, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1)),
    "design": ((0, 1, 2, 3), (1, 3, 3, 2)),
    "midcheck": ((0, 1, 2), (3, 4, 2)),
    "completion": ((0, 1, 2, 3), (1, 3, 3, 2)),
    "connect_lv": ((0, 1, 2), (2, 4, 3)),
    "connect_hv": ((0, 1, 2, 3), (1, 3, 3, 2)),
    "zero": ((0, 1, 2, 3, 4, 5), (1, 3, 4, 3, 2, 1)),
    "zero_works": (tuple(range(3, 16)), (1, 1, 2, 3, 4, 4, 4, 4, 3, 3, 2, 2, 1)),
}
LATE_EXTRA = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 7, 10)  # working days over the limit
# where the late stage, the pause and the stall fall, by class: (stages, weights)
LATE_STAGES = {"lv": (("accept", "scheme", "connect"), (1, 3, 3)),
               "hv": (("accept", "scheme", "design", "midcheck", "completion", "connect"), (1, 4, 2, 1, 2, 3))}
PAUSE_STAGES = {"lv_zero": (("accept", "connect"), (1, 2)), "lv": (("scheme", "connect"), (1, 2)),
                "hv": (("scheme", "design", "completion", "connect"), (3, 1, 1, 2))}
STALL_STAGES = {"lv_zero": (("scheme", "connect"), (1, 3)), "lv": (("scheme", "connect"), (1, 1)),
                "hv": (("scheme", "design", "completion", "connect"), (3, 1, 2, 2))}
# customer pause reasons by stage: (reason, fewest, most working days)
PAUSE_REASONS = {
    "accept": (("客户资料不全", 1, 5), ("客户产权证明材料不全", 2, 8), ("客户未按约定时间配合现场勘查", 1, 3)),
    "scheme": (("客户资料不全", 1, 6), ("客户变更报装容量", 3, 10), ("客户未按约定时间配合现场勘查", 1, 4),
               ("客户对供电方案提出异议，待客户确认", 2, 8)),
    "design": (("客户设计文件需修改补充", 2, 10), ("客户资料不全", 1, 5)),
    "completion": (("客户竣工资料不全", 2, 8), ("客户受电工程整改未完成", 3, 15)),
    "connect": (("客户内部工程未完成", 3, 20), ("客户要求暂缓接电", 5, 30), ("客户表箱未安装到位", 2, 10),
                ("客户未签订供用电合同", 2, 8)),
}
RESIDENT_KW = (4, 6, 8, 8, 8, 10, 10, 10, 12, 15, 16, 20, 7, 7)  # 7 kW: a home EV charger

# office hours of the supply company (minutes of the day) and its lunch break
OFFICE_OPEN, LUNCH, AFTERNOON, OFFICE_CLOSE = 8 * 60 + 30, 12 * 60, 14 * 60 + 30, 17 * 60 + 50
APPLY_MONTH = {1: 1.1, 2: .75, 3: 1.15, 4: 1.05, 5: 1.0, 6: .95, 7: .95, 8: .95, 9: 1.0, 10: .85, 11: 1.0, 12: 1.1}
WEEKEND_WEIGHT, HOLIDAY_WEIGHT = 0.3, 0.12  # online applications on rest days


def _fmt(value: datetime.datetime | None) -> str:
    return "" if value is None else value.isoformat(" ")  # whole seconds: 'YYYY-MM-DD HH:MM:SS'


def _table(values: tuple, weights: tuple) -> tuple[tuple, list[float]]:
    return tuple(values), _cumulative(weights)


def _pick(rng: random.Random, table: tuple[tuple, list[float]]):
    """A value of a (values, cumulative weights) table."""
    values, cum = table
    return values[bisect.bisect_right(cum, rng.random() * cum[-1])]


def _tables(spec: dict) -> dict:
    return {name: _table(*pair) for name, pair in spec.items()}


ON_TIME_TABLES = _tables(ON_TIME)
LATE_TABLES = _tables(LATE_STAGES)
PAUSE_TABLES = _tables(PAUSE_STAGES)
STALL_TABLES = _tables(STALL_STAGES)
CLASS_TABLE = _table(*CLASSES)
HV_VOLTAGE_TABLE = _table(*HV_VOLTAGES)


class _Workdays:
    """The working days (R1, shipped schedules) from ``first`` to ``last`` as running numbers."""

    def __init__(self, first: datetime.date, last: datetime.date):
        calendar = shipped_calendar()
        self.first = first
        self.work: list[bool] = []
        self.holiday: list[bool] = []
        self.number: list[int] = []  # working days d with first ≤ d ≤ day
        self.days: list[datetime.date] = []
        count = 0
        day = first
        while day <= last:
            work = calendar.is_workday(day)
            self.work.append(work)
            self.holiday.append(calendar.exceptions.get(day) is False)
            if work:
                count += 1
                self.days.append(day)
            self.number.append(count)
            day += datetime.timedelta(days=1)

    def is_workday(self, day: datetime.date) -> bool:
        return self.work[(day - self.first).days]

    def is_holiday(self, day: datetime.date) -> bool:
        return self.holiday[(day - self.first).days]

    def after(self, day: datetime.date, k: int) -> datetime.date:
        """The k-th working day after ``day`` (k ≥ 1)."""
        return self.days[self.number[(day - self.first).days] + k - 1]

    def next_workday(self, day: datetime.date) -> datetime.date:
        """``day`` if it is a working day, else the first one after it."""
        return day if self.is_workday(day) else self.after(day, 1)


class _Generator:
    def __init__(self, rng: random.Random, days: _Workdays, cutoff: datetime.datetime, until: datetime.date):
        self.rng, self.days, self.cutoff, self.until = rng, days, cutoff, until
        self.pauses: list[tuple[datetime.datetime, datetime.datetime, str]] = []

    # --- times ---------------------------------------------------------------------------------

    def _at(self, day: datetime.date, minute: int) -> datetime.datetime:
        return datetime.datetime(day.year, day.month, day.day, minute // 60, minute % 60, int(self.rng.random() * 60))

    def _minute(self, low: int, high: int) -> int:
        return low + int(self.rng.random() * (high - low))

    def _office(self, day: datetime.date, not_before: datetime.datetime | None = None) -> datetime.datetime | None:
        """A time in office hours on ``day`` (not in the lunch break), a few minutes after ``not_before``
        when that is the same day; None when the office has closed by then."""
        low = OFFICE_OPEN
        if not_before is not None and not_before.date() == day:
            low = max(low, not_before.hour * 60 + not_before.minute + 5)
        morning = max(0, LUNCH - low)
        afternoon_from = max(low, AFTERNOON)
        span = morning + max(0, OFFICE_CLOSE - afternoon_from)
        if span <= 0:
            return None
        x = int(self.rng.random() * span)
        return self._at(day, low + x if x < morning else afternoon_from + x - morning)

    def _company(self, start: datetime.datetime, k: int) -> tuple[datetime.datetime, int]:
        """The supply company's act k working days after ``start`` (k = 0: later the same working day),
        in office hours; and the working days that actually took (one more when the day was over)."""
        while True:
            if k == 0:
                day = start.date()
                if self.days.is_workday(day):
                    moment = self._office(day, start)
                    if moment is not None:
                        return moment, 0
                k = 1
                continue
            return self._office(self.days.after(start.date(), k)), k

    def _customer(self, after: datetime.datetime, fewest: int, most: int) -> datetime.datetime:
        """The customer's own act (documents submitted, works finished) some days after ``after``."""
        rng = self.rng
        day = after.date() + datetime.timedelta(days=rng.randint(fewest, most))
        if not self.days.is_workday(day) and rng.random() < 0.7:
            day = self.days.next_workday(day)
        if rng.random() < 0.85:
            moment = self._office(day, after)
            if moment is not None:
                return moment
        moment = self._at(day, self._minute(18 * 60, 22 * 60))
        return moment if moment > after else after + datetime.timedelta(minutes=rng.randint(20, 180))

    def _applied(self, day: datetime.date) -> datetime.datetime:
        rng = self.rng
        if self.days.is_workday(day) and rng.random() < 0.85:
            return self._office(day)
        if self.days.is_workday(day):
            return self._at(day, self._minute(18 * 60, 23 * 60))
        return self._at(day, self._minute(8 * 60, 23 * 60))

    def _stage(self, start: datetime.datetime, k: int, pauses: dict, stage: str) -> datetime.datetime:
        """The end of a stage of k working days of the company's own time from ``start``; a customer
        pause planned for the stage interrupts it after some of those days (its days are not counted)."""
        pause = pauses.get(stage)
        if pause is None:
            return self._company(start, k)[0]
        reason, length = pause
        before = self.rng.randint(0, k)
        paused, before = self._company(start, before)
        resumed, _ = self._company(paused, length)
        self.pauses.append((paused, resumed, reason))
        return self._company(resumed, max(0, k - before))[0]

    # --- one application -----------------------------------------------------------------------

    def application(self, county: str, company: str, day: datetime.date) -> tuple[dict, list]:
        rng = self.rng
        self.pauses = []
        applied = self._applied(day)
        user_class = _pick(rng, CLASS_TABLE)
        low = user_class in ("lv_zero", "lv")
        row = {"app_id": "", "company": company, "county_code": county, "supply": "", "zero_service": "",
               "external_works": False, "grid_upgrade": False, "upgrade_due_date": ""}
        upgrade_due = None
        if low:
            row["zero_service"] = user_class == "lv_zero"
            if user_class == "lv_zero":
                kind = "resident" if rng.random() < 0.74 else "private_org"
                row["external_works"] = rng.random() < EXTERNAL_WORKS_SHARE
            else:
                roll = rng.random()
                if roll < IN_SCOPE_LV_SHARE:
                    kind = "resident" if rng.random() < 0.5 else "private_org"
                else:
                    kind = "other" if rng.random() < 0.65 else "private_org_large"
            capacity = self._low_capacity(kind)
            kind = "private_org" if kind == "private_org_large" else kind
            voltage = 0.22 if capacity <= 10 and kind == "resident" or capacity <= 6 else 0.38
            if rng.random() < GRID_UPGRADE_SHARE:
                row["grid_upgrade"] = True
                upgrade_due = applied.date() + datetime.timedelta(days=rng.randint(12, 150))
                row["upgrade_due_date"] = upgrade_due.isoformat()
                if user_class == "lv_zero" and rng.random() < 0.4:
                    row["external_works"] = True
        else:
            voltage = _pick(rng, HV_VOLTAGE_TABLE)
            if voltage > 10 and user_class == "hv_single" and rng.random() < 0.4:
                user_class = "hv_dual"  # big 35/110 kV customers often take two supplies
            row["supply"] = "dual" if user_class == "hv_dual" else "single"
            kind = "private_org" if rng.random() < (0.5 if user_class == "hv_dual" else 0.7) else "other"
            capacity = self._high_capacity(voltage, user_class)
        row.update(customer_kind=kind, voltage_kv=voltage, capacity_kw=capacity)

        recent = (self.until - day).days <= STALL_RECENT_DAYS
        stall_share = STALL_RECENT_SHARE if recent else STALL_OLD_SHARE
        family = "hv" if not low else user_class
        stall = _pick(rng, STALL_TABLES[family]) if rng.random() < stall_share and upgrade_due is None else None
        late = None
        if rng.random() < LATE_SHARE:
            late = "total" if user_class == "lv_zero" else _pick(rng, LATE_TABLES["hv" if not low else "lv"])
        pauses: dict[str, tuple[str, int]] = {}
        if stall is None and upgrade_due is None and rng.random() < PAUSE_SHARE:
            for _ in range(2 if rng.random() < SECOND_PAUSE_SHARE else 1):
                stage = _pick(rng, PAUSE_TABLES[family])
                reason, fewest, most = rng.choice(PAUSE_REASONS[stage])
                pauses[stage] = (reason, rng.randint(fewest, most))

        times = {f: None for f in TIME_FIELDS}
        times["applied_at"] = applied
        if user_class == "lv_zero":
            self._zero(times, row["external_works"], late, pauses, stall, upgrade_due)
        elif user_class == "lv":
            self._low(times, late, pauses, stall, upgrade_due)
        else:
            self._high(times, user_class, voltage, late, pauses, stall)
        return self._finish(row, times)

    def _low_capacity(self, kind: str) -> int:
        rng = self.rng
        if kind == "resident":
            return rng.choice(RESIDENT_KW)
        if kind == "private_org":
            return min(160, max(3, round(rng.lognormvariate(3.3, 0.8))))
        if kind == "private_org_large":
            return rng.randrange(165, 250, 5)
        return max(5, min(200, round(rng.lognormvariate(3.6, 0.7))))  # other: public bodies etc.

    def _high_capacity(self, voltage: float, user_class: str) -> int:
        rng = self.rng
        if voltage >= 110:
            return rng.randrange(40000, 120000, 5000)
        if voltage >= 35:
            return rng.randrange(6000, 40000, 1000)
        median = 1600 if user_class == "hv_dual" else 500
        return min(8000, max(200, round(rng.lognormvariate(0, 0.7) * median / 50) * 50))

    def _days(self, name: str, limit: int, late: bool) -> int:
        if late:
            return limit + self.rng.choice(LATE_EXTRA)
        return _pick(self.rng, ON_TIME_TABLES[name])

    def _after_upgrade(self, start: datetime.datetime, upgrade_due: datetime.date) -> datetime.datetime:
        """Energisation after the grid upgrade: done early, on its stated date or (often) later."""
        rng = self.rng
        roll = rng.random()
        shift = -rng.randint(1, 10) if roll < 0.2 else (0 if roll < 0.55 else rng.randint(3, 45))
        done = self.days.next_workday(upgrade_due + datetime.timedelta(days=shift))
        ready = self._office(done)
        ready = ready if ready > start else start
        return self._company(ready, _pick(rng, ON_TIME_TABLES["connect_lv"]))[0]

    def _zero(self, t: dict, works: bool, late: str | None, pauses: dict, stall: str | None,
              upgrade_due: datetime.date | None) -> None:
        rng = self.rng
        limit = ZERO_WORKS_LIMIT if works else ZERO_LIMIT
        total = self._days("zero_works" if works else "zero", limit, late == "total")
        accept = min(total, 0 if rng.random() < 0.75 else 1)
        scheme = min(total - accept, 0 if rng.random() < 0.6 else 1)
        t["accepted_at"] = self._stage(t["applied_at"], accept, pauses, "accept")
        if stall == "scheme":
            return
        t["scheme_replied_at"] = self._stage(t["accepted_at"], scheme, pauses, "scheme")
        if stall == "connect":
            return
        if upgrade_due is not None:
            t["energized_at"] = self._after_upgrade(t["scheme_replied_at"], upgrade_due)
        else:
            t["energized_at"] = self._stage(t["scheme_replied_at"], total - accept - scheme, pauses, "connect")

    def _low(self, t: dict, late: str | None, pauses: dict, stall: str | None,
             upgrade_due: datetime.date | None) -> None:
        rng = self.rng
        limits = LIMITS["lv"]
        t["accepted_at"] = self._stage(t["applied_at"], self._days("accept", 1, late == "accept"), pauses, "accept")
        if stall == "scheme":
            return
        t["scheme_replied_at"] = self._stage(t["accepted_at"], self._days("scheme_lv", limits["scheme"],
                                                                          late == "scheme"), pauses, "scheme")
        if stall == "connect":
            return
        if upgrade_due is not None:
            t["energized_at"] = self._after_upgrade(t["scheme_replied_at"], upgrade_due)
            return
        start = t["scheme_replied_at"]
        if rng.random() < CONNECT_READY_SHARE["lv"]:
            start = t["connect_ready_at"] = self._customer(start, 0, 20)
        t["energized_at"] = self._stage(start, self._days("connect_lv", limits["connect"], late == "connect"),
                                        pauses, "connect")

    def _high(self, t: dict, user_class: str, voltage: float, late: str | None, pauses: dict,
              stall: str | None) -> None:
        rng = self.rng
        limits = LIMITS[user_class]
        slow = 1.5 if voltage > 10 else 1.0  # bigger jobs: longer design and construction

        def gap(fewest: int, most: int) -> tuple[int, int]:
            return round(fewest * slow), round(most * slow)

        t["accepted_at"] = self._stage(t["applied_at"], self._days("accept", 1, late == "accept"), pauses, "accept")
        if stall == "scheme":
            return
        t["scheme_replied_at"] = self._stage(t["accepted_at"], self._days(f"scheme_{user_class}", limits["scheme"],
                                                                          late == "scheme"), pauses, "scheme")
        t["design_submitted_at"] = self._customer(t["scheme_replied_at"], *gap(10, 60))
        if stall == "design":
            return
        t["design_reviewed_at"] = self._stage(t["design_submitted_at"],
                                              self._days("design", limits["design"], late == "design"),
                                              pauses, "design")
        previous = t["design_reviewed_at"]
        if rng.random() < MIDCHECK_SHARE:
            t["midcheck_requested_at"] = self._customer(previous, *gap(15, 60))
            t["midcheck_done_at"] = self._stage(t["midcheck_requested_at"],
                                                self._days("midcheck", limits["midcheck"], late == "midcheck"),
                                                pauses, "midcheck")
            previous = t["midcheck_done_at"]
        elif late == "midcheck":
            late = "completion"
        t["completion_requested_at"] = self._customer(previous, *gap(15, 75))
        if stall == "completion":
            return
        t["completion_done_at"] = self._stage(t["completion_requested_at"],
                                              self._days("completion", limits["completion"], late == "completion"),
                                              pauses, "completion")
        start = t["completion_done_at"]
        if rng.random() < CONNECT_READY_SHARE["hv"]:
            start = t["connect_ready_at"] = self._customer(start, 1, 15)
        if stall == "connect":
            return
        t["energized_at"] = self._stage(start, self._days("connect_hv", limits["connect"], late == "connect"),
                                        pauses, "connect")

    def _finish(self, row: dict, times: dict) -> tuple[dict, list]:
        """What the ledger holds at the end of the last day: later times are not known yet."""
        cutoff = self.cutoff
        for field in TIME_FIELDS:
            value = times[field]
            row[field] = value if value is not None and value <= cutoff else None
        row["contact_phone_last4"] = f"{int(self.rng.random() * 10000):04d}"
        pauses = [(start, end if end <= cutoff else None, reason) for start, end, reason in self.pauses
                  if start <= cutoff]
        return {column: row[column] for column in APPLICATION_COLUMNS}, pauses


def generate_applications(structure, *, until: datetime.date, seed: int = 2026,
                          per_county_per_month: float = DEMO_PER_COUNTY_PER_MONTH) -> tuple[list[dict], list[dict]]:
    """(application rows keyed by ``APPLICATION_COLUMNS``, pause rows keyed by ``PAUSE_COLUMNS``) for the
    applications lodged from 1 January of ``until.year`` to the end of ``until``, as the ledgers hold
    them at the end of that day, in order of application time.

    Each county's supplier (``structure.county_supplier``) takes its county's applications, an
    incremental distribution company a share of those in its county; ``per_county_per_month`` is
    the average volume of a county (urban districts and Kunming more, mountain counties fewer).
    app_id is ``YK{county}{n:06d}``, unique across companies. Deterministic by ``seed``; times are
    China time, 'YYYY-MM-DD HH:MM:SS'.
    """
    year = until.year
    first = datetime.date(year, 1, 1)
    if until < first:
        return [], []
    counties = [r for r in read_regions() if r["level"] == "county"]
    weights = county_weights(counties)
    mean_weight = sum(weights.values()) / len(weights)
    days = _Workdays(first, until + datetime.timedelta(days=600))
    period = [first + datetime.timedelta(days=i) for i in range((until - first).days + 1)]

    def day_weight(day: datetime.date) -> float:
        base = 1.0 if days.is_workday(day) else (HOLIDAY_WEIGHT if days.is_holiday(day) else WEEKEND_WEIGHT)
        return base * APPLY_MONTH[day.month]

    day_cum = _cumulative(day_weight(d) for d in period)
    months = len(period) / 30.44
    incremental = {county: code for code, _, county in INCREMENTAL}
    cutoff = datetime.datetime(until.year, until.month, until.day, 23, 59, 59)
    rng = random.Random(f"applications-{seed}-{year}")
    gen = _Generator(rng, days, cutoff, until)

    apps: list[dict] = []
    pause_rows: list[dict] = []
    for county in counties:
        code = county["code"]
        lodged = []
        for _ in range(_poisson(rng, per_county_per_month * weights[code] / mean_weight * months)):
            day = period[bisect.bisect_right(day_cum, rng.random() * day_cum[-1])]
            company = structure.county_supplier[code]
            if code in incremental and rng.random() < INCREMENTAL_SHARE:
                company = incremental[code]
            lodged.append(gen.application(code, company, day))
        lodged.sort(key=lambda item: item[0]["applied_at"])
        for n, (row, pauses) in enumerate(lodged, start=1):
            row["app_id"] = f"YK{code}{n:06d}"
            apps.append(row)
            for start, end, reason in pauses:
                pause_rows.append({"app_id": row["app_id"], "pause_start": start, "pause_end": end, "reason": reason})
    apps.sort(key=lambda r: (r["applied_at"], r["app_id"]))
    pause_rows.sort(key=lambda r: (r["pause_start"], r["app_id"]))
    for row in apps:
        for field in TIME_FIELDS:
            row[field] = _fmt(row[field])
    for row in pause_rows:
        row["pause_start"], row["pause_end"] = _fmt(row["pause_start"]), _fmt(row["pause_end"])
    return apps, pause_rows


def demo_applications_step(structure, say: Callable[[str], None]) -> None:
    """Demo step: a year of connection applications and customer pauses up to ``DEMO_AS_OF``, imported
    through the applications ledger and then the pauses ledger."""
    # the generators above serve bench/ without Django; the import into the database needs it
    from getpower.ledgers.importer import run_import

    started = time.monotonic()
    apps, pauses = generate_applications(structure, until=DEMO_AS_OF, per_county_per_month=DEMO_PER_COUNTY_PER_MONTH)
    for ledger, rows, columns, name in (("applications", apps, APPLICATION_COLUMNS, "demo-applications.csv"),
                                        ("application_pauses", pauses, PAUSE_COLUMNS, "demo-application-pauses.csv")):
        result = run_import(ledger, to_csv(rows, columns), name, channel="demo")
        if not result.ok:
            raise RuntimeError(f"demo data {name} failed to import: {result.errors[:5]}")
        say(f"  {name}: {result.added} 条新增（截至 {DEMO_AS_OF}，{time.monotonic() - started:.1f}s）")
