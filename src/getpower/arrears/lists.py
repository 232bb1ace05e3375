"""The arrears-disconnection case list (rules R4), on the platform's one list-page pattern
(``core/lists.py``): the company's cases, an authority's inbox, the unacknowledged ones and those with a
violation in a run (the cockpit links to ``?view=violations&run=…``)."""

from __future__ import annotations

import django_tables2 as tables
from django.db.models import Exists, OuterRef
from django.utils.html import format_html_join

from getpower.core import lists, params
from getpower.core.lists import NUM, Export, as_time, link
from getpower.core.models import EvaluationRun
from getpower.core.scope import organisation_of

from . import services
from .models import ArrearsCase, ArrearsFinding

VIEWS = (("inbox", "本单位收件箱"), ("unacknowledged", "未确认收悉"), ("violations", "有违规"))


def with_run(listing) -> dict:
    """The latest R4 run, or the one a cockpit number names (``?run=``)."""
    run = services.latest_run()
    run_pk = params.get_int(listing.request.GET, "run", min_value=1)
    if run_pk is not None:
        run = EvaluationRun.objects.filter(rule=services.RULE, pk=run_pk).first() or run
    return {"run": run}


class CaseFilter(lists.AreaFilterSet):
    view = lists.choice("范围", VIEWS, method="by_view")
    planned = lists.MonthFilter(label="计划停电月份", field_name="planned_cut_at")
    q = lists.SearchFilter(label="案件编号或小区", fields=("case_id", "community"))

    def by_view(self, queryset, name, value):
        if value == "inbox":
            org = organisation_of(self.listing.request.user)
            return queryset.filter(routed_to=org) if org is not None else queryset
        if value == "unacknowledged":
            return queryset.filter(acknowledged_at__isnull=True, reported_at__isnull=False)
        run = self.listing.extra["run"]
        if run is None:
            return queryset
        return queryset.filter(Exists(ArrearsFinding.objects.filter(run=run, status="violation", case=OuterRef("pk"))))


class CaseTable(lists.ListTable):
    case_id = tables.Column("案件", orderable=True)
    community = tables.Column("小区", orderable=True)
    company = tables.Column("供电单位", accessor="company.name", order_by=("company__org_code",), orderable=True)
    county = tables.Column("县区", accessor="county.name", order_by=("county_id",), orderable=True)
    households = tables.Column("户数", attrs=NUM, orderable=True)
    planned_cut_at = lists.When("计划停电", orderable=True)
    cut_at = lists.When("实际停电", orderable=True, empty_values=())
    reported_at = lists.When("报告", format="m-d H:i", orderable=True, default="未报告")
    routed_to = tables.Column("送达", accessor="routed_to.name")
    acknowledged_at = lists.When("确认收悉", format="m-d H:i", orderable=True)
    checks = tables.Column("检查", accessor="pk", empty_values=())

    class Meta(lists.ListTable.Meta):
        attrs = {"class": "grid", "id": "cases"}
        empty_text = "没有案件"

    def render_case_id(self, record):
        return link(f"/arrears/{record.pk}/", record.case_id)

    def render_cut_at(self, record):
        return "已取消" if record.cancelled_at else lists.local_text(record.cut_at)

    def render_checks(self, record):
        badges = []
        if record.violations:
            badges.append(("violation", f"违规 {record.violations}"))
        if record.pending:
            badges.append(("pending", f"待定 {record.pending}"))
        if record.checks and not badges:
            badges.append(("ok", "合规"))
        return format_html_join(" ", '<span class="badge {}">{}</span>', badges)


def checks_of_page(cases: list, listing) -> None:
    """Each case's checks in the run: one query for the page."""
    run = listing.extra["run"]
    found: dict[int, list] = {}
    if run is not None:
        for f in ArrearsFinding.objects.filter(run=run, case__in=[c.pk for c in cases]).order_by("id"):
            found.setdefault(f.case_id, []).append(f)
    for c in cases:
        c.checks = found.get(c.pk, [])
        c.violations = sum(1 for f in c.checks if f.status == "violation")
        c.pending = sum(1 for f in c.checks if f.status == "pending")


def case_page_context(listing) -> dict:
    scope = listing.scope
    return {"view": listing.cleaned("view", ""), "is_supplier": scope.is_supplier,
            "warnings": services.company_warnings(scope) if scope.is_supplier else [],
            "labels": services.CHECK_LABELS}


CASES = lists.ListPage(
    title="居民小区欠费停电",
    rows=lambda listing: ArrearsCase.objects.select_related("company", "county", "routed_to"),
    table=CaseTable,
    filterset=CaseFilter,
    template="arrears/list.html",
    default_order=("-planned_cut_at",),
    keep=("run",),
    prepare=with_run,
    decorate=checks_of_page,
    context=case_page_context,
    count_id="case-count",
    noun="件",
    export_name="arrears_cases",
    export=(
        Export("案件编号", "case_id"),
        Export("小区名称", "community"),
        Export("供电单位", "company__name"),
        Export("县区", "county__name"),
        Export("涉及户数", "households"),
        Export("欠费金额(元)", "arrears_yuan", lists.as_number),
        Export("计划停电时间", "planned_cut_at", as_time()),
        Export("实际停电时间", "cut_at", as_time()),
        Export("取消停电时间", "cancelled_at", as_time()),
        Export("向主管部门报告时间", "reported_at", as_time()),
        Export("送达", "routed_to__name"),
        Export("主管部门确认时间", "acknowledged_at", as_time()),
    ),
)
