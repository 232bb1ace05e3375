"""The one list-page pattern (core/lists.py) on its own: a list declared here over the test province's
seven lines and 台区, served for different users. The jurisdiction is applied underneath whatever the
filters say; sorting accepts only the declared columns; pages and page sizes; the CSV and xlsx
downloads hold exactly the filtered, sorted rows, with spreadsheet text kept as text; the area filters
offer only the user's own area; a page costs the same queries whatever its number of rows."""

from __future__ import annotations

import csv
import io
import re

import django_tables2 as tables
import openpyxl
import pytest
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from getpower.core import lists
from getpower.core.params import BadParameter
from getpower.core.scope import scope_for
from getpower.grid.models import Asset

ALL = ["BS-L1", "BS-T1", "PL-L1", "PL-T1", "WH-L1", "WH-T1", "WH-T2"]


class AssetFilter(lists.AreaFilterSet):
    type = lists.choice("类型", (("line", "线路"), ("tq", "台区")), field_name="asset_type")
    q = lists.SearchFilter(label="编号或名称", fields=("asset_id", "name"))


class AssetTable(lists.ListTable):
    asset_id = tables.Column("设备编号", orderable=True)
    name = tables.Column("名称", orderable=True)
    company = tables.Column("供电单位", accessor="company.name", order_by=("company__org_code",), orderable=True)
    users = tables.Column("用户数")  # shown, not a sort key

    class Meta(lists.ListTable.Meta):
        attrs = {"class": "grid", "id": "probe"}


PAGE = lists.ListPage(
    title="测试清单", rows=lambda listing: Asset.objects.select_related("company"), table=AssetTable,
    filterset=AssetFilter, template="web/_list.html", default_order=("asset_id",), per_page=2,
    page_sizes=(2, 5, 50), export_name="probe",
    export=(lists.Export("设备编号", "asset_id"), lists.Export("名称", "name"),
            lists.Export("单位", "company__org_code"), lists.Export("用户数", "users")))


def serve(province, username: str, **query):
    request = RequestFactory().get("/probe/", query)
    request.user = province.users[username]
    return PAGE.serve(request)


def listed(province, username: str, **query) -> list[str]:
    response = serve(province, username, per_page=50, **query)
    assert response.status_code == 200
    return ids_in(response.content.decode())


def ids_in(html: str) -> list[str]:
    """The asset ids in the probe table, in order."""
    return re.findall(r"<td >([A-Z]{2}-[LT]\d)</td>", html[html.index('id="probe"'):])


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


@pytest.mark.django_db
def test_scope_is_applied_underneath_every_filter(province):
    assert listed(province, "regulator") == ALL
    assert listed(province, "whpg") == ["WH-L1", "WH-T1", "WH-T2"]
    # a region outside the jurisdiction is accepted and finds nothing; the scope decides
    assert listed(province, "whpg", prefecture="530500") == []
    assert listed(province, "km_authority", county="530502") == []
    assert listed(province, "km_authority", prefecture="530100") == ["PL-L1", "PL-T1", "WH-L1", "WH-T1", "WH-T2"]
    # a company outside the jurisdiction is a 404, for the page and for the download
    with pytest.raises(Http404):
        serve(province, "whpg", company="BSDL")
    with pytest.raises(Http404):
        serve(province, "whpg", company="BSDL", export="csv")
    with pytest.raises(Http404):
        serve(province, "wh_authority", company="NOSUCH")
    assert listed(province, "kmpg", company="PLPG") == ["PL-L1", "PL-T1"]
    # the download holds the same rows as the page, for each user
    assert [r[0] for r in csv_rows(serve(province, "whpg", export="csv"))[1:]] == ["WH-L1", "WH-T1", "WH-T2"]
    assert [r[0] for r in xlsx_rows(serve(province, "plpg", export="xlsx"))[1:]] == ["PL-L1", "PL-T1"]


@pytest.mark.django_db
def test_sorting_accepts_only_the_declared_columns(province):
    assert listed(province, "regulator", sort="-asset_id") == ALL[::-1]
    by_company = listed(province, "regulator", sort="company")  # BSDL, PLPG, WHPG; ties by the default order
    assert by_company == ["BS-L1", "BS-T1", "PL-L1", "PL-T1", "WH-L1", "WH-T1", "WH-T2"]
    names = dict(Asset.objects.values_list("asset_id", "name"))
    assert listed(province, "regulator", sort="name") == sorted(ALL, key=lambda a: (names[a], a))
    for bad in ("users", "password", "-", "asset_id,name"):
        with pytest.raises(BadParameter) as caught:
            serve(province, "regulator", sort=bad)
        assert caught.value.name == "sort" and "应为以下之一" in caught.value.reason


@pytest.mark.django_db
def test_pages_and_page_sizes(province):
    html = serve(province, "regulator").content.decode()
    assert ids_in(html) == ALL[:2] and "第 1 / 4 页" in html and "共 7 条" in html
    assert ids_in(serve(province, "regulator", page="4").content.decode()) == ALL[6:]
    assert ids_in(serve(province, "regulator", page="99").content.decode()) == ALL[6:]  # past the end: the last
    assert ids_in(serve(province, "regulator", per_page="5", page="2").content.decode()) == ALL[5:]
    for name, value in (("page", "x"), ("page", "0"), ("per_page", "3"), ("per_page", "all")):
        with pytest.raises(BadParameter) as caught:
            serve(province, "regulator", **{name: value})
        assert caught.value.name == name
    # the links keep the filters and the sort, and start again at page 1 when they change
    html = serve(province, "regulator", type="tq", sort="-name", page="2").content.decode()
    assert "?type=tq&amp;sort=-name&amp;page=1" in html  # previous page
    assert 'href="?type=tq&amp;sort=asset_id"' in html  # a header link: a new sort, from the first page


@pytest.mark.django_db
def test_downloads_hold_exactly_the_filtered_sorted_rows(province):
    query = {"type": "tq", "sort": "-asset_id"}
    shown = listed(province, "km_authority", **query)
    assert shown == ["WH-T2", "WH-T1", "PL-T1"]
    rows = csv_rows(serve(province, "km_authority", export="csv", page="2", **query))
    assert rows[0] == ["设备编号", "名称", "单位", "用户数"]
    assert [r[0] for r in rows[1:]] == shown  # every page's rows, not the one page asked
    sheet = xlsx_rows(serve(province, "km_authority", export="xlsx", **query))
    assert sheet[0] == ["设备编号", "名称", "单位", "用户数"]
    assert [r[0] for r in sheet[1:]] == shown
    users = dict(Asset.objects.values_list("asset_id", "users"))
    assert [r[3] for r in sheet[1:]] == [users[a] for a in shown]  # numbers stay numbers
    assert [int(r[3]) for r in rows[1:]] == [users[a] for a in shown]
    with pytest.raises(BadParameter):
        serve(province, "km_authority", export="pdf")


@pytest.mark.django_db
def test_downloads_keep_spreadsheet_text_as_text(province):
    Asset.objects.filter(asset_id="WH-T1").update(name='=HYPERLINK("http://x.example/","点我")')
    Asset.objects.filter(asset_id="WH-T2").update(name="-1+2")
    rows = {r[0]: r for r in csv_rows(serve(province, "whpg", export="csv"))[1:]}
    assert rows["WH-T1"][1] == '\'=HYPERLINK("http://x.example/","点我")'
    assert rows["WH-T2"][1] == "'-1+2"
    book = openpyxl.load_workbook(io.BytesIO(b"".join(serve(province, "whpg", export="xlsx").streaming_content)))
    cells = {row[0].value: row[1] for row in book.active.iter_rows(min_row=2)}
    assert cells["WH-T1"].data_type == "s" and cells["WH-T1"].value.startswith("=HYPERLINK")
    assert cells["WH-T2"].data_type == "s"


@pytest.mark.django_db
def test_bad_filter_values_are_a_chinese_400(province):
    for name, value, reason in (("type", "pole", "应为以下之一：line、tq"), ("prefecture", "abc", "州市"),
                                ("county", "999999", "县区"), ("prefecture", "530102", "州市"),
                                ("q", "x" * 201, "")):
        with pytest.raises(BadParameter) as caught:
            serve(province, "regulator", **{name: value})
        assert caught.value.name == name and reason in caught.value.reason
        assert caught.value.value == value


@pytest.mark.django_db
def test_a_county_bureau_is_offered_its_own_area_only(province):
    areas = lists.areas_of(scope_for(province.users["wh_authority"]))
    assert [code for code, _ in areas.prefectures] == ["530100"]
    assert [[code for code, _ in group] for _, group in areas.counties] == [["530102"]]
    assert [c.org_code for c in areas.companies] == ["WHPG"]
    whpg = lists.areas_of(scope_for(province.users["whpg"]))
    assert [code for code, _ in whpg.prefectures] == ["530100"]
    assert [[code for code, _ in group] for _, group in whpg.counties] == [["530102"]]
    km = lists.areas_of(scope_for(province.users["km_authority"]))
    assert [code for code, _ in km.prefectures] == ["530100"]
    assert {code for _, group in km.counties for code, _ in group} >= {"530102", "530103"}
    assert all(code.startswith("5301") for _, group in km.counties for code, _ in group)
    assert {c.org_code for c in km.companies} == {"WHPG", "PLPG", "KMPG"}
    everything = lists.areas_of(scope_for(province.users["regulator"]))
    assert len(everything.prefectures) == 16
    # drawn on the page: a single choice is not drawn (its value, when given, is carried along)
    html = serve(province, "wh_authority").content.decode()
    assert 'name="prefecture"' not in html and 'name="company"' not in html and "保山" not in html
    html = serve(province, "km_authority").content.decode()
    assert '<select name="county"' in html and "五华区" in html and "隆阳区" not in html and "保山" not in html
    html = serve(province, "wh_authority", company="WHPG").content.decode()
    assert '<input type="hidden" name="company" value="WHPG">' in html


@pytest.mark.django_db
def test_a_page_costs_the_same_queries_whatever_its_rows(province, django_assert_max_num_queries):
    def queries(**query) -> int:
        with CaptureQueriesContext(connection) as captured:
            serve(province, "km_authority", **query).content  # noqa: B018
        return len(captured.captured_queries)

    assert queries(per_page="2") == queries(per_page="5")
    with django_assert_max_num_queries(8):
        serve(province, "km_authority", per_page="5")
