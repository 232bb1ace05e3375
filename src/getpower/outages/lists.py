"""The frequent-outage lists (rules R3), on the platform's one list-page pattern (``core/lists.py``):
warnings and breaches of a run, governance items (闭环销号), outage records. Filters, sort, pages and
downloads come from the declarations below; the jurisdiction is applied underneath."""

from __future__ import annotations

import django_tables2 as tables
from django import forms
from django.db.models import Count, OuterRef, Subquery
from django.utils.html import format_html

from getpower.core import lists, params
from getpower.core.lists import NUM, Export, as_number, as_time, link
from getpower.core.models import EvaluationRun

from . import governance, services
from .exclusions import EXCLUSION_CHOICES
from .models import Finding, GovernanceItem, Outage

ASSET_TYPES = (("line", "线路"), ("tq", "台区"))
ASSET_TYPE_LABELS = dict(ASSET_TYPES)
FINDING_STATUS_LABELS = dict(Finding.Status.choices)
ITEM_STATUS_LABELS = dict(GovernanceItem.Status.choices)
EXCLUSION_LABELS = dict(EXCLUSION_CHOICES)
KIND_LABELS = dict(Outage.Kind.choices)


def chosen_run(request, run):
    """A list behind a cockpit number names its run (``?run=``); else the latest."""
    run_pk = params.get_int(request.GET, "run", min_value=1)
    if run_pk is not None:
        return EvaluationRun.objects.filter(rule=services.RULE, pk=run_pk).first() or run
    return run


def badge(css: str, text) -> str:
    return format_html('<span class="badge {}">{}</span>', css, text)


# -- warnings and breaches ----------------------------------------------------------------------------

class FindingFilter(lists.AreaFilterSet):
    status = lists.choice("状态", [(s, FINDING_STATUS_LABELS[s]) for s in ("breach", "warning", "ok")],
                          empty_label="预警及越限")
    asset_type = lists.choice("类型", ASSET_TYPES, empty_label="线路及台区")
    q = lists.SearchFilter(label="线路/台区", fields=("asset__asset_id", "asset__name"))


class FindingTable(lists.ListTable):
    status = tables.Column("状态", orderable=True)
    asset_type = tables.Column("类型", orderable=True)
    asset_id = tables.Column("编号", accessor="asset.asset_id", orderable=True)
    name = tables.Column("名称", accessor="asset.name")
    company = tables.Column("供电单位", accessor="company.name", order_by=("company__org_code",), orderable=True)
    county = tables.Column("县区", accessor="county.name", order_by=("county_id",), orderable=True)
    year_count = tables.Column("年内次数", attrs=NUM, orderable=True)
    max_60d_count = tables.Column("60天最多", attrs=NUM, orderable=True)
    long_count = tables.Column("近50天", attrs=NUM, orderable=True)
    short_count = tables.Column("近30天", attrs=NUM, orderable=True)
    first_breach_date = lists.When("首次越限日", format="Y-m-d", orderable=True)
    item = tables.Column("治理", accessor="item", empty_values=())

    class Meta(lists.ListTable.Meta):
        attrs = {"class": "grid", "id": "findings"}
        empty_text = "没有预警或越限"

    def render_status(self, record):
        return badge(record.status, record.get_status_display())

    def render_asset_type(self, record):
        return record.asset.get_asset_type_display()

    def render_asset_id(self, record):
        return format_html('<a href="/outages/units/{}/" class="unit-link">{}</a>', record.asset.pk,
                                 record.asset.asset_id)

    def render_item(self, record):
        item = getattr(record, "item", None)
        return link(f"/outages/governance/{item.pk}/", item.get_status_display()) if item else ""


def findings_run(listing) -> dict:
    return {"run": chosen_run(listing.request, services.latest_run())}


def findings_rows(listing):
    run = listing.extra["run"]
    if run is None:
        return Finding.objects.none()
    latest_item = GovernanceItem.objects.filter(asset=OuterRef("asset")).order_by("-cycle")
    return (Finding.objects.filter(run=run).defer("counted").select_related("asset", "company", "county")
            .annotate(item_status=Subquery(latest_item.values("status")[:1])))


def governance_items_of(findings: list, listing) -> None:
    """Each finding's governance item (the latest cycle): one query for the page."""
    items = {}
    for item in GovernanceItem.objects.filter(asset_id__in=[f.asset_id for f in findings]).order_by("cycle"):
        items[item.asset_id] = item
    for f in findings:
        f.item = items.get(f.asset_id)


FINDINGS = lists.ListPage(
    title="频繁停电预警与越限",
    rows=findings_rows,
    table=FindingTable,
    filterset=FindingFilter,
    template="outages/findings.html",
    # "breach" sorts before "warning" alphabetically: worst first
    default_order=("status", "-max_60d_count", "-year_count", "asset__asset_id"),
    keep=("run",),
    prepare=findings_run,
    decorate=governance_items_of,
    count_id="finding-count",
    noun="个",
    export_name="outage_findings",
    export=(
        Export("状态", "status", FINDING_STATUS_LABELS),
        Export("类型", "asset_type", ASSET_TYPE_LABELS),
        Export("编号", "asset__asset_id"),
        Export("名称", "asset__name"),
        Export("供电单位", "company__name"),
        Export("县区", "county__name"),
        Export("年内次数", "year_count"),
        Export("60天最多", "max_60d_count"),
        Export("近50天", "long_count"),
        Export("近30天", "short_count"),
        Export("首次越限日", "first_breach_date", as_time("%Y-%m-%d")),
        Export("治理", "item_status", ITEM_STATUS_LABELS),
    ),
)


# -- governance (闭环销号) --------------------------------------------------------------------------------

class GovernanceFilter(lists.AreaFilterSet):
    status = lists.choice("状态", [("open", "未销号"), *GovernanceItem.Status.choices], method="by_status")
    opened = lists.MonthFilter(label="识别月份", field_name="opened_at")

    def by_status(self, queryset, name, value):
        if value == "open":  # not a status of its own: every one but 已销号
            return queryset.exclude(status=GovernanceItem.Status.CLOSED)
        return queryset.filter(status=value)


class GovernanceTable(lists.ListTable):
    pk = tables.Column("事项", orderable=True)
    status = tables.Column("状态", orderable=True)
    asset = tables.Column("设备", accessor="asset.asset_id", order_by=("asset__asset_id",), orderable=True)
    company = tables.Column("供电单位", accessor="company.name", order_by=("company__org_code",), orderable=True)
    county = tables.Column("县区", accessor="county.name", order_by=("county_id",), orderable=True)
    opened_at = lists.When("识别时间", format="Y-m-d", orderable=True)
    first_breach_date = lists.When("首次越限日", format="Y-m-d", orderable=True)
    planned_completion = lists.When("计划完成", format="Y-m-d", orderable=True)
    cycle = tables.Column("轮次", orderable=True)

    class Meta(lists.ListTable.Meta):
        attrs = {"class": "grid", "id": "items"}
        empty_text = "没有治理事项"

    def render_pk(self, record):
        return link(f"/outages/governance/{record.pk}/", record.pk)

    def render_status(self, record):
        return badge("closed" if record.status == GovernanceItem.Status.CLOSED else "open",
                     record.get_status_display())

    def render_asset(self, record):
        return format_html('<a href="/outages/units/{}/">{}</a> {}', record.asset.pk, record.asset.asset_id,
                                 record.asset.name)


def governance_cards(listing) -> dict:
    """The cards and the chart: every item in the user's jurisdiction, whatever the filters."""
    counts = dict(listing.scoped.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "statuses": [(value, label, counts.get(value, 0)) for value, label in GovernanceItem.Status.choices],
        "open_total": sum(n for s, n in counts.items() if s != GovernanceItem.Status.CLOSED),
        "series": governance.open_items_over_time(listing.scoped),
    }


GOVERNANCE = lists.ListPage(
    title="频繁停电治理（闭环销号）",
    rows=lambda listing: GovernanceItem.objects.select_related("asset", "company", "county"),
    table=GovernanceTable,
    filterset=GovernanceFilter,
    template="outages/governance_list.html",
    default_order=("status", "-opened_at"),
    context=governance_cards,
    count_id="item-count",
    noun="项",
    export_name="governance_items",
    export=(
        Export("事项", "pk"),
        Export("状态", "status", ITEM_STATUS_LABELS),
        Export("设备编号", "asset__asset_id"),
        Export("设备名称", "asset__name"),
        Export("供电单位", "company__name"),
        Export("县区", "county__name"),
        Export("识别时间", "opened_at", as_time("%Y-%m-%d")),
        Export("首次越限日", "first_breach_date", as_time("%Y-%m-%d")),
        Export("计划完成", "planned_completion", as_time("%Y-%m-%d")),
        Export("轮次", "cycle"),
    ),
)


# -- outage records ------------------------------------------------------------------------------------

class RecordFilter(lists.AreaFilterSet):
    exclusion = lists.choice("剔除类别", EXCLUSION_CHOICES)
    claim = lists.choice("剔除申请", (("accepted", "认可"), ("rejected", "不认可")), method="by_claim")
    asset = lists.IntFilter(label="设备", field_name="asset_id", widget=forms.HiddenInput)
    month = lists.MonthFilter(label="停电月份", field_name="start_time")

    def by_claim(self, queryset, name, value):
        run = services.latest_run()
        if not value or run is None:
            return queryset
        return queryset.filter(id__in=services.claim_outage_ids(queryset, run, value, self.listing.scope))


class RecordTable(lists.ListTable):
    event_id = tables.Column("事件", orderable=True)
    asset = tables.Column("设备", accessor="asset.asset_id", order_by=("asset__asset_id",), orderable=True)
    start_time = lists.When("开始", format="Y-m-d H:i:s", orderable=True)
    end_time = lists.When("复电", format="Y-m-d H:i:s", orderable=True, default="未复电")
    kind = tables.Column("性质", orderable=True)
    cause = tables.Column("原因")
    exclusion = tables.Column("剔除类别", orderable=True)
    warning = tables.Column("预警文号/发布单位/层级", accessor="warning_ref", empty_values=())
    evidence_problem = tables.Column("证据问题")

    class Meta(lists.ListTable.Meta):
        attrs = {"class": "grid", "id": "records"}
        empty_text = "没有记录"

    def render_asset(self, record):
        return link(f"/outages/units/{record.asset.pk}/", record.asset.asset_id)

    def render_warning(self, record):
        return " ".join(v for v in (record.warning_ref, record.warning_issuer, record.warning_level) if v)


def record_heading(listing) -> dict:
    """The heading names the company asked for (only one inside the jurisdiction: else 404)."""
    return {"company": listing.cleaned("company")}


RECORDS = lists.ListPage(
    title="停电记录",
    context=record_heading,
    rows=lambda listing: Outage.objects.select_related("asset", "company").defer("affected_tq"),
    table=RecordTable,
    filterset=RecordFilter,
    template="outages/records.html",
    default_order=("-start_time",),
    count_id="record-count",
    export_name="outage_records",
    export=(
        Export("事件", "event_id"),
        Export("设备编号", "asset__asset_id"),
        Export("供电单位", "company__name"),
        Export("开始", "start_time", as_time("%Y-%m-%d %H:%M:%S")),
        Export("复电", "end_time", as_time("%Y-%m-%d %H:%M:%S")),
        Export("性质", "kind", KIND_LABELS),
        Export("原因", "cause"),
        Export("剔除类别", "exclusion", EXCLUSION_LABELS),
        Export("预警文号", "warning_ref"),
        Export("预警发布单位", "warning_issuer"),
        Export("预警发布层级", "warning_level"),
        Export("停电用户数", "users_affected", as_number),
        Export("证据问题", "evidence_problem"),
    ),
)
