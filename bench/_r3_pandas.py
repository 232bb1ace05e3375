"""The baselines of the R3 benchmark: frequent outages written with pandas alone.

Both share steps 1–3, vectorised (``counted_pairs``): expand each line outage to its 台区 and
decide each (unit, record) pair. Then:

- ``evaluate_apply`` — the straightforward group-by: ``groupby("unit").apply`` of a function that
  walks one unit's counted records (merge overlaps, keep the period, slide the 60-day window, read
  off the warnings), as most people first write it;
- ``evaluate`` — what a pandas expert writes: merging with a group-wise cumulative max, the year
  and 60-day counts with a group-wise rolling window on a DatetimeIndex (``60D`` minus one second,
  both ends closed: t_last − t_first < 60 × 24 h for whole seconds), then the warnings and status.

Each returns one row per unit with at least one counted outage in the period, like
``result.findings`` (only the findings, not the decisions nor the merged list).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

DAY = 86400
CHINA = 8 * 3600
EVIDENCE = ("disaster_warning", "external_damage")
SWITCHING = ("supply_assurance", "mode_adjustment")


def _day_start(day: int) -> int:
    return day * DAY - CHINA


def _bounds(params, as_of: dt.date) -> dict:
    day_d = (as_of - dt.date(1970, 1, 1)).days
    if params.year_basis == "calendar":
        period_start = _day_start((dt.date(as_of.year, 1, 1) - dt.date(1970, 1, 1)).days)
    else:
        period_start = _day_start(day_d - 364)
    return {"end_of_d": _day_start(day_d + 1), "period_start": period_start,
            "long_from": _day_start(day_d - params.warning_long_days + 1),
            "short_from": _day_start(day_d - params.warning_short_days + 1)}


def counted_pairs(assets: pa.Table, outages: pa.Table, affected: pa.Table, params, as_of: dt.date) -> pd.DataFrame:
    """Steps 1–3, shared by both baselines: the counted (unit, record) pairs, sorted by unit and time."""
    end_of_d = _bounds(params, as_of)["end_of_d"]
    a = assets.select(["asset_pk", "asset_type", "line_pk"]).to_pandas()
    o = outages.select(["outage_pk", "asset_pk", "asset_type", "start_ts", "end_ts", "exclusion",
                        "evidence_ok"]).to_pandas()
    f = affected.select(["outage_pk", "tq_pk"]).to_pandas()

    # 1. records up to the end of D, with their effective end
    o = o[o["start_ts"] < end_of_d].copy()
    o["exclusion"] = o["exclusion"].fillna("none")
    o["evidence_ok"] = o["evidence_ok"].fillna(False).astype(bool)
    o["end_eff"] = o["end_ts"].fillna(end_of_d).clip(upper=end_of_d).astype("int64")
    o = o.drop(columns=["end_ts"])

    # 2. (unit, record) pairs: own unit, listed 台区, or every 台区 of the line
    tq = a.loc[a["asset_type"] == "tq", ["asset_pk", "line_pk"]]
    own = o.assign(unit=o["asset_pk"])
    lines = o[o["asset_type"] == "line"]
    listed_rows = f.drop_duplicates()
    listed = lines.merge(listed_rows, on="outage_pk").merge(tq[["asset_pk"]].rename(columns={"asset_pk": "tq_pk"}),
                                                            on="tq_pk")
    listed = listed.rename(columns={"tq_pk": "unit"})
    unlisted = lines[~lines["outage_pk"].isin(listed_rows["outage_pk"])]
    whole = unlisted.merge(tq.rename(columns={"asset_pk": "unit", "line_pk": "asset_pk"}), on="asset_pk")
    pairs = pd.concat([own, listed, whole], ignore_index=True)

    # 3. each pair decided on its own
    duration = pairs["end_eff"] - pairs["start_ts"]
    accepted = (pairs["exclusion"].isin(EVIDENCE) & pairs["evidence_ok"]) | (
        pairs["exclusion"].isin(SWITCHING) & (duration <= params.short_switching_max_minutes * 60))
    counted = (duration > params.min_minutes * 60) & ~accepted
    c = pairs.loc[counted, ["unit", "start_ts", "end_eff", "outage_pk"]]
    return c.sort_values(["unit", "start_ts", "end_eff", "outage_pk"], ignore_index=True)


def evaluate(assets: pa.Table, outages: pa.Table, affected: pa.Table, params, as_of: dt.date) -> pd.DataFrame:
    """Findings indexed by asset_pk: year_count, max_60d_count, last_long_count, last_short_count,
    status, first_breach_date (steps 4–5 with group-wise vectorised pandas)."""
    b = _bounds(params, as_of)
    period_start, long_from, short_from = b["period_start"], b["long_from"], b["short_from"]
    c = counted_pairs(assets, outages, affected, params, as_of)

    # 4. merge overlapping counted records per unit: running max of the ends
    by_unit = c.groupby("unit", sort=False)
    c["running_max"] = by_unit["end_eff"].cummax()
    c["previous_max"] = c.groupby("unit", sort=False)["running_max"].shift()
    c["new"] = c["previous_max"].isna() | (c["start_ts"] >= c["previous_max"] + params.merge_within_hours * 3600)
    c["group"] = c.groupby("unit", sort=False)["new"].cumsum()
    merged = c.groupby(["unit", "group"], sort=True).agg(start=("start_ts", "min"), end=("end_eff", "max"))
    merged = merged.reset_index()

    # 5. the period, the year count and the 60-day window
    m = merged[merged["start"] >= period_start].copy()
    m["when"] = pd.to_datetime(m["start"], unit="s")
    m = m.sort_values(["unit", "when"], ignore_index=True)
    window = pd.Timedelta(days=params.window_days) - pd.Timedelta(seconds=1)
    rolled = m.groupby("unit", sort=False).rolling(window, on="when", closed="both")["start"].count()
    # the result comes in group order, then time order: the order of ``m`` (sorted by unit and time)
    m["window_count"] = rolled.astype("int64").to_numpy()
    m["position"] = m.groupby("unit", sort=False).cumcount() + 1
    reaches = (m["position"] >= params.year_max_outages + 1) | (m["window_count"] >= params.window_max_outages + 1)
    m["breach_start"] = m["start"].where(reaches)
    m["long"] = m["start"] >= long_from
    m["short"] = m["start"] >= short_from
    out = m.groupby("unit").agg(year_count=("start", "size"), max_60d_count=("window_count", "max"),
                                last_long_count=("long", "sum"), last_short_count=("short", "sum"),
                                first_breach_ts=("breach_start", "min"))
    breach = (out["year_count"] >= params.year_max_outages + 1) | (out["max_60d_count"] >= params.window_max_outages + 1)
    warning = ((out["year_count"] >= params.warning_year_count) | (out["last_long_count"] >= params.warning_long_count)
               | (out["last_short_count"] >= params.warning_short_count))
    out["status"] = np.select([breach, warning], ["breach", "warning"], default="ok")
    days = (out["first_breach_ts"] + CHINA) // DAY
    out["first_breach_date"] = pd.to_datetime(days, unit="D").dt.date.where(days.notna(), None)
    out.index.name = "asset_pk"
    return out.drop(columns=["first_breach_ts"])


def evaluate_apply(assets: pa.Table, outages: pa.Table, affected: pa.Table, params, as_of: dt.date) -> pd.DataFrame:
    """The same findings with steps 4–5 as most people first write them: ``groupby("unit").apply``
    of a function that walks one unit's counted records — merge overlaps, keep the period, slide
    the 60-day window, read off the warnings."""
    b = _bounds(params, as_of)
    gap = params.merge_within_hours * 3600
    window = params.window_days * DAY

    def one_unit(records: pd.DataFrame) -> pd.Series:
        starts = []  # merged outages' starts, in order
        last_end = None
        for start, end in zip(records["start_ts"], records["end_eff"], strict=True):
            if last_end is not None and start < last_end + gap:
                last_end = max(last_end, end)
                continue
            starts.append(start)
            last_end = end
        starts = [s for s in starts if s >= b["period_start"]]
        if not starts:
            return pd.Series(dtype=object)
        first_breach, max_window, left = None, 0, 0
        for right, start in enumerate(starts):
            while start - starts[left] >= window:
                left += 1
            max_window = max(max_window, right - left + 1)
            if first_breach is None and (right + 1 >= params.year_max_outages + 1
                                         or right - left + 1 >= params.window_max_outages + 1):
                first_breach = start
        year, long_n = len(starts), sum(s >= b["long_from"] for s in starts)
        short_n = sum(s >= b["short_from"] for s in starts)
        if year >= params.year_max_outages + 1 or max_window >= params.window_max_outages + 1:
            status = "breach"
        elif (year >= params.warning_year_count or long_n >= params.warning_long_count
              or short_n >= params.warning_short_count):
            status = "warning"
        else:
            status = "ok"
        day = None if first_breach is None else dt.date(1970, 1, 1) + dt.timedelta(days=(first_breach + CHINA) // DAY)
        return pd.Series({"year_count": year, "max_60d_count": max_window, "last_long_count": long_n,
                          "last_short_count": short_n, "status": status, "first_breach_date": day})

    c = counted_pairs(assets, outages, affected, params, as_of)
    out = c.groupby("unit", sort=True)[["start_ts", "end_eff"]].apply(one_unit)
    if isinstance(out, pd.Series):  # every group empty
        out = out.unstack()
    out = out.dropna(how="all")
    out.index.name = "asset_pk"
    return out


def compare(findings: pa.Table, frame: pd.DataFrame) -> dict:
    """Unit-level agreement of the pandas findings with the engine's: units on one side only, units
    whose status differs, and units where any of the counts or the first breach date differs."""
    duck = findings.select(["asset_pk", "status", "year_count", "max_60d_count", "last_long_count",
                            "last_short_count", "first_breach_date"]).to_pandas().set_index("asset_pk")
    ours = frame.reindex(columns=duck.columns)
    both = duck.index.intersection(ours.index)
    only_duck = int(len(duck.index.difference(ours.index)))
    only_pandas = int(len(ours.index.difference(duck.index)))
    d, p = duck.loc[both], ours.loc[both]
    status_diff = int((d["status"] != p["status"]).sum())
    counts = ["year_count", "max_60d_count", "last_long_count", "last_short_count"]
    counts_diff = int((d[counts].to_numpy() != p[counts].to_numpy().astype("int64")).any(axis=1).sum())
    date_diff = int((d["first_breach_date"].astype(object).to_numpy() != p["first_breach_date"].astype(object).to_numpy())
                    .sum())
    return {"units_duckdb": int(len(duck)), "units_pandas": int(len(ours)), "only_duckdb": only_duck,
            "only_pandas": only_pandas, "status_mismatches": status_diff + only_duck + only_pandas,
            "count_mismatches": counts_diff, "first_breach_date_mismatches": date_diff}
