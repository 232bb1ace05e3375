"""Synthetic province-scale outage data for the R3 benchmark, generated with numpy straight into
Arrow (no per-row Python except the 320,000 assets of ``getpower.synthetic.province``), and loaded
into SQLite (``executemany`` in chunks) or PostgreSQL (``COPY … FROM STDIN`` of CSV written by
pyarrow) without going through the ledger importer.

The shape of the year (seeded, deterministic):

- assets: the synthetic Yunnan of ``generate_assets(lines_total=20000, tq_per_line=15)``; primary
  keys 1…N in file order (each line followed by its 台区, so a line's 台区 are pk+1…pk+n);
- 10 % of the outage rows are **line** outages. Lines differ a lot: 75 % ordinary, 18 % weak
  (3× the rate), 7 % chronic (15×); the rainy season (June–September) has twice the faults;
- every line outage cuts all the 台区 of its line; 20 % of them list their 台区 in
  ``outages_outageaffected`` (half of those list all of them, half a subset: a branch trip);
- **echo records**: the same trip recorded again on some of the 台区 it cut (starting 0–120 s
  later, overlapping, so merging counts it once) — about 55 % of the 台区 rows;
- the other 台区 rows are the 台区's own outages, 5 % of 台区 chronic (8× the rate);
- durations: 35 % momentary (5–180 s, auto-reclose: not counted), planned/temporary work of
  hours, faults of minutes to hours; 0.05 % still going on at the end of the year;
- exclusion claims on 5 % of the rows: disaster warning / external damage (75 % with their
  evidence), supply-assurance / mode-adjustment switching (mostly 5–40 min, so some rejected).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SEED = 2026
DAY = 86400
CHINA = 8 * 3600
AS_OF = dt.date(2026, 11, 25)
KINDS = np.array(["fault", "planned", "temporary", "shedding"])
EXCLUSIONS = np.array(["disaster_warning", "external_damage", "supply_assurance", "mode_adjustment"])


def _day_ts(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * DAY - CHINA


def generate(lines_total: int = 20_000, tq_per_line: float = 15, outages_total: int = 2_000_000,
             line_share: float = 0.10, exclusion_share: float = 0.05, as_of: dt.date = AS_OF,
             seed: int = SEED) -> dict[str, pa.Table]:
    """The tables ``assets``, ``outages`` and ``affected`` (Arrow), with their DB columns."""
    from getpower.synthetic.province import build_structure, generate_assets

    timings = {}
    started = time.monotonic()
    structure = build_structure()
    rows = list(generate_assets(structure, lines_total=lines_total, tq_per_line=tq_per_line))
    n = len(rows)
    pk = np.arange(1, n + 1, dtype=np.int64)
    is_line = np.array([r["asset_type"] == "line" for r in rows])
    line_pk_of = np.maximum.accumulate(np.where(is_line, pk, 0))  # each 台区's line: the last line before it
    assets = pa.table({
        "id": pk,
        "asset_id": pa.array([r["asset_id"] for r in rows]),
        "asset_type": pa.array(["line" if x else "tq" for x in is_line]),
        "name": pa.array([r["name"] for r in rows]),
        "company": pa.array([r["company"] for r in rows]),
        "county_id": pa.array([r["county_code"] for r in rows]),
        "township_code": pa.array([r["township_code"] for r in rows]),
        "line_id": pa.array(np.where(is_line, 0, line_pk_of), mask=is_line),
        "rated_kva": pa.array([float(r["rated_kva"]) if r["rated_kva"] != "" else None for r in rows],
                              pa.float64()),
        "users": pa.array([int(r["users"]) for r in rows], pa.int64()),
        "area_type": pa.array([r["area_type"] for r in rows]),
    })
    del rows
    timings["assets_s"] = time.monotonic() - started
    started = time.monotonic()
    rng = np.random.default_rng(seed)
    line_pks = pk[is_line]
    tq_count = np.diff(np.append(np.flatnonzero(is_line), n)) - 1  # 台区 after each line
    tq_pks = pk[~is_line]
    end_ts = _day_ts(as_of + dt.timedelta(days=1))
    first_ts = end_ts - 365 * DAY
    day_weights = _season(first_ts)

    # -- line outages
    n_line = int(round(outages_total * line_share))
    kind = rng.choice(3, size=line_pks.size, p=[0.75, 0.18, 0.07])
    weight = np.array([1.0, 3.0, 15.0])[kind] * rng.gamma(2.0, 0.5, size=line_pks.size)
    line_idx = rng.choice(line_pks.size, size=n_line, p=weight / weight.sum())
    l_start = _starts(rng, n_line, first_ts, day_weights)
    l_dur, l_kind = _durations(rng, n_line)
    l_asset = line_pks[line_idx]
    # listed 台区: 20 % of line outages; half all of them, half a branch (subset)
    listed = rng.random(n_line) < 0.20
    subset = listed & (rng.random(n_line) < 0.5)
    reps = tq_count[line_idx]
    o_rep = np.repeat(np.arange(n_line), reps)  # candidate (line outage, 台区) pairs
    offsets = np.arange(o_rep.size) - np.repeat(np.cumsum(reps) - reps, reps)
    cand_tq = l_asset[o_rep] + 1 + offsets
    keep_listed = listed[o_rep] & (~subset[o_rep] | (rng.random(o_rep.size) < 0.5))
    aff_outage, aff_tq = o_rep[keep_listed], cand_tq[keep_listed]
    cut = ~listed[o_rep] | keep_listed  # the 台区 the outage actually cut
    cut_outage, cut_tq = o_rep[cut], cand_tq[cut]

    # -- 台区 rows: echoes of line trips, then the 台区's own outages
    n_tq_rows = outages_total - n_line
    n_echo = min(int(n_tq_rows * 0.55), cut_outage.size)
    pick = np.sort(rng.choice(cut_outage.size, size=n_echo, replace=False))
    e_src = cut_outage[pick]
    e_asset = cut_tq[pick]
    e_start = l_start[e_src] + rng.integers(0, 121, size=n_echo)
    e_dur = np.maximum(l_dur[e_src] + rng.integers(-60, 61, size=n_echo), 1)
    e_kind = l_kind[e_src]
    n_own = n_tq_rows - n_echo
    tq_weight = np.where(rng.random(tq_pks.size) < 0.05, 8.0, 1.0) * rng.gamma(2.0, 0.5, size=tq_pks.size)
    own_asset = tq_pks[rng.choice(tq_pks.size, size=n_own, p=tq_weight / tq_weight.sum())]
    own_start = _starts(rng, n_own, first_ts, day_weights)
    own_dur, own_kind = _durations(rng, n_own)

    asset = np.concatenate([l_asset, e_asset, own_asset])
    start = np.concatenate([l_start, e_start, own_start])
    duration = np.concatenate([l_dur, e_dur, own_dur])
    kinds = np.concatenate([l_kind, e_kind, own_kind])
    total = asset.size
    # exclusion claims
    claim = rng.random(total) < exclusion_share
    which = rng.choice(4, size=total, p=[0.40, 0.25, 0.20, 0.15])
    exclusion = np.where(claim, EXCLUSIONS[which], "none")
    switching = claim & (which >= 2)
    duration = np.where(switching, rng.integers(5 * 60, 40 * 60, size=total), duration)
    evidence_bad = claim & (which < 2) & (rng.random(total) >= 0.75)
    end = start + duration
    ongoing = (rng.random(total) < 0.0005)
    start = np.where(ongoing, end_ts - rng.integers(600, 3 * DAY, size=total), start)
    start = np.minimum(start, end_ts - 1)
    end_mask = ongoing | (end >= end_ts)  # not yet restored at the end of the year: no end time

    outage_pk = np.arange(1, total + 1, dtype=np.int64)
    asset_type = np.where(np.arange(total) < n_line, "line", "tq")
    company = assets["company"].take(pa.array(asset - 1))
    county = assets["county_id"].take(pa.array(asset - 1))
    event_id = pc.binary_join_element_wise(pa.scalar("E"), pc.cast(pa.array(outage_pk), pa.string()), "")
    affected_json = [""] * total
    a_ids = assets["asset_id"]
    by_outage: dict[int, list] = {}
    for o, t in zip(aff_outage.tolist(), aff_tq.tolist(), strict=True):
        by_outage.setdefault(o, []).append(t)
    for o, tqs in by_outage.items():
        affected_json[o] = json.dumps(a_ids.take(pa.array(np.array(tqs) - 1)).to_pylist(), ensure_ascii=False)
    affected_col = pa.array([s or "[]" for s in affected_json])
    problem = np.where(evidence_bad, np.where(which == 0, "预警文号缺失", "外力破坏情况未说明"), "")
    warning = claim & (which == 0) & ~evidence_bad
    outages = pa.table({
        "id": outage_pk,
        "event_id": event_id,
        "asset_id": asset,
        "asset_type": asset_type,
        "company": company,
        "county_id": county,
        "start_ts": start,
        "end_ts": pa.array(end, mask=end_mask),
        "kind": kinds,
        "cause": np.where(kinds == "fault", "线路故障", np.where(kinds == "shedding", "有序用电", "检修")),
        "exclusion": exclusion,
        "warning_ref": np.where(warning, "云气发〔2026〕12号", ""),
        "warning_issuer": np.where(warning, "云南省气象台", ""),
        "warning_level": np.where(warning, "province", ""),
        "warning_ts": pa.array(start - 6 * 3600, mask=~warning),
        "affected_tq": affected_col,
        "users_affected": pa.array(np.zeros(total, dtype=np.int64), mask=np.ones(total, dtype=bool)),
        "evidence_problem": problem,
    })
    affected = pa.table({"id": np.arange(1, aff_outage.size + 1, dtype=np.int64),
                         "outage_id": aff_outage.astype(np.int64) + 1, "tq_id": aff_tq.astype(np.int64)})
    timings["outages_s"] = time.monotonic() - started
    stats = {
        "assets": n, "lines": int(line_pks.size), "tq": int(tq_pks.size), "outages": total, "line_outages": n_line,
        "tq_echo_outages": int(n_echo), "tq_own_outages": int(n_own), "affected_rows": int(aff_outage.size),
        "listed_line_outages": int(listed.sum()), "exclusion_claims": int(claim.sum()),
        "ongoing": int(end_mask.sum()), "first_day": str(dt.date(1970, 1, 1) + dt.timedelta(days=(first_ts + CHINA) // DAY)),
        "last_day": str(as_of), **{k: round(v, 1) for k, v in timings.items()},
    }
    return {"assets": assets, "outages": outages, "affected": affected, "stats": stats}


def _season(first_ts: int) -> np.ndarray:
    """Weights of the 365 days: the rainy season (June–September) twice as many faults."""
    days = (first_ts + CHINA) // DAY + np.arange(365)
    months = np.array([(dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).month for d in days])
    w = np.where((months >= 6) & (months <= 9), 2.0, 1.0)
    return w / w.sum()


def _starts(rng, size: int, first_ts: int, day_weights: np.ndarray) -> np.ndarray:
    day = rng.choice(day_weights.size, size=size, p=day_weights)
    return first_ts + day * DAY + rng.integers(0, DAY, size=size)


def _durations(rng, size: int) -> tuple[np.ndarray, np.ndarray]:
    """35 % momentary (not counted), 15 % planned/temporary (hours), 50 % faults; the kind."""
    u = rng.random(size)
    momentary = rng.integers(5, 181, size=size)
    planned = np.clip(rng.lognormal(np.log(4 * 3600), 0.5, size=size), 1800, 12 * 3600)
    fault = np.clip(rng.lognormal(np.log(90 * 60), 1.0, size=size), 181, 2 * DAY)
    duration = np.where(u < 0.35, momentary, np.where(u < 0.50, planned, fault)).astype(np.int64)
    kind = np.where(u < 0.35, "fault", np.where(u < 0.44, "planned", np.where(u < 0.50, "temporary",
                                                                                 "fault")))
    shedding = rng.random(size) < 0.01
    return duration, np.where(shedding & (u >= 0.50), "shedding", kind)


def save(data: dict, directory: Path) -> dict[str, str]:
    import pyarrow.feather as feather

    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in ("assets", "outages", "affected"):
        path = directory / f"{name}.arrow"
        feather.write_feather(data[name], path, compression="uncompressed")
        paths[name] = str(path)
    (directory / "stats.json").write_text(json.dumps(data["stats"], indent=2))
    return paths


def read(path: str) -> pa.Table:
    import pyarrow.feather as feather

    return feather.read_table(path, memory_map=True)


# -- loading (child process, Django set up) --------------------------------------------------------
ASSET_COLUMNS = ["id", "asset_id", "asset_type", "name", "township_code", "rated_kva", "users", "area_type",
                 "company_id", "county_id", "line_id"]
OUTAGE_COLUMNS = ["id", "event_id", "asset_type", "start_time", "end_time", "kind", "cause", "exclusion",
                  "warning_ref", "warning_issuer", "warning_level", "warning_time", "affected_tq",
                  "users_affected", "evidence_problem", "asset_id", "company_id", "county_id"]
AFFECTED_COLUMNS = ["id", "outage_id", "tq_id"]


def _with_company_ids(table: pa.Table, company_ids: dict[str, int]) -> pa.Table:
    codes = table["company"].combine_chunks()
    keys = pa.array(list(company_ids))
    ids = pa.array(list(company_ids.values()), pa.int64())
    index = pc.index_in(codes, value_set=keys)
    if index.null_count:
        raise ValueError("unknown company codes in the generated data")
    return table.append_column("company_id", ids.take(index))


def _timestamps(column: pa.ChunkedArray | pa.Array, pg: bool) -> pa.Array:
    """Epoch seconds as the text each database stores (UTC): SQLite 'YYYY-MM-DD HH:MM:SS' (Django's
    own format), PostgreSQL the same with '+00'."""
    stamps = pc.cast(column, pa.timestamp("s"))
    text = pc.strftime(stamps, format="%Y-%m-%d %H:%M:%S")
    return pc.binary_join_element_wise(text, pa.scalar("+00"), "") if pg else text


def db_tables(paths: dict[str, str], company_ids: dict[str, int], pg: bool) -> dict[str, pa.Table]:
    assets = _with_company_ids(read(paths["assets"]), company_ids)
    outages = _with_company_ids(read(paths["outages"]), company_ids)
    outages = outages.append_column("start_time", _timestamps(outages["start_ts"], pg))
    outages = outages.append_column("end_time", _timestamps(outages["end_ts"], pg))
    outages = outages.append_column("warning_time", _timestamps(outages["warning_ts"], pg))
    return {"grid_asset": assets.select(ASSET_COLUMNS), "outages_outage": outages.select(OUTAGE_COLUMNS),
            "outages_outageaffected": read(paths["affected"]).select(AFFECTED_COLUMNS)}


def _set_aside(cursor, vendor: str, table: str) -> list[str]:
    """Drop the table's secondary indexes (and, on PostgreSQL, its foreign keys and unique
    constraints) before a bulk load; returns the statements that put them back (each validated
    in one pass afterwards, much cheaper than maintaining them row by row)."""
    restore = []
    if vendor == "sqlite":
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                       "AND sql IS NOT NULL", [table])
        for name, sql in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
            restore.append(sql)
        return restore
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                   "AND contype IN ('f', 'u') ORDER BY contype DESC", [table])
    constraints = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                   "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table])
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    restore += [sql for _, sql in indexes]
    restore += [f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {sql}' for name, sql in reversed(constraints)]
    return restore


def load_sqlite(tables: dict[str, pa.Table], chunk: int = 100_000) -> dict:
    """executemany in chunks of ``chunk`` rows on the raw sqlite3 connection, secondary indexes
    dropped during the load and re-created after, all in one transaction."""
    from django.db import connection, transaction

    out = {}
    with transaction.atomic(), connection.cursor() as cursor:
        raw = connection.connection  # sqlite3.Connection: '?' placeholders, no wrapper per call
        for name, table in tables.items():
            started = time.monotonic()
            restore = _set_aside(cursor, "sqlite", name)
            cols = ", ".join(f'"{c}"' for c in table.column_names)
            sql = f'INSERT INTO "{name}" ({cols}) VALUES ({", ".join(["?"] * table.num_columns)})'
            for batch in table.to_batches(chunk):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                raw.executemany(sql, zip(*columns, strict=True))
            inserted = time.monotonic()
            for statement in restore:
                cursor.execute(statement)
            out[name] = round(time.monotonic() - started, 1)
            out[f"{name}_indexes"] = round(time.monotonic() - inserted, 1)
    return out


def load_postgres(tables: dict[str, pa.Table], chunk: int = 200_000) -> dict:
    """COPY … FROM STDIN (FORMAT csv) of pyarrow-written CSV, foreign keys, unique constraints and
    secondary indexes set aside during the copy and put back after; then the sequences and ANALYZE."""
    import io

    import pyarrow.csv as pacsv
    from django.db import connection, transaction

    out = {}
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor behind Django's wrapper
        for name, table in tables.items():
            started = time.monotonic()
            restore = _set_aside(cursor, "postgresql", name)
            cols = ", ".join(f'"{c}"' for c in table.column_names)
            with raw.copy(f'COPY "{name}" ({cols}) FROM STDIN WITH (FORMAT csv)') as copy:
                for batch in table.to_batches(chunk):
                    buffer = io.BytesIO()
                    pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False,
                                                                      quoting_style="all_valid"))
                    copy.write(buffer.getvalue())
            copied = time.monotonic()
            for statement in restore:
                raw.execute(statement)
            raw.execute(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), (SELECT MAX(id) FROM \"{name}\"))")
            out[name] = round(time.monotonic() - started, 1)
            out[f"{name}_indexes"] = round(time.monotonic() - copied, 1)
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out["analyze"] = round(time.monotonic() - started, 1)
    return out
