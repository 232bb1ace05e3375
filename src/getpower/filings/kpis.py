"""The KPI the filing centre (R5) offers the cockpit: filings handed in on time, per region area."""

from __future__ import annotations

from getpower.domains.kpi import REGION_LEVELS, AreaKey, Context, Kpi, Measure, percent_basis

from .services import on_time_counts


def filings_rate(ctx: Context) -> dict[AreaKey, Measure]:
    """Filings handed in on time, in %: ``on_time_counts`` gives, per county, the filings due in the
    month and those handed in on time; summed here into every region whose GB/T 2260 prefix the
    county (or the filer's prefecture or province) has. An area where nothing was due has no value;
    companies have none yet."""
    rows = on_time_counts(month=ctx.month)
    out = {}
    for area in ctx.geo.areas():
        if area.level not in REGION_LEVELS:
            continue
        inside = [r for r in rows if r["county_id"].startswith(area.prefix)]
        due = sum(r["due"] for r in inside)
        if due:
            out[(area.level, area.code)] = Measure(round(100 * sum(r["on_time"] for r in inside) / due, 1))
    return out


FILINGS_ON_TIME = Kpi("filings_on_time", "报备及时率", "%", True, 1,
                      "按期报备件数 ÷ 应报备件数（规则 R5，由报备模块提供）", None, filings_rate, percent_basis)
