"""The home page: the overview of the user's jurisdiction."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.shortcuts import render

from getpower.arrears.services import company_warnings
from getpower.core.models import Region
from getpower.core.scope import Role, scope_for
from getpower.grid.models import Asset
from getpower.outages.views import home_panel


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
    context.update(home_panel(request, scope))
    if scope.is_supplier:
        context["arrears_warnings"] = company_warnings(scope)
    return render(request, "web/home.html", context)
