"""F2: 居民住宅小区欠费停电清单 (Annex 2 §2, rules R5): the company's cases whose cut time (cut_at,
else planned_cut_at) falls in the month, with every R4 check at the end of the month; a cancelled
case is listed as cancelled in the month of its planned cut.

Also the F2 filings themselves: one per case, opened by the filing centre's tick (``sync_case_filings``)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.db.models import Q

from getpower.core.scope import organisation_subtree_ids
from getpower.filings.models import Filing, FilingEvent, FilingType, FilingVersion
from getpower.filings.producers import Deliverable, Period, cell
from getpower.filings.services import version_xlsx

from . import rules, services
from .models import ArrearsCase

COLUMNS = [("company", "供电单位"), ("county", "县区"), ("case_id", "案件编号"), ("community", "小区名称"),
           ("households", "涉及户数"), ("arrears_yuan", "欠费金额(元)"), ("bill_due_date", "电费缴费期限"),
           ("planned_cut_at", "计划停电时间"), ("cut_at", "实际停电时间"), ("restored_at", "恢复供电时间"),
           ("reported_at", "报告时间"), ("authority", "报告的主管部门"), ("state", "状态")]
COLUMNS += [(check, services.CHECK_LABELS[check]) for check in rules.CHECKS]


def month_cases(company, period: Period):
    orgs = organisation_subtree_ids(company.pk)
    in_month = Q(cut_at__gte=period.start, cut_at__lte=period.end) | Q(
        cut_at__isnull=True, planned_cut_at__gte=period.start, planned_cut_at__lte=period.end)
    return ArrearsCase.objects.filter(company_id__in=orgs).filter(in_month).select_related("company", "county")


def produce(company, period: Period) -> Deliverable:
    cases = list(month_cases(company, period).order_by("planned_cut_at", "case_id"))
    live = [c.pk for c in cases if c.cancelled_at is None]
    evaluation = services.evaluate(period.end, store=False, case_pks=live) if live else None
    checks: dict[int, dict[str, str]] = {}
    if evaluation is not None:
        for r in evaluation.findings.to_pylist():
            checks.setdefault(r["case_pk"], {})[r["check"]] = services.STATUS_LABELS[r["status"]]
    rows = []
    for c in cases:
        row = {"company": c.company.name, "county": c.county.name, "case_id": c.case_id, "community": c.community,
               "households": c.households, "arrears_yuan": c.arrears_yuan, "bill_due_date": c.bill_due_date,
               "planned_cut_at": c.planned_cut_at, "cut_at": c.cut_at, "restored_at": c.restored_at,
               "reported_at": c.reported_at, "authority": c.authority,
               "state": "已取消" if c.cancelled_at else ("已停电" if c.cut_at else "计划停电")}
        row.update(checks.get(c.pk, {}))
        rows.append(row)
    version = evaluation.rulebook.version if evaluation else None
    return Deliverable(code="F2", title="居民住宅小区欠费停电清单", company_name=company.name,
                       company_code=company.org_code, period=period, columns=COLUMNS, rows=rows,
                       meta={"检查时点": period.end, "规则版本": f"v{version}" if version else "—"},
                       notes=["检查依据：电力供应与使用条例第39条、供电营业规则；停电前须向县级及以上能源主管部门报告。"])


def sync_case_filings(now: dt.datetime) -> int:
    """F2: one filing per arrears case, due before the cut; the case's advance report is its submission.
    A ``sync`` step of the filing centre's tick (registered in ``ArrearsConfig.ready()``)."""
    ftype = FilingType.objects.filter(code="F2", active=True).first()
    if ftype is None:
        return 0
    filed_case_pks = set(Filing.objects.filter(type=ftype).values_list("case", flat=True))
    created = 0
    for case in ArrearsCase.objects.exclude(pk__in=filed_case_pks).select_related("company"):
        Filing.objects.create(type=ftype, filer=case.company, recipient=case.routed_to, county_id=case.county_id,
                              period=case.case_id, due_at=case.cut_time, case=case)
        created += 1
    for filing in Filing.objects.filter(type=ftype, submitted_at__isnull=True, case__reported_at__isnull=False
                                        ).select_related("case", "filer", "type"):
        case = filing.case
        row = {"case_id": case.case_id, "community": case.community, "households": case.households,
               "planned_cut_at": cell(case.planned_cut_at), "reported_at": cell(case.reported_at),
               "authority": case.authority, "_key": case.case_id, "filer_note": "", "filer_date": ""}
        content = {"columns": [["case_id", "案件编号"], ["community", "小区名称"], ["households", "涉及户数"],
                               ["planned_cut_at", "计划停电时间"], ["reported_at", "报告时间"], ["authority", "报告的主管部门"]],
                   "rows": [row], "remarks": "", "meta": {}}
        data = version_xlsx(filing, content)
        with transaction.atomic():
            FilingVersion.objects.create(filing=filing, number=1, created_at=case.reported_at, actor="arrears-report",
                                         content=content, xlsx=data, sha256=hashlib.sha256(data).hexdigest())
            filing.status, filing.submitted_at = Filing.Status.SUBMITTED, case.reported_at
            filing.is_late = case.reported_at >= case.cut_time
            filing.due_at = case.cut_time
            filing.save(update_fields=["status", "submitted_at", "is_late", "due_at"])
            FilingEvent.objects.create(filing=filing, at=case.reported_at, actor="arrears-report", transition="submit",
                                       from_status=Filing.Status.NOT_STARTED, to_status=Filing.Status.SUBMITTED, comment="欠费停电提前报告")
    return created
