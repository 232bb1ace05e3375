"""Frequent-outage pages (rules R3): warnings and breaches, unit timeline, exclusion audit,
governance (闭环销号). Every query is scoped with ``scope_for(request.user)``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from getpower.core import params
from getpower.core.scope import scope_for
from getpower.grid.models import Asset

from . import governance, lists, services
from .models import Finding, GovernanceEvent, GovernanceItem

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


# the lists (warnings and breaches, governance items, outage records): declared in lists.py on the one
# list-page pattern (core/lists.py)
findings = lists.FINDINGS.view
governance_list = lists.GOVERNANCE.view
records = lists.RECORDS.view


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
