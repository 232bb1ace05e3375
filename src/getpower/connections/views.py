"""Connection time-limit pages (rules R2): the supply company's worklist, the regulator's overview,
an application's timeline, 三零 scope findings, the F1 ledger, and the public progress lookup."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from getpower.core.models import Organisation, Region
from getpower.core.scope import scope_for

from . import lists, services
from .models import Application


def rate(entry: dict) -> float | None:
    finished = entry.get("ok", 0) + entry.get("late", 0)
    return round(100 * entry.get("ok", 0) / finished, 1) if finished else None


@login_required
def home(request):
    """A supply company's worklist; the overview (with the late list) for the authorities."""
    if scope_for(request.user).is_supplier:
        return lists.WORKLIST.serve(request)
    return OVERVIEW.serve(request)


@login_required
def late(request):
    """The late list behind the cockpit's on-time rate (the overview, for the authorities)."""
    if scope_for(request.user).is_supplier:
        return lists.LATE.serve(request)
    return OVERVIEW.serve(request)


def overview_tables(listing) -> dict:
    """The overview's tables around the late list: the run's summary by company, prefecture, user class
    and stage, and the 三零 scope count."""
    scope, run = listing.scope, listing.extra["run"]
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
    zero = services.zero_scope_findings(scope.filter(Application.objects.all())).count()
    note = "" if scope.everything else "（按州市、类别、环节的统计为全省口径；按单位与清单为本辖区）"
    return {"by_company": by_company, "by_prefecture": by_prefecture, "by_class": by_class, "by_stage": by_stage,
            "averages": averages, "zero": zero, "note": note}


OVERVIEW = lists.late_page("connections/overview.html", overview_tables)


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
