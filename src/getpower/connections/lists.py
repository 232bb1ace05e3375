"""The connection lists (rules R2), on the platform's one list-page pattern (``core/lists.py``): the
supply company's worklist of unfinished stages, and the late list (超时与超期) behind the overview and
the cockpit's on-time rate.

**One instant per page.** Every figure of the worklist — used days, days left, days overdue, "due
within 1 working day" — is the run's, at its evaluation time (``run.as_of``), and the page prints that
time. Nothing is counted to the wall clock next to figures counted to the evaluation (issue 23: a stage
past its deadline read "0 left"). For a stage of limit L with E working days elapsed at that instant:

- E ≤ L: 已用 E, 剩余 L − E (0: 今日到期);
- E > L: 已用 L (the whole limit), 已超期 E − L 个工作日 — so that 已用 + 已超期 = E, the working days
  from the stage's start to the stated time (less customer pauses), and 已用 + 剩余 = L before.
"""

from __future__ import annotations

import django_tables2 as tables
from django.db.models import F
from django.db.models.functions import Least
from django.utils.html import format_html

from getpower.core import lists, params
from getpower.core.lists import NUM, Export, as_time, link
from getpower.core.models import EvaluationRun

from . import services
from .models import TimeLimitFinding

CHECK_CHOICES = tuple(services.STAGE_LABELS.items())
CLASS_CHOICES = tuple(services.CLASS_LABELS.items())
STATE_CHOICES = (("open", "办理中（未超期）"), ("soon", "1个工作日内到期"), ("overdue", "已超期"))
DUE_SOON_DAYS = 1


def chosen_run(request):
    """The latest R2 run, or the one a cockpit number names (``?run=``)."""
    run = services.latest_run()
    run_pk = params.get_int(request.GET, "run", min_value=1)
    if run_pk is not None:
        run = EvaluationRun.objects.filter(rule=services.RULE, pk=run_pk).first() or run
    return run


def with_run(listing) -> dict:
    run = chosen_run(listing.request)
    return {"run": run, "instant": run.as_of if run else None}


def remaining_text(remaining: int) -> str:
    """What the 剩余工作日 cell says: the days left, 今日到期, or 已超期 N 个工作日 (never "0 left" for a
    stage past its deadline)."""
    if remaining < 0:
        return f"已超期 {-remaining} 个工作日"
    if remaining == 0:
        return "今日到期"
    return str(remaining)


# -- the worklist --------------------------------------------------------------------------------------

class WorklistFilter(lists.AreaFilterSet):
    state = lists.choice("状态", STATE_CHOICES, method="by_state")
    check_name = lists.choice("环节", CHECK_CHOICES)
    user_class = lists.choice("用户类型", CLASS_CHOICES)
    q = lists.SearchFilter(label="申请编号", fields=("application__app_id",))

    def by_state(self, queryset, name, value):
        if value == "overdue":
            return queryset.filter(remaining__lt=0)
        if value == "soon":
            return queryset.filter(remaining__gte=0, remaining__lte=DUE_SOON_DAYS)
        return queryset.filter(remaining__gte=0)


def row_class(record, **kwargs) -> str:
    if record.remaining < 0:
        return "overdue"
    return "urgent" if record.remaining <= DUE_SOON_DAYS else ""


class WorklistTable(lists.ListTable):
    app_id = tables.Column("申请编号", accessor="application.app_id", orderable=True)
    company = tables.Column("供电单位", accessor="company.name", order_by=("company__org_code",), orderable=True)
    user_class = tables.Column("用户类型", orderable=True)
    check_name = tables.Column("环节", orderable=True, order_by=("check_name",))
    used = tables.Column("已用工作日", attrs=NUM, orderable=True)
    limit_workdays = tables.Column("时限", attrs=NUM, orderable=True)
    deadline = lists.When("截止日", format="Y-m-d", orderable=True)
    remaining = tables.Column("剩余工作日", attrs=NUM, orderable=True, empty_values=())

    class Meta(lists.ListTable.Meta):
        attrs = {"class": "grid", "id": "worklist"}
        row_attrs = {"class": row_class}
        empty_text = "没有办理中的环节"

    def render_app_id(self, record):
        return link(f"/connections/applications/{record.application.pk}/", record.application.app_id)

    def render_user_class(self, value):
        return services.CLASS_LABELS.get(value, value)

    def render_check_name(self, value):
        return services.STAGE_LABELS.get(value, value)

    def render_remaining(self, record):
        if record.remaining < 0:
            return format_html('<span class="badge overdue">{}</span>', remaining_text(record.remaining))
        return remaining_text(record.remaining)


def open_stages(listing):
    run = listing.extra["run"]
    if run is None:
        return TimeLimitFinding.objects.none()
    return (TimeLimitFinding.objects.filter(run=run, status__in=("open", "overdue"))
            .select_related("application", "company")
            .annotate(remaining=F("limit_workdays") - F("elapsed_workdays"),
                      used=Least("elapsed_workdays", "limit_workdays")))


def worklist_counts(listing) -> dict:
    return {"overdue": listing.scoped.filter(remaining__lt=0).count()}


WORKLIST = lists.ListPage(
    title="用电报装工作清单",
    rows=open_stages,
    table=WorklistTable,
    filterset=WorklistFilter,
    template="connections/worklist.html",
    default_order=("remaining", "application__app_id", "deadline"),
    keep=("run",),
    prepare=with_run,
    context=worklist_counts,
    count_id="worklist-count",
    noun="个环节",
    export_name="connection_worklist",
    export=(
        Export("申请编号", "application__app_id"),
        Export("供电单位", "company__name"),
        Export("用户类型", "user_class", services.CLASS_LABELS),
        Export("环节", "check_name", services.STAGE_LABELS),
        Export("时限（工作日）", "limit_workdays"),
        Export("已用工作日", "used"),
        Export("剩余工作日", "remaining", lambda r: max(r, 0)),
        Export("超期工作日", "remaining", lambda r: max(-r, 0)),
        Export("截止日", "deadline", as_time("%Y-%m-%d")),
        Export("计算时点", "run__as_of", as_time("%Y-%m-%d %H:%M")),
    ),
)


# -- late and overdue applications (全过程) ------------------------------------------------------------

class LateFilter(lists.AreaFilterSet):
    """The late list's filters (status, prefecture, county, company): the cockpit links here."""

    status = lists.choice("状态", (("late", "超时办结"), ("overdue", "已超期")))
    user_class = lists.choice("用户类型", CLASS_CHOICES)
    q = lists.SearchFilter(label="申请编号", fields=("application__app_id",))


class LateTable(lists.ListTable):
    app_id = tables.Column("申请编号", accessor="application.app_id", orderable=True)
    company = tables.Column("单位", accessor="company.name", order_by=("company__org_code",), orderable=True)
    county = tables.Column("县区", accessor="county.name", order_by=("county_id",), orderable=True)
    user_class = tables.Column("类型", orderable=True)
    elapsed_workdays = tables.Column("已用", attrs=NUM, orderable=True)
    limit_workdays = tables.Column("时限", attrs=NUM, orderable=True)
    status = tables.Column("状态", orderable=True)

    class Meta(lists.ListTable.Meta):
        attrs = {"class": "grid", "id": "late"}
        empty_text = "无"

    def render_app_id(self, record):
        return link(f"/connections/applications/{record.application.pk}/", record.application.app_id)

    def render_user_class(self, value):
        return services.CLASS_LABELS.get(value, value)

    def render_status(self, value):
        return format_html('<span class="badge {}">{}</span>', value, "超时办结" if value == "late" else "已超期")


def late_rows(listing):
    run = listing.extra["run"]
    if run is None:
        return TimeLimitFinding.objects.none()
    return TimeLimitFinding.objects.filter(run=run, status__in=("late", "overdue"), check_name="total").select_related(
        "application", "company", "county")


LATE_EXPORT = (
    Export("申请编号", "application__app_id"),
    Export("供电单位", "company__name"),
    Export("县区", "county__name"),
    Export("用户类型", "user_class", services.CLASS_LABELS),
    Export("已用工作日", "elapsed_workdays"),
    Export("时限（工作日）", "limit_workdays"),
    Export("状态", "status", services.STATUS_LABELS),
    Export("评估时点", "run__as_of", as_time("%Y-%m-%d %H:%M")),
)


def late_page(template: str, context=None) -> lists.ListPage:
    return lists.ListPage(
        title="用电报装时限监管", rows=late_rows, table=LateTable, filterset=LateFilter, template=template,
        default_order=("status", "-elapsed_workdays"), per_page=30, keep=("run",), prepare=with_run,
        context=context, count_id="late-count", noun="件", export_name="connection_late", export=LATE_EXPORT)


LATE = late_page("connections/late.html")
