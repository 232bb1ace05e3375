"""The lines and 台区 of the user's jurisdiction: list, detail and CSV export.

The list is declared on the platform's one list-page pattern (``core/lists.py``): filters, sort, pages
and downloads, with the jurisdiction applied underneath. The download is the ``assets`` ledger itself,
column for column (its declaration gives the codes and how each value is written back), so that it can
be edited and imported again; streamed, read with ``values_list`` in chunks.

Every query goes through ``scope_for(request.user).filter(...)``; a row outside the user's
jurisdiction is a 404, whatever link led there."""

from __future__ import annotations

from functools import partial

import django_tables2 as tables
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from getpower.core import lists
from getpower.core.lists import NUM, Export, link
from getpower.core.scope import scope_for
from getpower.grid.models import Asset
from getpower.ledgers.registry import export_cell, get_ledger


def scoped_assets(request):
    return scope_for(request.user).filter(Asset.objects.select_related("company", "county", "line"))


class AssetFilter(lists.AreaFilterSet):
    type = lists.choice("类型", Asset.Type.choices, field_name="asset_type")
    q = lists.SearchFilter(label="编号或名称", fields=("asset_id", "name"))


class AssetTable(lists.ListTable):
    asset_id = tables.Column("设备编号", orderable=True)
    name = tables.Column("名称", orderable=True)
    asset_type = tables.Column("类型", orderable=True)
    company = tables.Column("供电单位", accessor="company.name", order_by=("company__org_code",), orderable=True)
    county = tables.Column("县区", accessor="county.name", order_by=("county_id",), orderable=True)
    line = tables.Column("所属线路", accessor="line.asset_id", order_by=("line__asset_id",), orderable=True)
    rated_kva = tables.Column("容量(kVA)", attrs=NUM, orderable=True)
    users = tables.Column("用户数", attrs=NUM, orderable=True)

    class Meta(lists.ListTable.Meta):
        attrs = {"class": "grid", "id": "assets"}

    def render_asset_id(self, record):
        return link(f"/assets/{record.pk}/", record.asset_id)


def ledger_columns() -> tuple[Export, ...]:
    """The download's columns: the ``assets`` ledger's, each read from where the ledger stores it."""
    return tuple(Export(col.code, col.source, partial(export_cell, col)) for col in get_ledger("assets").columns)


ASSETS = lists.ListPage(
    title="线路与台区",
    rows=lambda listing: Asset.objects.select_related("company", "county", "line"),
    table=AssetTable,
    filterset=AssetFilter,
    template="web/asset_list.html",
    default_order=("asset_type", "asset_id"),
    context=lambda listing: {"company": listing.cleaned("company")},  # the heading names it
    count_id="asset-count",
    export_name="assets",
    export=ledger_columns,
)

asset_list = ASSETS.view
asset_export = ASSETS.export_view("csv")  # /assets/export.csv: the same rows as ?export=csv


@login_required
def asset_detail(request, pk: int):
    asset = get_object_or_404(scoped_assets(request), pk=pk)
    tqs = asset.tqs.order_by("asset_id")[:200] if asset.asset_type == "line" else []
    return render(request, "web/asset_detail.html", {"title": str(asset), "asset": asset, "tqs": tqs})
