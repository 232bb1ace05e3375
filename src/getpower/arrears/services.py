"""Arrears disconnections (rules R4): evaluation into stored findings, and the case workflow —
filing a case (the advance report), the authority's acknowledgement, questions and objections."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import pyarrow as pa
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from getpower.analytics.extract import bulk_read, day_number, epoch, query_arrow
from getpower.core import audit
from getpower.core.models import EvaluationRun, Organisation
from getpower.core.scope import scope_for
from getpower.domains import runs
from getpower.rulebook.services import Rulebook, rulebook_at
from getpower.workdays.calendar import CHINA

from . import rules
from .models import ArrearsCase, ArrearsFinding, CaseMessage
from .routing import route

RULE = "R4"
CHECK_LABELS = {"overdue_30d": "欠费逾期超过30天", "demand_first": "先催交后通知", "approved": "负责人批准",
                "notice_3_7d": "提前3至7天送达停电通知", "final_notice_30min": "停电前30分钟再次通知",
                "reported_in_advance": "停电前向县级及以上主管部门报告"}
STATUS_LABELS = {"ok": "合规", "violation": "违规", "pending": "待定"}


@dataclass
class R4Evaluation:
    as_of: dt.datetime
    rulebook: Rulebook
    findings: pa.Table
    engine: str
    run: EvaluationRun | None = None
    seconds: float = 0.0


def extract_cases(case_pks: list[int] | None = None) -> pa.Table:
    where, params = "", []
    if case_pks is not None:
        where = f" WHERE a.id IN ({','.join(['%s'] * len(case_pks))})"
        params = list(case_pks)
    with bulk_read(case_pks is None):  # every case: through ADBC
        return query_arrow(
            f"SELECT a.id, a.case_id, c.org_code, a.county_id, {day_number('a.bill_due_date')}, {epoch('a.demand_at')}, "
            f"{epoch('a.notice_served_at')}, {epoch('a.final_notice_at')}, {epoch('a.reported_at')}, "
            f"{epoch('a.planned_cut_at')}, {epoch('a.cut_at')}, {epoch('a.cancelled_at')}, a.approved_by, "
            "a.authority_level FROM arrears_arrearscase a JOIN core_organisation c ON c.id = a.company_id" + where,
            params, rules.CASES_SCHEMA)


def evaluate(as_of: dt.datetime, *, engine: str = "duckdb", store: bool = True, actor: str = "system",
             case_pks: list[int] | None = None) -> R4Evaluation:
    started = time.monotonic()
    as_of = as_of.astimezone(CHINA)
    book = rulebook_at(as_of.date())
    findings = rules.evaluate_arrears(engine, extract_cases(case_pks), rules.R4Params.from_values(book.values),
                                      int(as_of.timestamp()))
    evaluation = R4Evaluation(as_of=as_of, rulebook=book, findings=findings, engine=engine)
    if store:
        evaluation.run = store_run(evaluation, actor=actor)
    evaluation.seconds = time.monotonic() - started
    runs.finish(evaluation.run, evaluation.seconds)
    return evaluation


@transaction.atomic
def store_run(evaluation: R4Evaluation, *, actor: str) -> EvaluationRun:
    rows = evaluation.findings.to_pylist()
    summary: dict = {"cases": len({r["case_pk"] for r in rows})}
    for r in rows:
        summary[r["status"]] = summary.get(r["status"], 0) + 1
    summary["violating_cases"] = len({r["case_pk"] for r in rows if r["status"] == "violation"})
    run = runs.record(RULE, as_of=evaluation.as_of, rulebook=evaluation.rulebook, engine=evaluation.engine,
                      actor=actor, summary=summary)
    company_ids = dict(Organisation.objects.values_list("org_code", "id"))
    ArrearsFinding.objects.bulk_create([
        ArrearsFinding(run=run, case_id=r["case_pk"], company_id=company_ids[r["company"]], county_id=r["county_code"],
                       check_name=r["check"], status=r["status"], reason=r["reason"] or "")
        for r in rows
    ], batch_size=5000)
    runs.stored(run)
    return run


def latest_run() -> EvaluationRun | None:
    return runs.latest(RULE)


def refresh() -> EvaluationRun:
    """Re-evaluate every case now: a report, a cut or a change is seen by the regulator at once."""
    return evaluate(timezone.now(), actor="system").run


CASE_FIELDS = ("case_id", "community", "households", "arrears_yuan", "bill_due_date", "demand_at", "approved_by",
               "notice_served_at", "final_notice_at", "reported_at", "authority", "authority_level",
               "planned_cut_at", "cut_at", "restored_at", "cancelled_at", "routed_to")


@transaction.atomic
def file_case(*, user, company: Organisation, county_code: str, data: dict, authority_level: str = "county",
              notice_file=None, now: dt.datetime | None = None) -> ArrearsCase:
    """The web form: one community's case, reported in advance to the chosen authority now."""
    scope_for(user).require_submit(company.pk)
    now = now or timezone.now()
    routed = route(county_code, authority_level)
    authority = Organisation.objects.filter(pk=routed).values_list("name", flat=True).first() or ""
    case = ArrearsCase.objects.create(
        company=company, county_id=county_code, reported_at=now, authority=authority,
        authority_level=authority_level, routed_to_id=routed, notice_file=notice_file, **data)
    audit.record(user=user, action="create", object_type="arrears.case", object_id=case.case_id,
                 after=audit.snapshot(case, CASE_FIELDS), reason="网上报备居民小区欠费停电", organisation_id=company.pk)
    transaction.on_commit(refresh)
    return case


def can_answer_for_authority(user, case: ArrearsCase) -> bool:
    """Questions and objections: any regulator-side user whose jurisdiction covers the case."""
    scope = scope_for(user)
    return scope.is_regulator_side and scope.can_see(company_id=case.company_id, county_code=case.county_id)


def can_acknowledge(user, case: ArrearsCase) -> bool:
    """Acknowledging receipt (确认收悉) is the act of the authority the report was routed to, and of no
    other: a prefecture authority, the regulator or the administrator seeing the case in their scope may
    ask or object, but their acknowledgement would not be the routed authority's (docs/decisions.md)."""
    org = getattr(getattr(user, "profile", None), "organisation", None)
    return (getattr(user, "is_authenticated", False) and org is not None and case.routed_to_id is not None
            and org.pk == case.routed_to_id and can_answer_for_authority(user, case))


@transaction.atomic
def post_message(case: ArrearsCase, user, kind: str, text: str) -> CaseMessage:
    scope = scope_for(user)
    org = getattr(getattr(user, "profile", None), "organisation", None)
    if kind == CaseMessage.Kind.ACKNOWLEDGE:
        if not can_acknowledge(user, case):
            raise PermissionDenied("只有报告送达的主管部门可以确认收悉")
    elif kind in (CaseMessage.Kind.QUESTION, CaseMessage.Kind.OBJECTION):
        if not can_answer_for_authority(user, case):
            raise PermissionDenied("只有辖区内的主管部门或监管机构可以询问或提出异议")
    elif kind == CaseMessage.Kind.ANSWER:
        if not (scope.is_supplier and case.company_id in scope.org_ids):
            raise PermissionDenied("只有报备单位可以答复")
    else:
        raise ValueError(kind)
    if kind != CaseMessage.Kind.ACKNOWLEDGE and not text.strip():
        raise ValueError("请填写内容")
    message = CaseMessage.objects.create(case=case, actor=audit.actor_name(user), organisation=org, kind=kind,
                                         text=text.strip())
    if kind == CaseMessage.Kind.ACKNOWLEDGE and case.acknowledged_at is None:
        case.acknowledged_at, case.acknowledged_by = message.at, audit.actor_name(user)
        case.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit.record(user=user, action="transition", object_type="arrears.case", object_id=case.case_id,
                 after={"kind": kind, "text": text}, reason=CaseMessage.Kind(kind).label, organisation_id=case.company_id)
    return message


def company_warnings(scope, now: dt.datetime | None = None) -> list[dict]:
    """For the company's home page: planned cuts within 24 hours not yet reported, and cases whose
    notice timing already fails (from the latest evaluation)."""
    now = now or timezone.now()
    cases = scope.filter(ArrearsCase.objects.filter(cancelled_at__isnull=True, cut_at__isnull=True))
    warnings = [{"case": c, "reason": "计划停电在24小时内，尚未向主管部门报告"} for c in
                cases.filter(reported_at__isnull=True, planned_cut_at__gt=now,
                             planned_cut_at__lte=now + dt.timedelta(hours=24))]
    run = latest_run()
    if run is not None:
        failing = ArrearsFinding.objects.filter(run=run, check_name="notice_3_7d", status="violation",
                                                case__in=cases.filter(planned_cut_at__gt=now)).select_related("case")
        warnings += [{"case": f.case, "reason": f"停电通知时间不符合要求：{f.reason}"} for f in failing]
    return warnings
