"""The filing centre's list (R5), on the platform's one list-page pattern (``core/lists.py``): the
filings a user may see — its own and its subordinates' (supply companies), those inside its region and
those addressed to it (authorities), all (regulator, provincial bureau) — by type, state, period and area;
above it, for the authorities, the matrix of who filed what in the last six periods."""

from __future__ import annotations

import datetime as dt

import django_tables2 as tables
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html

from getpower.core import lists
from getpower.core.lists import Export, as_time, link, yes_no

from .models import Filing, FilingType

STATE_LABELS = {**dict(Filing.Status.choices), "overdue": "逾期未报"}
UNFILED = (Filing.Status.NOT_STARTED, Filing.Status.DRAFT)
HORIZON = dt.timedelta(days=45)  # periods opened ahead of time are listed once due within 45 days


def type_choices() -> list[tuple[str, str]]:
    return [(t.code, f"{t.code} {t.name}") for t in FilingType.objects.filter(active=True)]


class FilingFilter(lists.AreaFilterSet):
    type = lists.choice("报备类型", type_choices, field_name="type_id")
    state = lists.choice("状态", tuple(STATE_LABELS.items()), method="by_state")
    timeliness = lists.choice("及时性", (("late", "迟报"), ("on_time", "按时提交")), method="by_timeliness")
    period = lists.MonthFilter(label="期间（月）", field_name="period", kind="text")

    def by_state(self, queryset, name, value):
        """The state a filing shows (``Filing.display_state``): 逾期未报 is an unfiled one past its due time."""
        overdue = Q(is_overdue=True, status__in=UNFILED)
        if value == "overdue":
            return queryset.filter(overdue)
        return queryset.filter(status=value).exclude(overdue)

    def by_timeliness(self, queryset, name, value):
        if value == "late":
            return queryset.filter(is_late=True)
        return queryset.filter(submitted_at__isnull=False, is_late=False)


class FilingTable(lists.ListTable):
    type = tables.Column("类型", accessor="type_id", orderable=True)
    filer = tables.Column("报送单位", accessor="filer.name", order_by=("filer__org_code",), orderable=True)
    period = tables.Column("期间", orderable=True)
    recipient = tables.Column("报送对象", accessor="recipient.name")
    due_at = lists.When("截止", orderable=True)
    state = tables.Column("状态", accessor="status", order_by=("status",), orderable=True)
    submitted_at = lists.When("提交", format="m-d H:i", orderable=True)

    class Meta(lists.ListTable.Meta):
        attrs = {"class": "grid", "id": "my-filings"}
        empty_text = "没有报备"

    def render_period(self, record):
        return link(f"/filings/{record.pk}/", record.period)

    def render_state(self, record):
        state = record.display_state
        badge = format_html('<span class="badge {}">{}</span>', state, STATE_LABELS[state])
        if record.is_late:
            badge = format_html('{} <span class="badge late">迟报</span>', badge)
        return badge


def visible_rows(listing):
    return Filing.objects.filter(due_at__lte=timezone.now() + HORIZON).select_related(
        "type", "filer", "recipient")


def matrix_and_counts(listing) -> dict:
    """Above the list: the counts of overdue and late filings, and for the authorities the matrix of the
    chosen type (F3 unless another is chosen) over its last six periods."""
    scoped = listing.scoped
    code = listing.cleaned("type") or ("" if listing.scope.is_supplier else "F3")
    periods, matrix = [], []
    if code and not listing.scope.is_supplier:
        of_type = scoped.filter(type_id=code)
        periods = sorted(set(of_type.exclude(type__period="case").values_list("period", flat=True)))[-6:]
        cells: dict = {}
        for f in of_type.filter(period__in=periods).select_related("filer"):
            cells.setdefault(f.filer, {})[f.period] = f
        for filer in sorted(cells, key=lambda o: o.org_code):
            matrix.append({"filer": filer, "cells": [cells[filer].get(p) for p in periods]})
    return {
        "code": code, "periods": periods, "matrix": matrix, "labels": STATE_LABELS,
        "overdue_count": scoped.filter(is_overdue=True, status__in=UNFILED).count(),
        "late_count": scoped.filter(is_late=True).count(),
        "can_export_summary": listing.scope.is_regulator_side,  # the only ones the summary serves
    }


FILINGS = lists.ListPage(
    title="报备中心",
    rows=visible_rows,
    table=FilingTable,
    filterset=FilingFilter,
    template="filings/index.html",
    default_order=("-due_at", "type_id", "filer__org_code"),
    company="filer",
    county="county",
    addressee="recipient",
    context=matrix_and_counts,
    count_id="filing-count",
    noun="件",
    export_name="filings",
    export=(
        Export("报备类型", "type_id"),
        Export("报送单位", "filer__name"),
        Export("期间", "period"),
        Export("报送对象", "recipient__name"),
        Export("截止时间", "due_at", as_time()),
        Export("状态", "status", dict(Filing.Status.choices)),
        Export("逾期未报", "is_overdue", yes_no),
        Export("提交时间", "submitted_at", as_time()),
        Export("迟报", "is_late", yes_no),
        Export("接收时间", "accepted_at", as_time()),
    ),
)
