"""Pages of the foundation: home, assets, imports, calendar, rulebook, dictionary, audit.

Every jurisdiction-bound query goes through ``scope_for(request.user).filter(...)``; a row outside
the user's jurisdiction is a 404, whatever link led there."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from getpower.core import exports, params
from getpower.core.models import AuditLog, ImportJob, Region
from getpower.core.scope import REGULATOR_ROLES, Role, filter_by_area, scope_for
from getpower.grid.models import Asset
from getpower.jobs.models import Job
from getpower.ledgers.jobs import queue_import
from getpower.ledgers.registry import all_ledgers, get_ledger
from getpower.ledgers.templates import template_xlsx
from getpower.rulebook.models import RulebookVersion
from getpower.rulebook.parameters import PARAMETERS, SOURCE_LABELS
from getpower.rulebook.services import rulebook_at
from getpower.workdays.models import HolidaySchedule, RegionRestDay, ScheduleDay


def prefecture_names() -> dict[str, str]:
    return dict(Region.objects.filter(level="prefecture").values_list("code", "name"))


def asset_summary(scope) -> tuple[list[dict], dict]:
    """Lines, 台区 and users by prefecture inside the user's jurisdiction."""
    qs = scope.filter(Asset.objects.all()).annotate(pref=Substr("county_id", 1, 4))
    grouped = qs.values("pref").annotate(
        lines=Count("id", filter=Q(asset_type="line")),
        tqs=Count("id", filter=Q(asset_type="tq")),
        users=Sum("users", filter=Q(asset_type="tq")),
        kva=Sum("rated_kva", filter=Q(asset_type="tq")),
    )
    names = prefecture_names()
    rows = []
    for g in grouped.order_by("pref"):
        code = g["pref"] + "00"
        rows.append({"code": code, "name": names.get(code, code), "lines": g["lines"], "tqs": g["tqs"],
                     "users": g["users"] or 0, "kva": g["kva"] or 0})
    totals = {
        "lines": sum(r["lines"] for r in rows),
        "tqs": sum(r["tqs"] for r in rows),
        "users": sum(r["users"] for r in rows),
        "kva": round(sum(r["kva"] for r in rows) / 1000, 1),
    }
    return rows, totals


@login_required
def home(request):
    scope = scope_for(request.user)
    rows, totals = asset_summary(scope)
    titles = {
        Role.ADMIN: "全省概览（平台管理员）",
        Role.REGULATOR: "全省概览",
        Role.PROVINCIAL_BUREAU: "全省概览",
    }
    org = getattr(getattr(request.user, "profile", None), "organisation", None)
    title = titles.get(scope.role) or f"{org.name if org else ''} 辖区概览"
    context = {
        "title": title,
        "rows": rows,
        "totals": totals,
        "map_data": [{"name": r["name"], "value": r["tqs"]} for r in rows],
    }
    from getpower.outages.views import home_panel

    context.update(home_panel(request, scope))
    if scope.is_supplier:
        from getpower.arrears.services import company_warnings

        context["arrears_warnings"] = company_warnings(scope)
    return render(request, "web/home.html", context)


# -- assets --------------------------------------------------------------------------------------

def scoped_assets(request):
    return scope_for(request.user).filter(Asset.objects.select_related("company", "county", "line"))


def filter_assets(request, qs):
    """The list's filters (type, prefecture, county, company, search term); ``qs`` is already scoped,
    and a company outside the user's jurisdiction is a 404 (``params.get_company``)."""
    asset_type = params.get_choice(request.GET, "type", ("line", "tq"))
    if asset_type:
        qs = qs.filter(asset_type=asset_type)
    qs = filter_by_area(qs, request.GET, company=None)
    company = params.get_company(request.GET, scope_for(request.user))
    if company is not None:
        qs = qs.filter(company=company)
    term = params.get_text(request.GET, "q")
    if term:
        qs = qs.filter(Q(asset_id__icontains=term) | Q(name__icontains=term))
    return qs


@login_required
def asset_list(request):
    qs = filter_assets(request, scoped_assets(request)).order_by("asset_type", "asset_id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    scope = scope_for(request.user)
    return render(request, "web/asset_list.html", {
        "title": "线路与台区", "page": page, "query": query.urlencode(),
        "prefectures": Region.objects.filter(level="prefecture"),
        "companies": scope.suppliers().order_by("org_code"),
        "company": params.get_company(request.GET, scope),
    })


@login_required
def asset_detail(request, pk: int):
    asset = get_object_or_404(scoped_assets(request), pk=pk)
    tqs = asset.tqs.order_by("asset_id")[:200] if asset.asset_type == "line" else []
    return render(request, "web/asset_detail.html", {"title": str(asset), "asset": asset, "tqs": tqs})


@login_required
def asset_export(request):
    """CSV of the assets in the user's jurisdiction (same scoping as the pages). Through core.exports:
    a name that could start a spreadsheet formula is written as text."""
    qs = filter_assets(request, scoped_assets(request)).order_by("asset_type", "asset_id")
    ledger = get_ledger("assets")
    writer = exports.csv_line_writer()

    def number(value):
        return "" if value is None else int(value) if float(value).is_integer() else value

    def rows():
        yield exports.BOM + writer.writerow([c.code for c in ledger.columns])
        for a in qs.iterator(chunk_size=5000):
            yield writer.writerow([a.asset_id, a.asset_type, a.name, a.company.org_code, a.county_id,
                                   a.township_code, a.line.asset_id if a.line else "",
                                   number(a.rated_kva), a.users, a.area_type])

    response = StreamingHttpResponse(rows(), content_type=exports.CSV_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="assets.csv"'
    return response


# -- imports -------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def imports(request):
    scope = scope_for(request.user)
    ledgers = [lg for lg in all_ledgers() if lg.name != "organisations" or scope.role == Role.ADMIN]
    if request.method == "POST":
        ledger = request.POST.get("ledger")
        upload = request.FILES.get("file")
        if ledger not in {lg.name for lg in ledgers} or upload is None:
            messages.error(request, "请选择台账类型和文件")
        else:
            if upload.size > settings.GETPOWER_IMPORT_MAX_BYTES:
                messages.error(request, f"文件过大（{upload.size / 1048576:.1f} MB），上限 "
                                        f"{settings.GETPOWER_IMPORT_MAX_BYTES / 1048576:.0f} MB，请分批导入")
            else:
                # the file is kept and an import job queued: the worker runs it (getpower.jobs), and
                # the job page follows its progress; a restart of the web server loses nothing
                record, _ = queue_import(ledger, upload.read(), upload.name, user=request.user,
                                         dry_run=bool(request.POST.get("dry_run")))
                return redirect(f"/imports/{record.pk}/")
    jobs = ImportJob.objects.all()
    if scope.role != Role.ADMIN and scope.role not in REGULATOR_ROLES:
        jobs = jobs.filter(user=request.user) if not scope.org_ids else jobs.filter(
            Q(user=request.user) | Q(organisation_id__in=scope.org_ids))
    elif scope.role != Role.ADMIN and not scope.everything:
        jobs = jobs.filter(user=request.user)
    return render(request, "web/imports.html", {"title": "台账导入", "ledgers": ledgers, "jobs": jobs[:30]})


def visible_job(request, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk)
    scope = scope_for(request.user)
    if scope.role == Role.ADMIN or job.user_id == request.user.pk:
        return job
    if scope.org_ids and job.organisation_id in scope.org_ids:
        return job
    raise Http404


@login_required
def import_job(request, pk: int):
    job = visible_job(request, pk)
    template = "web/import_progress.html" if request.htmx else "web/import_job.html"
    queued = Job.objects.filter(kind=Job.Kind.IMPORT, subject=f"import:{job.pk}").order_by("-id").first()
    return render(request, template, {"title": f"导入任务 {job.pk}", "job": job, "queued": queued})


@login_required
def ledger_template(request, name: str):
    try:
        ledger = get_ledger(name)
    except KeyError:
        raise Http404 from None
    response = HttpResponse(template_xlsx(ledger),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}_template.xlsx"'
    return response


def dictionary(request):
    return render(request, "web/dictionary.html", {"title": "数据字典", "ledgers": all_ledgers()})


# -- calendar and rulebook -----------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def calendar_page(request):
    from getpower.workdays import services

    if request.method == "POST":
        if not request.user.is_superuser:
            raise PermissionDenied("只有平台管理员可以载入节假日安排")
        try:
            if request.POST.get("action") == "region_day":
                region = get_object_or_404(Region, code=request.POST.get("region"))
                services.add_region_rest_day(
                    region=region, date=dt.date.fromisoformat(request.POST.get("date", "")),
                    name=request.POST.get("name", ""), source=request.POST.get("source", ""),
                    user=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, "已添加地方补充假日")
            else:
                upload = request.FILES.get("file")
                text = upload.read().decode("utf-8-sig") if upload else request.POST.get("schedule", "")
                schedule = services.load_schedule(json.loads(text), user=request.user,
                                                  reason=request.POST.get("reason", ""))
                messages.success(request, f"已载入 {schedule.year} 年节假日安排")
        except (ValueError, services.ScheduleError) as exc:
            messages.error(request, f"载入失败：{exc}")
    year = params.get_int(request.GET, "year", dt.date.today().year, min_value=1990, max_value=2100)
    from getpower.workdays.calendar import load_calendar

    cal = load_calendar()
    months = []
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))
        months.append({"month": month, "workdays": cal.count_days(first, last).count})
    return render(request, "web/calendar.html", {
        "title": "工作日历", "year": year, "months": months, "total": sum(m["workdays"] for m in months),
        "schedules": HolidaySchedule.objects.all(), "loaded": year in cal.loaded_years,
        "days": ScheduleDay.objects.filter(date__year=year), "region_days": RegionRestDay.objects.select_related("region"),
        "years": range(2025, dt.date.today().year + 2),
    })


@login_required
@require_http_methods(["GET", "POST"])
def rulebook_page(request):
    from getpower.rulebook.services import create_version

    if request.method == "POST":
        if not request.user.is_superuser:
            raise PermissionDenied("只有平台管理员可以修改规则参数")
        changes = {p.key: request.POST[p.key] for p in PARAMETERS
                   if p.key in request.POST and request.POST[p.key] != json.dumps(p.default, ensure_ascii=False)}
        current = rulebook_at(None)
        changes = {k: v for k, v in changes.items() if str(v) != str(current.values.get(k)) and
                   v != json.dumps(current.values.get(k), ensure_ascii=False)}
        try:
            version = create_version(
                effective_from=dt.date.fromisoformat(request.POST.get("effective_from", "")),
                changes=changes, note=request.POST.get("note", ""), user=request.user,
                reason=request.POST.get("reason", ""))
            messages.success(request, f"已发布规则版本 v{version.number}")
        except ValueError as exc:
            messages.error(request, f"未保存：{exc}")
    book = rulebook_at(dt.date.today())
    rows = [{"p": p, "value": book.values.get(p.key), "json": json.dumps(book.values.get(p.key), ensure_ascii=False),
             "source": SOURCE_LABELS[p.source_tag]} for p in PARAMETERS]
    return render(request, "web/rulebook.html", {
        "title": "规则参数", "book": book, "rows": rows, "versions": RulebookVersion.objects.all()[:20],
        "today": dt.date.today(),
    })


# -- audit ---------------------------------------------------------------------------------------

@login_required
def audit_page(request):
    scope = scope_for(request.user)
    if not scope.is_regulator_side:
        raise PermissionDenied("审计日志仅对监管和主管部门开放")
    qs = AuditLog.objects.all()
    if not scope.everything:
        qs = qs.filter(organisation__region__code__startswith=scope.region_prefix)
    for field in ("action", "object_type"):
        value = params.get_text(request.GET, field, max_length=64)
        if value:
            qs = qs.filter(**{field: value})
    actor = params.get_text(request.GET, "actor")
    if actor:
        qs = qs.filter(actor__icontains=actor)
    object_id = params.get_text(request.GET, "object_id")
    if object_id:
        qs = qs.filter(object_id__icontains=object_id)
    since = params.get_date(request.GET, "since")
    if since:
        qs = qs.filter(at__date__gte=since)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/audit.html", {
        "title": "审计日志", "page": page, "query": query.urlencode(),
        "types": AuditLog.objects.values_list("object_type", flat=True).distinct().order_by("object_type"),
    })


def healthz(request):
    return JsonResponse({"status": "ok"})


@login_required
def filing_ledger(request, code: str, template: str, title: str, default_period: str = "last"):
    """The download page of a filing ledger (F1, F2, F3) for a company in the user's jurisdiction."""
    from django.utils import timezone

    from getpower.deliverables import DeliverableError, Period, producer, to_xlsx

    companies = scope_for(request.user).suppliers().order_by("org_code")
    company_code = params.get_text(request.GET, "company", max_length=64)
    wanted = params.get_text(request.GET, "period")
    if company_code and wanted:
        company = companies.filter(org_code=company_code).first()
        if company is None:
            raise Http404
        try:
            period = Period.parse(wanted)
        except DeliverableError as exc:
            messages.error(request, str(exc))
        else:
            response = HttpResponse(to_xlsx(producer(code)(company, period)),
                                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            response["Content-Disposition"] = f'attachment; filename="{code}_{company.org_code}_{period.label}.xlsx"'
            return response
    today = timezone.localdate()
    period = today if default_period == "this" else today.replace(day=1) - dt.timedelta(days=1)
    return render(request, template, {"title": title, "companies": companies, "period": period.strftime("%Y-%m")})
