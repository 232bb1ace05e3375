"""The KPI the arrears-disconnection rules (R4) offer the cockpit."""

from __future__ import annotations

from django.db.models import Count, Q

from getpower.domains.kpi import AreaKey, Context, Kpi, Measure, area_filter, compliant_share, link

from .models import ArrearsFinding


def arrears_violations(ctx: Context) -> dict[AreaKey, Measure]:
    """R4: arrears-disconnection cases with at least one violation (of the cases checked)."""
    run = ctx.runs.get("R4")
    if run is None:
        return {}
    rows = ArrearsFinding.objects.filter(run=run).values("county_id", "company_id").annotate(
        cases=Count("case_id", distinct=True),
        violating=Count("case_id", distinct=True, filter=Q(status="violation"))).order_by()
    found = ctx.geo.roll_up(rows, ("cases", "violating"))
    return {key: Measure(float(found.get(key, {}).get("violating", 0)), found.get(key, {}).get("violating", 0),
                         found.get(key, {}).get("cases", 0))
            for key in {(a.level, a.code) for a in ctx.geo.areas()}}


def arrears_list(level: str, code: str, runs: dict, part: str | None = None) -> str:
    return link("/arrears/", view="violations", run=runs.get("R4"), **area_filter(level, code))


ARREARS_VIOLATIONS = Kpi("arrears_violations", "欠费停电违规案件", "件", False, 0,
                         "至少有一项检查违规的居民小区欠费停电案件数（规则 R4）", "R4", arrears_violations,
                         compliant_share, list_url=arrears_list)
