"""F1: 业扩接入需改造不满足接电时限台账 (Annex 2 §1, rules R5): the company's low-voltage
applications marked grid_upgrade whose total (R2) is overdue at the end of the month, or that were
energised during the month with the total late, each with its stated completion date; open ones that
cannot be connected in time (the upgrade completes after the deadline) are listed as forecast."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from getpower.core.scope import organisation_subtree_ids
from getpower.filings.models import Filing, MissingFromF1
from getpower.filings.producers import CHINA, Deliverable, Period

from . import services
from .models import Application

COLUMNS = [("company", "供电单位"), ("county", "县区"), ("app_id", "申请编号"), ("customer_kind", "用户类别"),
           ("capacity_kw", "报装容量(kW)"), ("applied_at", "申请时间"), ("user_class", "用户类型"),
           ("limit_workdays", "时限(工作日)"), ("elapsed_workdays", "已用工作日"), ("deadline", "接电截止日"),
           ("energized_at", "装表接电时间"), ("upgrade_due_date", "改造计划完成日期"), ("state", "情况")]


def candidates(company, period: Period):
    orgs = organisation_subtree_ids(company.pk)
    return Application.objects.filter(company_id__in=orgs, grid_upgrade=True, voltage_kv__lte=0.38,
                                      applied_at__lte=period.end).select_related("company", "county")


def f1_rows(company, period: Period, evaluation: services.R2Evaluation | None = None) -> tuple[list[dict], int | None]:
    """``evaluation``: an R2 evaluation at the end of the month covering at least these applications,
    to reuse when filing many companies at once."""
    apps = {a.pk: a for a in candidates(company, period)}
    if not apps:
        return [], None
    evaluation = evaluation or services.evaluate(period.end, store=False, app_pks=list(apps))
    rows = []
    checks = evaluation.result.checks
    totals = checks.filter(pc.and_(pc.equal(checks["check"], "total"),
                                   pc.is_in(checks["app_pk"], pa.array(list(apps), pa.int64()))))
    for r in totals.to_pylist():
        a = apps[r["app_pk"]]
        energized = a.energized_at.astimezone(CHINA) if a.energized_at else None
        if r["status"] == "overdue":
            state = "超期未接电"
        elif r["status"] == "late" and energized and period.start <= energized <= period.end:
            state = "本月超期接电"
        elif r["status"] == "open" and a.upgrade_due_date and r["deadline_day"] and a.upgrade_due_date > r["deadline_day"]:
            state = "预计超期（改造完成晚于接电截止日）"
        else:
            continue
        rows.append({"company": a.company.name, "county": a.county.name, "app_id": a.app_id,
                     "customer_kind": a.get_customer_kind_display(), "capacity_kw": a.capacity_kw,
                     "applied_at": a.applied_at, "user_class": services.CLASS_LABELS[r["user_class"]],
                     "limit_workdays": r["limit_workdays"], "elapsed_workdays": r["elapsed_workdays"],
                     "deadline": r["deadline_day"], "energized_at": a.energized_at,
                     "upgrade_due_date": a.upgrade_due_date, "state": state, "_app_pk": a.pk})
    return rows, evaluation.rulebook.version


def produce(company, period: Period, evaluation: services.R2Evaluation | None = None) -> Deliverable:
    rows, version = f1_rows(company, period, evaluation)
    rows.sort(key=lambda r: (r["state"].startswith("预计"), r["company"], r["app_id"]))
    return Deliverable(code="F1", title="业扩接入需改造不满足接电时限台账", company_name=company.name,
                       company_code=company.org_code, period=period, columns=COLUMNS, rows=rows,
                       meta={"统计截止": period.end, "报送期限": f"{period.next().label}-10 前",
                             "规则版本": f"v{version}" if version else "—"},
                       notes=["低压用户接入需10千伏及以上公共电网升级改造、工期无法满足接电时限的，应明确工程完成时限并报备（附件2第一部分）。"])


def check_f1_missing(now: dt.datetime) -> int:
    """The seam from R2: a late grid-upgrade connection missing from a filed F1 becomes a finding.
    One R2 evaluation per month serves every filed F1 of that month (not one per filing: a tick runs
    every day over every filing since go-live). A ``check`` step of the filing centre's tick
    (registered in ``ConnectionsConfig.ready()``)."""
    filed_states = [Filing.Status.SUBMITTED, Filing.Status.RESUBMITTED, Filing.Status.ACCEPTED]
    by_period: dict[str, list[Filing]] = {}
    for filing in Filing.objects.filter(type__code__in=["F1", "F1L"], status__in=filed_states
                                        ).select_related("type", "filer"):
        by_period.setdefault(filing.period, []).append(filing)
    found = 0
    for label, filings in by_period.items():
        period = Period.parse(label)
        app_pks = sorted({pk for f in filings for pk in candidates(f.filer, period).values_list("pk", flat=True)})
        evaluation = services.evaluate(period.end, store=False, app_pks=app_pks) if app_pks else None
        for filing in filings:
            latest = filing.versions.order_by("-number").first()
            if latest is None or evaluation is None:
                continue
            filed = {r["_key"] for r in latest.content["rows"]}
            rows, _ = f1_rows(filing.filer, period, evaluation)
            for row in rows:
                if row["state"].startswith("预计") or row["app_id"] in filed:
                    continue
                _, created = MissingFromF1.objects.get_or_create(
                    filing=filing, application_id=row["_app_pk"], defaults={"state": row["state"], "detected_at": now})
                found += int(created)
    return found
