"""The KPI the connection time limits (R2) offer the cockpit."""

from __future__ import annotations

from django.db.models import Count, Q

from getpower.domains.kpi import AreaKey, Context, Kpi, Measure, area_filter, link, percent_basis

from .models import Application, TimeLimitFinding


def on_time_rate(ctx: Context) -> dict[AreaKey, Measure]:
    """R2, the whole process (check ``total``): finished on time ÷ finished, in %.

    Late and overdue counts are the run's ``TimeLimitFinding`` rows of check ``total``; finished
    applications (applied and energised by the run's as-of time — exactly the ``total`` checks
    that are ok or late) are counted from the applications ledger, because the run summary has
    no per-county counts. ok = finished − late. The province figures equal ``summary["totals"]``.
    """
    run = ctx.runs.get("R2")
    if run is None:
        return {}
    late_rows = TimeLimitFinding.objects.filter(run=run, check_name="total", status__in=("late", "overdue")).values(
        "county_id", "company_id").annotate(late=Count("id", filter=Q(status="late")),
                                            overdue=Count("id", filter=Q(status="overdue"))).order_by()
    late = ctx.geo.roll_up(late_rows, ("late", "overdue"))
    finished_rows = Application.objects.filter(applied_at__lte=run.as_of, energized_at__lte=run.as_of).values(
        "county_id", "company_id").annotate(finished=Count("id")).order_by()
    finished = ctx.geo.roll_up(finished_rows, ("finished",))
    out = {}
    for key in set(late) | set(finished):
        n_late, n_overdue = late.get(key, {}).get("late", 0), late.get(key, {}).get("overdue", 0)
        n_finished = finished.get(key, {}).get("finished", 0)
        ok = n_finished - n_late
        out[key] = Measure(100.0 * ok / n_finished if n_finished else None, ok, n_finished,
                           {"late": n_late, "overdue": n_overdue})
    return out


def late_list(level: str, code: str, runs: dict, part: str | None = None) -> str:
    return link("/connections/late/", status=part or "late", run=runs.get("R2"), **area_filter(level, code))


ON_TIME_RATE = Kpi("on_time_rate", "报装按时办结率", "%", True, 1,
                   "全过程按时办结件数 ÷ 已办结件数（规则 R2，全过程时限）", "R2", on_time_rate, percent_basis,
                   list_url=late_list, parts=(("late", "超时办结"), ("overdue", "已超期未办结")))
