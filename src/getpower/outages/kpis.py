"""The KPIs the frequent-outage rules (R3) and their governance (闭环销号) offer the cockpit."""

from __future__ import annotations

from django.db.models import Count, Q

from getpower.domains.kpi import AreaKey, Context, Kpi, Measure, area_filter, link, per_thousand_tq
from getpower.grid.models import Asset

from .models import Finding, GovernanceEvent, GovernanceItem


def tq_counts(ctx: Context) -> dict[AreaKey, int]:
    """台区 per area (grid ledger as it stands: the ledger keeps no history), once per computation."""
    if "tq" not in ctx.cache:
        rows = Asset.objects.filter(asset_type=Asset.Type.TQ).values("county_id", "company_id").annotate(
            tq=Count("id")).order_by()
        ctx.cache["tq"] = {key: totals["tq"] for key, totals in ctx.geo.roll_up(rows, ("tq",)).items()}
    return ctx.cache["tq"]


def outage_rate(ctx: Context) -> dict[AreaKey, Measure]:
    """R3: frequent-outage breaches and warnings (lines and 台区) per 1,000 台区 of the area."""
    run = ctx.runs.get("R3")
    if run is None:
        return {}
    rows = Finding.objects.filter(run=run).values("county_id", "company_id").annotate(
        breach=Count("id", filter=Q(status="breach")), warning=Count("id", filter=Q(status="warning"))).order_by()
    found = ctx.geo.roll_up(rows, ("breach", "warning"))
    tq = tq_counts(ctx)
    out = {}
    for key in set(found) | set(tq):
        counts = found.get(key, {"breach": 0, "warning": 0})
        flagged, units = counts["breach"] + counts["warning"], tq.get(key, 0)
        out[key] = Measure(1000.0 * flagged / units if units else None, flagged, units, dict(counts))
    return out


def open_items(ctx: Context):
    """The governance items (闭环销号) not closed: as they stand now while the month runs; at the
    month's end for a past month (replayed from the event log, as the 动态清零 chart does)."""
    if ctx.is_current:
        return GovernanceItem.objects.exclude(status=GovernanceItem.Status.CLOSED)
    state: dict[int, str] = {}
    for item_id, status in GovernanceEvent.objects.filter(at__lt=ctx.month_stop).order_by("at", "id").values_list(
            "item_id", "to_status"):
        state[item_id] = status
    return GovernanceItem.objects.filter(pk__in=[pk for pk, s in state.items() if s != GovernanceItem.Status.CLOSED])


def open_governance(ctx: Context) -> dict[AreaKey, Measure]:
    """Open governance items per area (``open_items``); the denominator is the area's 台区."""
    rows = open_items(ctx).values("county_id", "company_id").annotate(n=Count("id")).order_by()
    found = ctx.geo.roll_up(rows, ("n",))
    tq = tq_counts(ctx)
    return {key: Measure(float(found.get(key, {}).get("n", 0)), found.get(key, {}).get("n", 0), tq.get(key, 0))
            for key in {(a.level, a.code) for a in ctx.geo.areas()}}


def findings_list(level: str, code: str, runs: dict, part: str | None = None) -> str:
    return link("/outages/findings/", status=part, run=runs.get("R3"), **area_filter(level, code))


def governance_list(level: str, code: str, runs: dict, part: str | None = None) -> str:
    return link("/outages/governance/", status="open", **area_filter(level, code))


OUTAGE_RATE = Kpi("outage_per_1000_tq", "频繁停电及预警（每千台区）", "个/千台区", False, 1,
                  "频繁停电与预警的线路、台区数 ÷ 台区数 × 1000（规则 R3）", "R3", outage_rate, per_thousand_tq,
                  relative=True, list_url=findings_list, parts=(("breach", "频繁停电"), ("warning", "预警")))
# not computed from a run but from the items as they stand; recomputed with R3's runs
OPEN_GOVERNANCE = Kpi("open_governance", "未销号治理事项", "项", False, 0,
                      "尚未销号的频繁停电治理事项数（往月为月末时点数）", None, open_governance, per_thousand_tq,
                      relative=True, list_url=governance_list, stored_with="R3")
