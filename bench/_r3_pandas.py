"""The baseline of the R3 benchmark: frequent outages written plainly with pandas group-bys.

What a data analyst would write from ``docs/rules-r3.md`` with pandas alone: expand each line
outage to its 台区, decide each (unit, record) pair, merge overlapping counted records per unit
with a group-wise cumulative max, count the year and the 60-day window with a group-wise rolling
window on a DatetimeIndex (``60D`` minus one second, both ends closed: t_last − t_first < 60 × 24 h
for whole seconds), then the warnings and the status. It returns one row per unit with at least one
counted outage in the period, like ``result.findings`` (only the findings, not the decisions nor
the merged list).
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


def evaluate(assets: pa.Table, outages: pa.Table, affected: pa.Table, params, as_of: dt.date) -> pd.DataFrame:
    """Findings indexed by asset_pk: year_count, max_60d_count, last_long_count, last_short_count,
    status, first_breach_date."""
    day_d = (as_of - dt.date(1970, 1, 1)).days
    end_of_d = _day_start(day_d + 1)
    if params.year_basis == "calendar":
        period_start = _day_start((dt.date(as_of.year, 1, 1) - dt.date(1970, 1, 1)).days)
    else:
        period_start = _day_start(day_d - 364)
    long_from = _day_start(day_d - params.warning_long_days + 1)
    short_from = _day_start(day_d - params.warning_short_days + 1)

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
    c = c.sort_values(["unit", "start_ts", "end_eff", "outage_pk"], ignore_index=True)

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
