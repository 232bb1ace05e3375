"""Connection time limits (rules R2) from the database to stored findings; the 三零 scope check;
the applicant's progress lookup. The rule itself lives in ``rules.py``."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction
from django.db.models import Q

from getpower.analytics.extract import bulk_read, epoch, query_arrow
from getpower.core.models import EvaluationRun, Organisation
from getpower.domains import runs
from getpower.ledgers.bulk import fast_insert
from getpower.rulebook.services import Rulebook, rulebook_at
from getpower.workdays.calendar import CHINA, load_calendar

from . import rules
from .models import TIME_FIELDS, Application, TimeLimitFinding

RULE = "R2"
STAGE_LABELS = {"accept": "业务受理", "scheme": "供电方案答复", "design": "设计审查", "midcheck": "中间检查",
                "completion": "竣工检验", "connect": "装表接电", "total": "全过程"}
CLASS_LABELS = {"lv_zero": "低压三零", "lv": "低压非三零", "hv_single": "高压单电源", "hv_dual": "高压双电源"}
STATUS_LABELS = {"ok": "按时", "late": "超时办结", "open": "办理中", "overdue": "已超期"}


@dataclass
class R2Evaluation:
    as_of: dt.datetime
    rulebook: Rulebook
    result: rules.R2Result
    engine: str
    run: EvaluationRun | None = None
    seconds: float = 0.0

    @property
    def provisional(self) -> bool:
        return bool(pc.any(self.result.checks["provisional"]).as_py()) if self.result.checks.num_rows else False


def calendar_keys(county_codes: set[str]) -> dict[str, str]:
    """An application's calendar: its county's own when regional rest days reach it, else national."""
    cal = load_calendar()
    return {county: county for county in county_codes if cal.rest_days_for(county)}


def extract_tables(app_pks: list[int] | None = None) -> tuple[pa.Table, pa.Table]:
    where, params = "", []
    if app_pks is not None:
        where = f" WHERE a.id IN ({','.join(['%s'] * len(app_pks))})"
        params = list(app_pks)
    times = ", ".join(epoch(f"a.{f}") for f in TIME_FIELDS)
    pause_where = f" WHERE p.application_id IN ({','.join(['%s'] * len(app_pks))})" if app_pks is not None else ""
    with bulk_read(app_pks is None):  # every application: through ADBC, as of one moment
        apps = query_arrow(
            "SELECT a.id, a.app_id, c.org_code, a.county_id, '' , a.customer_kind, a.voltage_kv, a.supply, "
            f"a.capacity_kw, a.zero_service, a.external_works, a.grid_upgrade, {times} "
            "FROM connections_application a JOIN core_organisation c ON c.id = a.company_id" + where,
            params, rules.APPLICATION_SCHEMA)
        pauses = query_arrow(
            f"SELECT p.application_id, {epoch('p.pause_start')}, {epoch('p.pause_end')} "
            "FROM connections_applicationpause p" + pause_where, params, rules.PAUSE_SCHEMA)
    keys = calendar_keys(set(apps["county_code"].to_pylist())) if apps.num_rows else {}
    if keys:
        apps = apps.set_column(apps.schema.get_field_index("calendar_key"), "calendar_key",
                               pa.array([keys.get(c, "") for c in apps["county_code"].to_pylist()], pa.string()))
    return apps, pauses


def evaluate(as_of: dt.datetime, *, engine: str = "duckdb", store: bool = True, actor: str = "system",
             app_pks: list[int] | None = None) -> R2Evaluation:
    """R2 at ``as_of`` with the rulebook in force that day."""
    started = time.monotonic()
    as_of = as_of.astimezone(CHINA)
    book = rulebook_at(as_of.date())
    params = rules.R2Params.from_values(book.values)
    apps, pauses = extract_tables(app_pks)
    as_of_ts = int(as_of.timestamp())
    first, last = rules.calendar_bounds(apps, as_of_ts, params)
    keys = {"": None, **{k: k for k in set(apps["calendar_key"].to_pylist()) if k}}
    calendar = rules.calendar_table(load_calendar(), first, last, keys)
    result = rules.evaluate_time_limits(engine, apps, pauses, calendar, params, as_of_ts)
    evaluation = R2Evaluation(as_of=as_of, rulebook=book, result=result, engine=engine)
    if store:
        evaluation.run = store_run(evaluation, actor=actor)
    evaluation.seconds = time.monotonic() - started
    runs.finish(evaluation.run, evaluation.seconds)
    return evaluation


def summarise(checks: pa.Table) -> dict:
    """KPIs of a run: per company, prefecture, user class and stage, how many checks finished on
    time or late, are open or overdue, and the average working days of finished stages."""
    table = checks.append_column("prefecture", pc.utf8_slice_codeunits(checks["county_code"], 0, 4))
    out: dict = {}
    for dim in ("company", "prefecture", "user_class", "check"):
        grouped = table.group_by([dim, "status"]).aggregate([("app_pk", "count")]).to_pylist()
        entry: dict = defaultdict(lambda: {"ok": 0, "late": 0, "open": 0, "overdue": 0})
        for g in grouped:
            entry[g[dim]][g["status"]] = g["app_pk_count"]
        out[dim] = dict(entry)
    finished = table.filter(pc.is_in(table["status"], pa.array(["ok", "late"])))
    averages = finished.group_by(["user_class", "check"]).aggregate(
        [("elapsed_workdays", "mean"), ("limit_workdays", "max"), ("app_pk", "count")]).to_pylist()
    out["averages"] = [{"user_class": a["user_class"], "check": a["check"],
                        "mean_workdays": round(a["elapsed_workdays_mean"], 2), "limit": a["limit_workdays_max"],
                        "n": a["app_pk_count"]} for a in averages]
    totals = {"ok": 0, "late": 0, "open": 0, "overdue": 0}
    for status, n in zip(*[c.to_pylist() for c in pc.value_counts(table.filter(
            pc.equal(table["check"], "total"))["status"]).flatten()], strict=True):
        totals[status] = n
    out["totals"] = totals
    return out


@transaction.atomic
def store_run(evaluation: R2Evaluation, *, actor: str) -> EvaluationRun:
    checks = evaluation.result.checks
    run = runs.record(RULE, as_of=evaluation.as_of, rulebook=evaluation.rulebook, engine=evaluation.engine,
                      actor=actor, provisional=evaluation.provisional,
                      summary=summarise(checks) if checks.num_rows else {})
    flagged = checks.filter(pc.is_in(checks["status"], pa.array(["late", "overdue", "open"])))
    company_ids = dict(Organisation.objects.values_list("org_code", "id"))
    fast_insert(TimeLimitFinding, [
        {"run_id": run.pk, "application_id": r["app_pk"], "company_id": company_ids[r["company"]],
         "county_id": r["county_code"], "user_class": r["user_class"], "check_name": r["check"],
         "elapsed_workdays": r["elapsed_workdays"], "limit_workdays": r["limit_workdays"], "status": r["status"],
         "deadline": r["deadline_day"], "provisional": r["provisional"]}
        for r in flagged.to_pylist()
    ])
    runs.stored(run)
    return run


def latest_run() -> EvaluationRun | None:
    return runs.latest(RULE)


def zero_scope_findings(qs=None, *, rulebook: Rulebook | None = None):
    """三零 scope (R2): low-voltage applications of residents, or of private economic organisations at
    ``zero_scope_max_kw`` (160 kW) and below, handled without 三零."""
    book = rulebook or rulebook_at(dt.date.today())
    qs = qs if qs is not None else Application.objects.all()
    return qs.filter(voltage_kv__lte=0.38, zero_service=False).filter(
        Q(customer_kind="resident") | Q(customer_kind="private_org", capacity_kw__lte=book["zero_scope_max_kw"]))


def application_checks(app: Application, as_of: dt.datetime) -> list[dict]:
    """One application's checks at ``as_of`` (for its timeline page and the applicant lookup)."""
    evaluation = evaluate(as_of, store=False, app_pks=[app.pk])
    rows = evaluation.result.checks.to_pylist()
    for r in rows:
        r["label"] = STAGE_LABELS[r["check"]]
        r["status_label"] = STATUS_LABELS[r["status"]]
        r["start"] = dt.datetime.fromtimestamp(r["start_ts"], dt.UTC).astimezone(CHINA) if r["start_ts"] else None
        r["end"] = dt.datetime.fromtimestamp(r["end_ts"], dt.UTC).astimezone(CHINA) if r["end_ts"] else None
    return rows
