"""Synthetic connection applications for the R2 benchmark, generated with numpy straight into the
Arrow schemas the rule takes (``rules.APPLICATION_SCHEMA``, ``rules.PAUSE_SCHEMA``).

The shape (seeded, deterministic; the proportions of ``getpower.synthetic.applications``):

- 1,000,000 applications lodged from 1 December 2025 to the as-of time, three quarters in office
  hours, the rest online in the evening; classes 75 % 三零 low voltage (``lv_zero``, 15 % of them with
  external works), 10 % other low voltage (``lv``), 12 % high-voltage single supply, 3 % dual
  supply (10 kV mostly, a few 35 and 110 kV);
- each stage of the class in its order — 受理, 供电方案答复, for high voltage 设计审查, 中间检查
  (45 % of the jobs), 竣工检验, then 装表接电 (from connect_ready when given: 55 % of lv, 35 % of
  hv jobs, else from the fallback) — finished a drawn number of **working days** after it started
  (the shipped 2025/2026 schedules, so holidays are skipped), in office hours; the customer's own
  design and construction time between the stages in calendar days;
- 8 % of the applications late at one stage (1–10 working days over), 3 % stalled after some stage;
- customer pauses on 10 % of the applications (10 % of those two), inside a stage, 1–20 working
  days, the stage extended by the pause; a few still open at T;
- everything after the as-of time T is not yet known (null), as in a database read at T.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pyarrow as pa

# on-time working days of each stage and the extra days of a late one: the demo generator's own
from getpower.synthetic.applications import LATE_EXTRA, ON_TIME

SEED = 2026
DAY = 86400
CHINA = 8 * 3600
EPOCH = dt.date(1970, 1, 1)
FIRST_DAY = dt.date(2025, 12, 1)
CAL_LAST = dt.date(2027, 6, 30)
CLASSES = ("lv_zero", "lv", "hv_single", "hv_dual")
CLASS_SHARES = (0.75, 0.10, 0.12, 0.03)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def day_start_ts(day: np.ndarray | int) -> np.ndarray | int:
    return day * DAY - CHINA


class Workdays:
    """Working days of the shipped calendar as arrays: ``wn[d]`` the running number of day d (days
    since ``first``), ``day_of[n]`` the first day with number n."""

    def __init__(self, first: dt.date = FIRST_DAY, last: dt.date = CAL_LAST):
        from getpower.workdays.shipped import shipped_calendar

        calendar = shipped_calendar()
        self.first = day_number(first)
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        work = np.array([calendar.is_workday(d) for d in days])
        self.wn = np.cumsum(work)
        self.day_of = np.searchsorted(self.wn, np.arange(self.wn[-1] + 1), side="left")

    def after(self, ts: np.ndarray, k: np.ndarray, rng, office: bool = True) -> np.ndarray:
        """A time k working days after the day of ``ts`` (k = 0: the same day, later), in office hours."""
        day = (ts + CHINA) // DAY - self.first
        target = np.minimum(self.wn[day] + k, self.wn[-1])
        target_day = np.where(k == 0, day, self.day_of[target])
        at = day_start_ts(target_day + self.first) + _office_seconds(rng, ts.size)
        return np.maximum(at, ts + 60)


def _office_seconds(rng, size: int) -> np.ndarray:
    return (8 * 3600 + 1800 + rng.integers(0, 9 * 3600, size=size)).astype(np.int64)


def _draw(rng, name: str, size: int) -> np.ndarray:
    values, weights = ON_TIME[name]
    w = np.array(weights, dtype=float)
    return rng.choice(np.array(values), size=size, p=w / w.sum())


def generate(count: int = 1_000_000, as_of_ts: int | None = None, pause_share: float = 0.10,
             seed: int = SEED) -> dict:
    started = time.monotonic()
    rng = np.random.default_rng(seed)
    days = Workdays()
    t = as_of_ts
    first_ts = day_start_ts(day_number(FIRST_DAY))
    span_days = (t - first_ts) // DAY
    klass = rng.choice(4, size=count, p=CLASS_SHARES)
    low = klass <= 1
    hv = ~low
    # lodged: office hours (75 %) or online in the evening
    day = rng.integers(0, span_days + 1, size=count)
    evening = rng.random(count) < 0.25
    applied = first_ts + day * DAY + np.where(evening, 19 * 3600 + rng.integers(0, 4 * 3600, size=count),
                                              _office_seconds(rng, count))
    applied = np.minimum(applied, t)
    late_stage = np.where(rng.random(count) < 0.08, rng.integers(0, 6, size=count), -1)
    late_extra = rng.choice(np.array(LATE_EXTRA), size=count)
    paused = rng.random(count) < pause_share
    r = rng.integers(0, 6, size=count)  # the stage paused, among the class's own
    pause_stage = np.where(paused, np.select([klass == 0, klass == 1], [r % 2, np.array([0, 1, 5])[r % 3]], r), -1)
    pause_len = rng.integers(1, 21, size=count)
    pauses: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    times: dict[str, np.ndarray] = {}

    def stage(number: int, start: np.ndarray, k: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """End of stage ``number`` started at ``start`` taking k working days (+ late, + pause)."""
        k = k + np.where(late_stage == number, late_extra, 0)
        here = mask & (pause_stage == number)
        if here.any():
            into = np.minimum(rng.integers(0, 3, size=start.size), k)
            p_start = days.after(start, into, rng)
            p_end = days.after(p_start, pause_len, rng)
            pauses.append((np.flatnonzero(here), p_start[here], p_end[here]))
            k = k + np.where(here, pause_len, 0)
        return days.after(start, k, rng)

    accepted = stage(0, applied, _draw(rng, "accept", count), np.ones(count, bool))
    scheme_k = np.where(low, _draw(rng, "scheme_lv", count),
                        np.where(klass == 2, _draw(rng, "scheme_hv_single", count), _draw(rng, "scheme_hv_dual", count)))
    scheme = stage(1, accepted, scheme_k, np.ones(count, bool))
    # high voltage: the customer's design, the review, construction, checks
    design_sub = scheme + rng.integers(3, 40, size=count) * DAY + rng.integers(0, 3600, size=count)
    design_rev = stage(2, design_sub, _draw(rng, "design", count), hv)
    midcheck = hv & (rng.random(count) < 0.45)
    mid_req = design_rev + rng.integers(10, 60, size=count) * DAY + rng.integers(0, 3600, size=count)
    mid_done = stage(3, mid_req, _draw(rng, "midcheck", count), midcheck)
    comp_req = np.where(midcheck, mid_done, design_rev) + rng.integers(10, 60, size=count) * DAY
    comp_done = stage(4, comp_req, _draw(rng, "completion", count), hv)
    # connect: from connect_ready when given, else from the fallback
    ready_share = np.where(low, 0.55, 0.35)
    ready = (rng.random(count) < ready_share) & (klass != 0)
    before = np.where(low, scheme, comp_done)
    connect_ready = before + rng.integers(1, 15, size=count) * DAY + rng.integers(0, 3600, size=count)
    connect_start = np.where(ready, connect_ready, before)
    connect_k = np.where(low, _draw(rng, "connect_lv", count), _draw(rng, "connect_hv", count))
    energized = stage(5, connect_start, connect_k, klass != 0)
    # 三零: the whole process within 5 (15 with external works) working days
    works = (klass == 0) & (rng.random(count) < 0.15)
    zero_k = np.where(works, _draw(rng, "zero_works", count), _draw(rng, "zero", count))
    zero_k = zero_k + np.where(late_stage >= 0, late_extra, 0) + np.where(paused, pause_len, 0)
    zero_energized = days.after(applied, np.maximum(zero_k, 0), rng)
    zero_energized = np.maximum(zero_energized, scheme + 60)
    energized = np.where(klass == 0, zero_energized, energized)

    times = {
        "applied_ts": applied, "accepted_ts": accepted, "scheme_replied_ts": scheme,
        "design_submitted_ts": np.where(hv, design_sub, 0), "design_reviewed_ts": np.where(hv, design_rev, 0),
        "midcheck_requested_ts": np.where(midcheck, mid_req, 0), "midcheck_done_ts": np.where(midcheck, mid_done, 0),
        "completion_requested_ts": np.where(hv, comp_req, 0), "completion_done_ts": np.where(hv, comp_done, 0),
        "connect_ready_ts": np.where(ready, connect_ready, 0), "energized_ts": energized,
    }
    # 3 % stalled after some event: every later time missing
    order = list(times)
    stall_at = np.where(rng.random(count) < 0.03, rng.integers(2, len(order), size=count), len(order))
    columns = {}
    for i, name in enumerate(order):
        value = times[name]
        missing = (value == 0) | (value > t) | (i >= stall_at)
        columns[name] = pa.array(value, pa.int64(), mask=missing)
    voltage = np.where(low, np.where(rng.random(count) < 0.7, 0.22, 0.38),
                       rng.choice(np.array([10.0, 35.0, 110.0]), size=count, p=[0.957, 0.03, 0.013]))
    supply = np.where(klass == 3, "dual", "single")
    kind = rng.choice(np.array(["resident", "private", "public"]), size=count, p=[0.7, 0.25, 0.05])
    app_pk = np.arange(1, count + 1, dtype=np.int64)
    county = rng.choice(np.array(["530102", "530103", "530111", "532801", "530302", "530402"]), size=count)
    applications = pa.table({
        "app_pk": app_pk,
        "app_id": pa.array(np.char.add("YK", np.char.zfill(app_pk.astype(str), 8))),
        "company": pa.array(np.char.add("PG-", county)),
        "county_code": pa.array(county),
        "calendar_key": pa.array(np.full(count, ""), pa.string()),
        "customer_kind": pa.array(kind),
        "voltage_kv": pa.array(voltage, pa.float64()),
        "supply": pa.array(supply, mask=low),
        "capacity_kw": pa.array(np.where(low, rng.integers(4, 160, size=count), rng.integers(200, 8000, size=count))
                                .astype(float)),
        "zero_service": pa.array(klass == 0, mask=hv),
        "external_works": pa.array(works),
        "grid_upgrade": pa.array(low & (rng.random(count) < 0.02)),
        **columns,
    })
    # pauses: drop those not begun by T, hide ends after T (still paused)
    index = np.concatenate([p[0] for p in pauses])
    p_start = np.concatenate([p[1] for p in pauses])
    p_end = np.concatenate([p[2] for p in pauses])
    second = rng.random(index.size) < 0.10  # a second pause a few days later in the same stage
    index = np.concatenate([index, index[second]])
    p_start2 = p_end[second] + rng.integers(1, 5, size=int(second.sum())) * DAY
    p_end2 = p_start2 + rng.integers(1, 10, size=int(second.sum())) * DAY
    p_start = np.concatenate([p_start, p_start2])
    p_end = np.concatenate([p_end, p_end2])
    begun = p_start <= t
    order = np.lexsort((p_start[begun], index[begun]))
    pause_table = pa.table({
        "app_pk": pa.array(app_pk[index[begun]][order]),
        "pause_start_ts": pa.array(p_start[begun][order]),
        "pause_end_ts": pa.array(p_end[begun][order], mask=(p_end[begun] > t)[order]),
    })
    stats = {"applications": count, "pauses": pause_table.num_rows,
             "classes": {c: int((klass == i).sum()) for i, c in enumerate(CLASSES)},
             "energized": count - applications["energized_ts"].null_count,
             "open_pauses": pause_table["pause_end_ts"].null_count,
             "first_day": str(FIRST_DAY), "generate_seconds": round(time.monotonic() - started, 1)}
    return {"applications": applications, "pauses": pause_table, "stats": stats}
