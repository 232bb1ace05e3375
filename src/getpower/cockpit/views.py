"""The regulator cockpit (/cockpit/) and the monthly supervision report (/cockpit/report/).

Regulator side only: supply companies get 403. Each authority sees its own region — the area
in the URL must lie inside ``scope_for(user)``, else 404. Pages read stored snapshots; the only
computation a view may trigger is ``services.ensure_fresh`` when a month's snapshots are behind
its runs (or its governance items, or the rulebook)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone

from getpower.core import params
from getpower.core.scope import Scope, organisation_of, scope_for

from . import board, report, services
from .kpis import Area, Geography, by_code
from .models import MonthState


def regulator_scope(request) -> Scope:
    scope = scope_for(request.user)
    if not scope.is_regulator_side:
        raise PermissionDenied("监管驾驶舱仅对监管机构和能源主管部门开放")
    return scope


def root_area(request, scope: Scope, geo: Geography) -> Area:
    """The top of the reader's view: the province, or the authority's own prefecture or county."""
    if scope.everything:
        return geo.province
    org = organisation_of(request.user)
    area = geo.region(org.region_id) if org else None
    if area is None:
        raise PermissionDenied("未设置所属行政区划")
    return area


def chosen_area(code: str | None, scope: Scope, geo: Geography, root: Area) -> Area:
    if not code:
        return root
    area = geo.region(code)
    if area is None or not scope.covers_region(area.code) or not area.code.startswith(root.prefix):
        raise Http404("不在辖区内的区域")
    return area


def chosen_month(request, months: list[str]) -> str | None:
    """``?month=YYYY-MM`` (malformed: a 400 page naming it); without it the latest month with snapshots."""
    return params.get_month(request.GET, "month") or (months[-1] if months else None)


@login_required
def cockpit(request):
    scope = regulator_scope(request)
    geo = Geography.load()
    root = root_area(request, scope, geo)
    area = chosen_area(params.get_text(request.GET, "area", max_length=12), scope, geo, root)
    kpi = params.get_choice(request.GET, "kpi", list(by_code()), "composite")
    recheck = getattr(settings, "GETPOWER_COCKPIT_RECHECK_SECONDS", 5)
    months = services.page_months(recheck)
    month = chosen_month(request, months)
    context = {"title": "监管驾驶舱", "months": months, "month": month, "area": area, "root": root,
               "kpi_code": kpi}
    if month is None:
        return render(request, "cockpit/index.html", context)
    state = services.page_state(month, recheck)
    context.update({
        "report_url": "/cockpit/report/?" + urlencode({"month": month, "region": area.code}),
        "xlsx_url": "/cockpit/report.xlsx?" + urlencode({"month": month, "region": area.code}),
    })
    if state is None:
        return render(request, "cockpit/index.html", context)
    # the board depends on the snapshots (of every month: the trend), the request and the reader's
    # region only; any recomputation anywhere gives a new key
    computed = MonthState.objects.aggregate(at=Max("computed_at"))["at"]
    key = "cockpit:" + ":".join([month, computed.isoformat(), area.code, kpi,
                                 "*" if scope.everything else scope.region_prefix or "-"])
    seconds = getattr(settings, "GETPOWER_COCKPIT_CACHE_SECONDS", 300)
    context["board_html"] = cache.get(key) if seconds else None
    if context["board_html"] is None:
        context["board_html"] = render_board(month, area, kpi, scope, geo, root, state, context)
        if seconds:
            cache.set(key, context["board_html"], seconds)
    return render(request, "cockpit/index.html", context)


def render_board(month: str, area: Area, kpi: str, scope: Scope, geo: Geography, root: Area, state,
                 context: dict) -> str:
    """The cards, map, trend and rankings of one view (the part a cache may keep)."""

    def page_url(**changes) -> str:
        params = {"month": month, "kpi": kpi, "area": area.code, **changes}
        return "/cockpit/?" + urlencode(params)

    b = board.build(month=month, area=area, kpi_code=kpi, geo=geo, covers=scope.covers_region, root=root,
                    page_url=page_url, runs=services.state_runs(state))
    geo_url = static("vendor/maps/yunnan.json") if b.map_name == "yunnan" else static(
        f"vendor/maps/counties/{b.map_name}.json")
    context.update({
        "board": b, "state": state,
        "kpi_links": [(k, page_url(kpi=k.code)) for k in b.kpis],
        "crumb_links": [(a, page_url(area=a.code)) for a in b.crumbs],
        "cockpit_data": {
            "mapName": b.map_name, "geoUrl": geo_url, "kpi": b.kpi.code, "kpiLabel": b.kpi.label,
            "unit": b.kpi.unit, "higherIsBetter": b.kpi.higher_is_better, "selected": area.code,
            "mapData": [{"name": r.area.name, "code": r.area.code, "value": r.cells[kpi].value,
                         "text": r.cells[kpi].text} for r in b.areas],
            "drillUrl": page_url(area="__CODE__"),
            "trend": {"months": [m for m, _ in b.trend],
                      "values": [None if v is None else round(v, b.kpi.decimals) for _, v in b.trend]},
        },
    })
    return render_to_string("cockpit/_board.html", context)


def report_request(request) -> tuple[str, Area, report.ReportData]:
    """The month and area a report asks for (inside the user's jurisdiction) and the report's data. A
    malformed month is a 400 page naming it; without ``?month`` the report is that of the latest month
    with snapshots (as the cockpit opens on it), else of the current month."""
    scope = regulator_scope(request)
    geo = Geography.load()
    root = root_area(request, scope, geo)
    month = params.get_month(request.GET, "month")
    if month is None:
        months = services.page_months(getattr(settings, "GETPOWER_COCKPIT_RECHECK_SECONDS", 5))
        month = months[-1] if months else services.month_of(timezone.now())
    area = chosen_area(params.get_text(request.GET, "region", max_length=12), scope, geo, root)
    return month, area, report.build(month, area.code, covers=scope.covers_region)


@login_required
def report_page(request):
    month, area, data = report_request(request)
    html = report.render_html(data, standalone=False, links={
        "xlsx": "/cockpit/report.xlsx?" + urlencode({"month": month, "region": area.code}),
        "cockpit": "/cockpit/?" + urlencode({"month": month, "area": area.code})})
    return HttpResponse(html)


@login_required
def report_xlsx(request):
    month, area, data = report_request(request)
    response = HttpResponse(report.to_xlsx(data),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="supervision_{area.code}_{month}.xlsx"'
    return response
