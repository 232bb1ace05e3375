"""Connection time-limit pages (rules R2): the supply company's worklist, the regulator's overview,
an application's timeline, 三零 scope findings, the F1 ledger, and the public progress lookup."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from getpower.core import params
from getpower.core.models import EvaluationRun, Organisation, Region
from getpower.core.scope import filter_by_area, scope_for
from getpower.workdays.calendar import load_calendar

from . import services
from .models import Application, TimeLimitFinding


def rate(entry: dict) -> float | None:
    finished = entry.get("ok", 0) + entry.get("late", 0)
    return round(100 * entry.get("ok", 0) / finished, 1) if finished else None


@login_required
def home(request):
    scope = scope_for(request.user)
    run = services.latest_run()
    run_pk = params.get_int(request.GET, "run", min_value=1)
    if run_pk is not None:  # a list behind a cockpit number names its run
        run = EvaluationRun.objects.filter(rule=services.RULE, pk=run_pk).first() or run
    if scope.is_supplier:
        return worklist(request, scope, run)
    return overview(request, scope, run)


def worklist(request, scope, run):
    rows = []
    if run is not None:
        qs = scope.filter(TimeLimitFinding.objects.filter(run=run, status="open")).select_related(
            "application", "company")
        cal = load_calendar()
        today = timezone.localdate()
        for f in qs.order_by("deadline", "application__app_id")[:500]:
            # the county's own calendar, as the evaluation used (regional rest days)
            left = cal.count_days(today + dt.timedelta(days=1), f.deadline, f.county_id).count if f.deadline else None
            f.left = left if f.deadline and f.deadline >= today else 0
            f.urgent = f.left is not None and f.left <= 1
            f.label = services.STAGE_LABELS[f.check_name]
            f.class_label = services.CLASS_LABELS[f.user_class]
            rows.append(f)
        rows.sort(key=lambda f: (f.left if f.left is not None else 999, f.application.app_id))
    overdue = scope.filter(TimeLimitFinding.objects.filter(run=run, status="overdue")).count() if run else 0
    return render(request, "connections/worklist.html", {"title": "用电报装工作清单", "rows": rows, "run": run,
                                                         "overdue": overdue})


def overview(request, scope, run):
    summary = run.summary if run else {}
    names = dict(Organisation.objects.values_list("org_code", "name"))
    prefectures = dict(Region.objects.filter(level="prefecture").values_list("code", "name"))
    visible = {o.org_code for o in scope.suppliers()}
    by_company = [{"name": names.get(code, code), "code": code, **e, "rate": rate(e)}
                  for code, e in sorted(summary.get("company", {}).items()) if code in visible]
    by_prefecture = [{"name": prefectures.get(p + "00", p), "code": p + "00", **e, "rate": rate(e)}
                     for p, e in sorted(summary.get("prefecture", {}).items())
                     if scope.everything or (scope.region_prefix and p.startswith(scope.region_prefix[:4]))]
    by_class = [{"name": services.CLASS_LABELS.get(k, k), **e, "rate": rate(e)}
                for k, e in summary.get("user_class", {}).items()]
    by_stage = [{"name": services.STAGE_LABELS.get(k, k), **e, "rate": rate(e)}
                for k, e in summary.get("check", {}).items()]
    averages = [{**a, "class_label": services.CLASS_LABELS.get(a["user_class"]),
                 "stage_label": services.STAGE_LABELS.get(a["check"])} for a in summary.get("averages", [])]
    late = scope.filter(TimeLimitFinding.objects.filter(run=run, status__in=["late", "overdue"],
                                                        check_name="total")).select_related(
        "application", "company", "county") if run else TimeLimitFinding.objects.none()
    late = filter_late(request, late)
    page = Paginator(late.order_by("status", "-elapsed_workdays"), 30).get_page(request.GET.get("page"))
    for f in page:
        f.class_label = services.CLASS_LABELS[f.user_class]
    zero = services.zero_scope_findings(scope.filter(Application.objects.all())).count()
    note = "" if scope.everything else "（按州市、类别、环节的统计为全省口径；按单位与清单为本辖区）"
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "connections/overview.html", {
        "title": "用电报装时限监管", "run": run, "by_company": by_company, "by_prefecture": by_prefecture,
        "by_class": by_class, "by_stage": by_stage, "averages": averages, "page": page, "zero": zero,
        "note": note, "query": query.urlencode(),
    })


def filter_late(request, qs):
    """The late list's filters (status, prefecture, county, company): the cockpit links here."""
    status = params.get_choice(request.GET, "status", ("late", "overdue"))
    if status:
        qs = qs.filter(status=status)
    return filter_by_area(qs, request.GET)


@login_required
def application(request, pk: int):
    app = get_object_or_404(scope_for(request.user).filter(Application.objects.select_related("company", "county")),
                            pk=pk)
    as_of = timezone.now()
    checks = services.application_checks(app, as_of)
    return render(request, "connections/application.html", {"title": f"用电报装 {app.app_id}", "app": app,
                                                             "checks": checks, "as_of": as_of,
                                                             "pauses": app.pauses.all()})


@login_required
def zero_scope(request):
    scope = scope_for(request.user)
    qs = services.zero_scope_findings(scope.filter(Application.objects.select_related("company", "county")))
    page = Paginator(qs.order_by("-applied_at"), 50).get_page(request.GET.get("page"))
    return render(request, "connections/zero_scope.html", {"title": "三零服务范围核查", "page": page, "query": ""})
