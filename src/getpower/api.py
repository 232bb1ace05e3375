"""The JSON API (django-ninja, OpenAPI at /api/docs). Same scoping and services as the pages."""


import csv
import datetime as dt
import io
import re
from typing import Annotated, Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, NinjaAPI, Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from ninja.files import UploadedFile
from ninja.security import django_auth
from pydantic import BeforeValidator, create_model
from pydantic_core import PydanticCustomError

from getpower.arrears import services as arrears_services
from getpower.arrears.models import ArrearsCase
from getpower.connections.models import Application
from getpower.connections.services import application_checks
from getpower.core.models import ImportJob
from getpower.core.scope import ROLE_LABELS, scope_for
from getpower.core.tokens import TokenAuth
from getpower.filings.services import visible_filings
from getpower.grid.models import Asset
from getpower.ledgers.columns import CHINA, CellError, Column, parse_time
from getpower.ledgers.importer import run_import
from getpower.ledgers.registry import all_ledgers
from getpower.outages import services as outage_services
from getpower.outages.models import Finding
from getpower.rulebook.services import rulebook_at
from getpower.workdays.calendar import CalendarError, load_calendar

# An organisation's API token (Authorization: Bearer …, no CSRF: not a cookie) is tried first; else the
# browser session, with ninja's CSRF check. Personal passwords (HTTP Basic) are not accepted here.
api = NinjaAPI(title="getpower API", version="1", description="云南“获得电力”监管平台 JSON API",
               auth=[TokenAuth(), django_auth])


class ErrorOut(Schema):
    detail: str


# -- requests the API cannot read: 422 with ninja's shape, in Chinese, declared on every operation --

class ValidationErrorItem(Schema):
    type: str = Field(description="错误类型（pydantic 的错误代码，如 int_parsing、less_than_equal）")
    loc: list[str | int] = Field(description="出错的位置：来源（query、path、body、file）及参数名")
    msg: str = Field(description="中文说明")


class ValidationErrorOut(Schema):
    """The body of every 422 answer to a request whose parameters or body cannot be read."""

    detail: list[ValidationErrorItem]


VALIDATION_MESSAGES = {
    "missing": "缺少必填项", "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字", "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false", "date_parsing": "应为日期（YYYY-MM-DD）", "date_type": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）", "string_type": "应为文本", "list_type": "应为列表",
    "dict_type": "应为对象", "model_type": "应为对象", "model_attributes_type": "应为对象",
    "json_invalid": "JSON 格式错误", "greater_than_equal": "不能小于 {ge}", "less_than_equal": "不能大于 {le}",
    "greater_than": "应大于 {gt}", "less_than": "应小于 {lt}", "string_too_long": "长度不能超过 {max_length}",
}


def chinese_error(error: dict) -> dict:
    loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
    where = ".".join(str(part) for part in loc[1:]) or (loc[0] if loc else "请求")
    template = VALIDATION_MESSAGES.get(error.get("type", ""))
    try:
        text = template.format(**error.get("ctx", {})) if template else f"取值无效（{error.get('msg', '')}）"
    except (KeyError, IndexError):
        text = template
    return {"type": str(error.get("type", "value_error")), "loc": loc, "msg": f"参数 {where}：{text}"}


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    return api.create_response(request, {"detail": [chinese_error(e) for e in exc.errors]}, status=422)


# ninja's own answer to a body it cannot parse (not JSON at all): 400 {"detail": "Cannot parse request body"},
# in English and in a shape no operation declares (found by schemathesis). It is a request the API cannot
# read like any other: 422 with the declared shape, as pydantic's own ``json_invalid``.
UNPARSEABLE_BODY = "Cannot parse request body"


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if exc.status_code == 400 and str(exc).startswith(UNPARSEABLE_BODY):
        error = chinese_error({"type": "json_invalid", "loc": ("body",)})
        return api.create_response(request, {"detail": [error]}, status=422)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def responses(ok: Any = dict, more: dict | None = None) -> dict:
    """An operation's declared answers: ``ok`` for 200, the common 422 shape, and ``more`` by status
    (``{404: ErrorOut}``)."""
    return {200: ok, 422: ValidationErrorOut, **(more or {})}


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(value):
    """A date is written YYYY-MM-DD, nothing else: pydantic's lax mode would also read a number as seconds
    since 1970 (``?on=0`` was 1970-01-01, found by schemathesis)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("date_parsing", "Input should be a date in the format YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(iso_date)]


MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000


class PageQuery(Schema):
    """Paging of a list: at most MAX_LIMIT items from ``offset`` (out of range: 422)."""

    limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="从第几条开始（0 起）")


class ImportOut(Schema):
    job: int
    ok: bool
    added: int
    updated: int
    unchanged: int
    errors: list[dict]
    warnings: list[str]


def import_out(result) -> dict:
    return {"job": result.job.pk, "ok": result.ok, "added": result.added, "updated": result.updated,
            "unchanged": result.unchanged, "errors": result.errors, "warnings": result.warnings}


@api.get("/me", tags=["平台"], response=responses())
def me(request):
    scope = scope_for(request.user)
    org = getattr(getattr(request.user, "profile", None), "organisation", None)
    return {"username": request.user.get_username(), "role": scope.role, "role_label": ROLE_LABELS[scope.role],
            "organisation": org.org_code if org else None}


# -- ledgers: one schema and one JSON endpoint per declaration -----------------------------------

PY_TYPES: dict[str, Any] = {"text": str, "int": int, "number": float, "bool": bool, "date": IsoDate, "time": str,
                            "enum": str, "list": str, "region6": str, "region9": str}


def row_schema(name: str, columns: tuple[Column, ...]):
    fields = {c.code: ((PY_TYPES[c.type] | None), None) for c in columns}
    return create_model(f"{name.title().replace('_', '')}Row", **fields)


ledgers_router = Router(tags=["台账"])


@ledgers_router.get("/", response=responses(list[dict]))
def list_ledgers(request):
    return [{"name": lg.name, "label": lg.label, "key": list(lg.key),
             "columns": [{"code": c.code, "label": c.label, "type": c.type, "required": c.required,
                          "choices": [code for code, _ in c.choices], "key": c.key} for c in lg.columns]}
            for lg in all_ledgers()]


# 422: the file's rows were rejected (ImportOut, every error listed), or the request itself could not be
# read (ValidationErrorOut)
IMPORT_RESPONSES = responses(ImportOut, {422: ImportOut | ValidationErrorOut})


def _make_endpoints(ledger):
    schema = row_schema(ledger.name, ledger.columns)

    @ledgers_router.post(f"/{ledger.name}/rows", response=IMPORT_RESPONSES,
                         summary=f"导入{ledger.label}（JSON 行）", operation_id=f"import_rows_{ledger.name}")
    def import_rows(request, rows: list[schema], dry_run: bool = False):  # type: ignore[valid-type]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        codes = [c.code for c in ledger.columns]
        writer.writerow(codes)
        for row in rows:
            data = row.model_dump()
            writer.writerow(["" if data.get(c) is None else
                             (("是" if data[c] else "否") if isinstance(data[c], bool) else data[c]) for c in codes])
        result = run_import(ledger.name, buffer.getvalue().encode("utf-8"), f"api-{ledger.name}.csv",
                            user=request.user, dry_run=dry_run, channel="api")
        return Status(200 if result.ok else 422, import_out(result))

    @ledgers_router.post(f"/{ledger.name}/file", response=IMPORT_RESPONSES,
                         summary=f"导入{ledger.label}（CSV/XLSX 文件）", operation_id=f"import_file_{ledger.name}")
    def import_file(request, file: UploadedFile = File(...), dry_run: bool = False):
        result = run_import(ledger.name, file.read(), file.name, user=request.user, dry_run=dry_run, channel="api")
        return Status(200 if result.ok else 422, import_out(result))


for _ledger in all_ledgers():
    _make_endpoints(_ledger)

api.add_router("/ledgers", ledgers_router)


@api.get("/imports/{job_id}", tags=["台账"], response=responses(dict, {404: ErrorOut}))
def import_job(request, job_id: int):
    job = get_object_or_404(ImportJob, pk=job_id)
    scope = scope_for(request.user)
    if not (request.user.is_superuser or job.user_id == request.user.pk
            or (scope.org_ids and job.organisation_id in scope.org_ids)):
        return api.create_response(request, {"detail": "Not Found"}, status=404)
    return {"id": job.pk, "ledger": job.ledger, "status": job.status, "progress": job.progress,
            "file_name": job.file_name, "sha256": job.file_sha256, "added": job.rows_added,
            "updated": job.rows_updated, "unchanged": job.rows_unchanged, "errors": job.errors,
            "duration_seconds": job.duration_seconds}


# -- assets ------------------------------------------------------------------------------------

class AssetFilter(PageQuery):
    asset_type: str | None = None
    county_code: str | None = None
    company: str | None = None


def asset_out(a: Asset) -> dict:
    return {"pk": a.pk, "asset_id": a.asset_id, "asset_type": a.asset_type, "name": a.name,
            "company": a.company.org_code, "county_code": a.county_id, "township_code": a.township_code,
            "line_id": a.line.asset_id if a.line else None, "rated_kva": a.rated_kva, "users": a.users,
            "area_type": a.area_type}


@api.get("/assets", tags=["线路与台区"], response=responses())
def assets(request, filters: Query[AssetFilter]):
    qs = scope_for(request.user).filter(Asset.objects.select_related("company", "line")).order_by("id")
    if filters.asset_type:
        qs = qs.filter(asset_type=filters.asset_type)
    if filters.county_code:
        qs = qs.filter(county_id=filters.county_code)
    if filters.company:
        qs = qs.filter(company__org_code=filters.company)
    count, items = _page(qs, filters)
    return {"count": count, "items": [asset_out(a) for a in items]}


@api.get("/assets/{pk}", tags=["线路与台区"], response=responses(dict, {404: ErrorOut}))
def asset(request, pk: int):
    a = get_object_or_404(scope_for(request.user).filter(Asset.objects.select_related("company", "line")), pk=pk)
    return asset_out(a)


# -- calendar and rulebook ------------------------------------------------------------------------

@api.get("/workdays", tags=["工作日历"], response=responses(dict, {400: ErrorOut}))
def workdays(request, start: str, end: str, region: str | None = None):
    def moment(text: str):
        try:
            return parse_time(text)
        except CellError:
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=CHINA)

    try:
        result = load_calendar().elapsed(moment(start), moment(end), region)
    except (ValueError, CalendarError) as exc:
        return api.create_response(request, {"detail": f"参数错误：{exc}"}, status=400)
    return {"workdays": result.count, "provisional": result.provisional,
            "provisional_years": list(result.provisional_years)}


@api.get("/rulebook", tags=["规则参数"], response=responses())
def rulebook(request, on: IsoDate | None = None):
    book = rulebook_at(on or dt.date.today())
    return {"version": book.version, "effective_from": book.effective_from, "values": book.values}


# -- findings, cases, filings (read-only; the same scoping as the pages) --------------------------

def _page(qs, page: PageQuery):
    return qs.count(), qs[page.offset:page.offset + page.limit]


@api.get("/outages/findings", tags=["频繁停电"], response=responses())
def outage_findings(request, page: Query[PageQuery], status: str | None = None):
    run = outage_services.latest_run()
    qs = scope_for(request.user).filter(Finding.objects.filter(run=run).select_related("asset", "company"))
    if status:
        qs = qs.filter(status=status)
    count, items = _page(qs.order_by("id"), page)
    return {"run": run.pk if run else None, "rulebook_version": run.rulebook_version if run else None,
            "count": count,
            "items": [{"asset_id": f.asset.asset_id, "asset_type": f.asset_type, "company": f.company.org_code,
                       "county_code": f.county_id, "year_count": f.year_count, "max_60d_count": f.max_60d_count,
                       "status": f.status, "first_breach_date": f.first_breach_date} for f in items]}


def _case_out(c) -> dict:
    return {"pk": c.pk, "case_id": c.case_id, "company": c.company.org_code, "county_code": c.county_id,
            "community": c.community, "households": c.households, "planned_cut_at": c.planned_cut_at,
            "cut_at": c.cut_at, "reported_at": c.reported_at, "authority": c.authority,
            "acknowledged_at": c.acknowledged_at, "cancelled_at": c.cancelled_at}


@api.get("/arrears/cases", tags=["欠费停电"], response=responses())
def arrears_cases(request, page: Query[PageQuery]):
    qs = scope_for(request.user).filter(ArrearsCase.objects.select_related("company")).order_by("id")
    count, items = _page(qs, page)
    return {"count": count, "items": [_case_out(c) for c in items]}


@api.get("/arrears/cases/{pk}", tags=["欠费停电"], response=responses(dict, {404: ErrorOut}))
def arrears_case(request, pk: int):
    case = get_object_or_404(scope_for(request.user).filter(ArrearsCase.objects.select_related("company")), pk=pk)
    run = arrears_services.latest_run()
    checks = list(case.findings.filter(run=run).values("check_name", "status", "reason")) if run else []
    return {**_case_out(case), "checks": checks, "rulebook_version": run.rulebook_version if run else None}


@api.get("/connections/applications/{pk}", tags=["用电报装"], response=responses(dict, {404: ErrorOut}))
def application(request, pk: int):

    app = get_object_or_404(scope_for(request.user).filter(Application.objects.select_related("company")), pk=pk)
    checks = application_checks(app, timezone.now())
    return {"app_id": app.app_id, "company": app.company.org_code, "county_code": app.county_id,
            "checks": [{k: c[k] for k in ("check", "user_class", "elapsed_workdays", "limit_workdays", "status",
                                           "deadline_day", "provisional")} for c in checks]}


@api.get("/filings", tags=["报备"], response=responses())
def filings(request, page: Query[PageQuery], type: str | None = None, period: str | None = None):
    qs = visible_filings(request.user).order_by("id")
    if type:
        qs = qs.filter(type_id=type)
    if period:
        qs = qs.filter(period=period)
    count, items = _page(qs, page)
    return {"count": count, "items": [{"pk": f.pk, "type": f.type_id, "filer": f.filer.org_code, "period": f.period,
                                       "due_at": f.due_at, "status": f.display_state, "is_late": f.is_late,
                                       "versions": f.versions.count()} for f in items]}


@api.get("/filings/{pk}/versions/{number}", tags=["报备"], response=responses(dict, {404: ErrorOut}))
def filing_version(request, pk: int, number: int):
    filing = get_object_or_404(visible_filings(request.user), pk=pk)
    version = get_object_or_404(filing.versions, number=number)
    return {"filing": filing.pk, "number": version.number, "created_at": version.created_at, "actor": version.actor,
            "reason": version.reason, "sha256": version.sha256, "content": version.content}
