"""Frequent-outage pages (rules R3): warnings and breaches, unit timeline, exclusion audit,
governance (闭环销号). Every query is scoped with ``scope_for(request.user)``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from getpower.core import params
from getpower.core.models import EvaluationRun, Region
from getpower.core.scope import filter_by_area, scope_for
from getpower.grid.models import Asset

from . import governance, services
from .models import Finding, GovernanceEvent, GovernanceItem, Outage

STATUS_ORDER = {"breach": 0, "warning": 1, "ok": 2}


def home_panel(request, scope) -> dict:
    """What the home page shows about frequent outages: counts of the latest evaluation."""
    run = services.latest_run()
    if run is None:
        return {}
    findings = scope.filter(Finding.objects.filter(run=run))
    counts = dict(findings.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    open_items = scope.filter(GovernanceItem.objects.exclude(status=GovernanceItem.Status.CLOSED)).count()
    return {"outage_run": run, "outage_counts": {"breach": counts.get("breach", 0),
                                                  "warning": counts.get("warning", 0), "open_items": open_items}}


def filtered_findings(request, run):
    scope = scope_for(request.user)
    qs = scope.filter(Finding.objects.filter(run=run).select_related("asset", "company", "county"))
    g = request.GET
    status = params.get_choice(g, "status", Finding.Status.values)
    if status:
        qs = qs.filter(status=status)
    asset_type = params.get_choice(g, "asset_type", ("line", "tq"))
    if asset_type:
        qs = qs.filter(asset_type=asset_type)
    qs = filter_by_area(qs, g)
    term = params.get_text(g, "q")
    if term:
        qs = qs.filter(Q(asset__asset_id__icontains=term) | Q(asset__name__icontains=term))
    return qs


def chosen_run(request, run):
    """A list behind a cockpit number names its run (``?run=``); else the latest."""
    run_pk = params.get_int(request.GET, "run", min_value=1)
    if run_pk is not None:
        return EvaluationRun.objects.filter(rule=services.RULE, pk=run_pk).first() or run
    return run


@login_required
def findings(request):
    run = chosen_run(request, services.latest_run())
    page = None
    items = {}
    if run is not None:
        qs = filtered_findings(request, run).order_by("status", "-max_60d_count", "-year_count", "asset__asset_id")
        # "breach" sorts before "warning" alphabetically: worst first
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        assets = [f.asset_id for f in page]
        for item in GovernanceItem.objects.filter(asset_id__in=assets).order_by("cycle"):
            items[item.asset_id] = item
        for f in page:
            f.item = items.get(f.asset_id)
    query = request.GET.copy()
    query.pop("page", None)
    scope = scope_for(request.user)
    return render(request, "outages/findings.html", {
        "title": "频繁停电预警与越限", "run": run, "page": page, "query": query.urlencode(),
        "prefectures": Region.objects.filter(level="prefecture"),
        "companies": scope.suppliers().order_by("org_code") if scope.is_regulator_side else [],
        "is_regulator": scope.is_regulator_side,
    })


@login_required
def unit(request, pk: int):
    asset = get_object_or_404(scope_for(request.user).filter(Asset.objects.select_related("company", "county",
                                                                                           "line")), pk=pk)
    run = services.latest_run()
    as_of = run.as_of.astimezone(timezone.get_current_timezone()).date() if run else timezone.localdate()
    as_of = params.get_date(request.GET, "as_of", as_of)
    report = services.unit_report(asset, as_of)
    items = GovernanceItem.objects.filter(asset=asset).order_by("-cycle")
    return render(request, "outages/unit.html", {
        "title": f"{asset.name} 停电情况", "asset": asset, "as_of": as_of, "report": report, "items": items,
        # the charts' data, for json_script (event ids and reasons are company text: never hand-built JSON)
        "timeline": [{"t": d["start_ts"], "m": d["minutes"], "c": bool(d["counted"]), "r": d["reason_label"],
                      "e": d["event_id"]} for d in report["decisions"]],
        "history": [{"t": h["start"], "y": h["year_count"], "w": h["window_count"]} for h in report["history"]],
    })


# -- governance ---------------------------------------------------------------------------------

def scoped_items(request):
    return scope_for(request.user).filter(GovernanceItem.objects.select_related("asset", "company", "county"))


@login_required
def governance_list(request):
    qs = scoped_items(request)
    status = params.get_choice(request.GET, "status", [*GovernanceItem.Status.values, "open"])
    if status == "open":
        qs = qs.exclude(status=GovernanceItem.Status.CLOSED)
    elif status:
        qs = qs.filter(status=status)
    qs = filter_by_area(qs, request.GET)
    counts = dict(scoped_items(request).values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    page = Paginator(qs.order_by("status", "-opened_at"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "outages/governance_list.html", {
        "title": "频繁停电治理（闭环销号）", "page": page, "query": query.urlencode(),
        "statuses": [(value, label, counts.get(value, 0)) for value, label in GovernanceItem.Status.choices],
        "open_total": sum(n for s, n in counts.items() if s != GovernanceItem.Status.CLOSED),
        "series": governance.open_items_over_time(scoped_items(request)),
        "prefectures": Region.objects.filter(level="prefecture"),
    })


@login_required
def governance_detail(request, pk: int):
    item = get_object_or_404(scoped_items(request), pk=pk)
    return render(request, "outages/governance_detail.html", {
        "title": f"治理事项 {item.pk}", "item": item, "events": governance.labelled_events(item),
        "transitions": governance.allowed(item, request.user), "methods": governance.VERIFICATION_METHODS,
    })


@login_required
@require_POST
def governance_transition(request, pk: int):
    item = get_object_or_404(scoped_items(request), pk=pk)
    planned = request.POST.get("planned_completion") or None
    try:
        governance.transition(
            item, request.POST.get("transition", ""), request.user, note=request.POST.get("note", ""),
            measures=request.POST.get("measures", ""),
            planned_completion=dt.date.fromisoformat(planned) if planned else None,
            verification_method=request.POST.get("verification_method", ""),
            attachment=request.FILES.get("attachment"))
        messages.success(request, "已提交")
    except governance.TransitionError as exc:
        messages.error(request, str(exc))
    except ValueError:
        messages.error(request, "计划完成日期格式应为 YYYY-MM-DD")
    return redirect(f"/outages/governance/{item.pk}/")


@login_required
def governance_attachment(request, event_pk: int):
    event = get_object_or_404(GovernanceEvent.objects.select_related("item"), pk=event_pk)
    if not scope_for(request.user).can_see(company_id=event.item.company_id, county_code=event.item.county_id):
        raise Http404
    if not event.attachment:
        raise Http404
    response = HttpResponse(event.attachment.open("rb").read(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{event.attachment.name.rsplit("/", 1)[-1]}"'
    return response


# -- exclusion audit ------------------------------------------------------------------------------

@login_required
def exclusions(request):
    scope = scope_for(request.user)
    if not scope.is_regulator_side:
        raise PermissionDenied("剔除审核仅对监管和主管部门开放")
    run = services.latest_run()
    rows = services.exclusion_audit(scope, run)
    return render(request, "outages/exclusions.html", {"title": "停电剔除审核", "rows": rows, "run": run,
                                                        "categories": services.EXCLUSION_LABELS})


@login_required
def records(request):
    """The outage records behind a number: filtered by company, exclusion category and claim status."""
    scope = scope_for(request.user)
    qs = scope.filter(Outage.objects.select_related("asset", "company"))
    g = request.GET
    # the heading names the company: only one inside the user's jurisdiction (else 404)
    company = params.get_company(g, scope)
    if company is not None:
        qs = qs.filter(company=company)
    exclusion = params.get_choice(g, "exclusion", [value for value, _ in Outage._meta.get_field("exclusion").choices])
    if exclusion:
        qs = qs.filter(exclusion=exclusion)
    asset = params.get_int(g, "asset", min_value=1)
    if asset is not None:
        qs = qs.filter(asset_id=asset)
    claim = params.get_choice(g, "claim", ("accepted", "rejected"))
    run = services.latest_run()
    qs = qs.order_by("-start_time")
    if claim in ("accepted", "rejected") and run is not None:
        page = Paginator(services.claim_outage_ids(qs, run, claim, scope), 50).get_page(g.get("page"))
        by_id = {o.pk: o for o in qs.filter(id__in=list(page.object_list))}
        page.object_list = [by_id[i] for i in page.object_list]
    else:
        page = Paginator(qs, 50).get_page(g.get("page"))
    query = g.copy()
    query.pop("page", None)
    return render(request, "outages/records.html", {"title": "停电记录", "page": page, "query": query.urlencode(),
                                                     "company": company})
