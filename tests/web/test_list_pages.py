"""Every list page on the one list-page pattern (core/lists.py): each filters, sorts and downloads the
rows it shows, inside the user's jurisdiction; the area filters offer the user's own area only; a page's
queries do not grow with its rows. The data: the cockpit's small ledgers (tests/cockpit/ledgers.py),
evaluated at the cockpit's November dates, and the filings opened from January 2026."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from getpower.arrears import lists as arrears_lists
from getpower.arrears import services as arrears
from getpower.arrears.models import ArrearsCase, ArrearsFinding
from getpower.connections import services as connections
from getpower.connections import views as connection_views
from getpower.connections.models import TimeLimitFinding
from getpower.filings import lists as filing_lists
from getpower.filings import services as filings
from getpower.filings.models import Filing
from getpower.grid.models import Asset
from getpower.outages import lists as outage_lists
from getpower.outages import services as outages
from getpower.outages.models import GovernanceItem, Outage
from tests.cockpit.ledgers import APPS, CASES, OUTAGES_2026, PAUSES
from tests.factories import import_text

CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def evaluated(province, settings):
    import_text("outages", OUTAGES_2026, name="outages.csv")
    import_text("applications", APPS, name="apps.csv")
    import_text("application_pauses", PAUSES, name="pauses.csv")
    import_text("arrears_cases", CASES, name="cases.csv")
    province.runs = {
        "R3": outages.evaluate(dt.date(2026, 11, 25)).run,
        "R2": connections.evaluate(dt.datetime(2026, 11, 20, 12, tzinfo=CHINA)).run,
        "R4": arrears.evaluate(dt.datetime(2026, 11, 26, 12, tzinfo=CHINA)).run,
    }
    settings.GETPOWER_FILINGS_FIRST_MONTH = "2026-01"
    filings.tick(dt.datetime(2026, 3, 15, 12, tzinfo=CHINA))
    return province


def login(client, province, username):
    assert client.login(username=username, password=province.password)
    return client


def page_of(client, url, **query):
    response = client.get(url, query)
    assert response.status_code == 200, (url, query, response.content[:300])
    return list(response.context["page"]), response


def download(client, url, fmt, **query) -> list[list]:
    response = client.get(url, {**query, "export": fmt})
    assert response.status_code == 200, (url, query)
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        assert response["Content-Type"].startswith("text/csv")
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    book = openpyxl.load_workbook(io.BytesIO(body))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_findings_filter_sort_and_download(client, evaluated):
    login(client, evaluated, "regulator")
    run = evaluated.runs["R3"]
    rows, _ = page_of(client, "/outages/findings/", run=run.pk)
    assert {(f.asset.asset_id, f.status) for f in rows} == {("WH-T1", "breach"), ("BS-T1", "warning")}
    assert [f.asset.asset_id for f in rows] == ["WH-T1", "BS-T1"]  # worst first
    assert rows[0].item is not None and rows[0].item.asset.asset_id == "WH-T1"  # its governance item
    rows, _ = page_of(client, "/outages/findings/", run=run.pk, sort="-asset_id")
    assert [f.asset.asset_id for f in rows] == ["WH-T1", "BS-T1"]
    rows, _ = page_of(client, "/outages/findings/", run=run.pk, sort="asset_id")
    assert [f.asset.asset_id for f in rows] == ["BS-T1", "WH-T1"]
    rows, _ = page_of(client, "/outages/findings/", run=run.pk, status="warning", prefecture="530500")
    assert [f.asset.asset_id for f in rows] == ["BS-T1"]
    assert page_of(client, "/outages/findings/", run=run.pk, q="WH-")[0][0].asset.asset_id == "WH-T1"
    sheet = download(client, "/outages/findings/", "csv", run=run.pk, sort="asset_id")
    assert sheet[0][:3] == ["状态", "类型", "编号"]
    assert [(r[0], r[2]) for r in sheet[1:]] == [("预警", "BS-T1"), ("频繁停电", "WH-T1")]
    item = GovernanceItem.objects.filter(asset__asset_id="WH-T1").order_by("-cycle").first()
    assert sheet[2][-1] == item.get_status_display()
    xlsx = download(client, "/outages/findings/", "xlsx", run=run.pk, status="breach")
    assert [r[2] for r in xlsx[1:]] == ["WH-T1"] and xlsx[1][6] == 4  # 年内次数, a number
    # a county bureau: only its own findings, filters of its own area, a foreign company is a 404
    client.logout()
    login(client, evaluated, "wh_authority")
    rows, response = page_of(client, "/outages/findings/", run=run.pk)
    assert [f.asset.asset_id for f in rows] == ["WH-T1"]
    assert "保山" not in response.content.decode()
    assert client.get("/outages/findings/", {"company": "BSDL"}).status_code == 404
    assert [r[2] for r in download(client, "/outages/findings/", "csv", run=run.pk)[1:]] == ["WH-T1"]


def test_governance_filter_sort_and_download(client, evaluated):
    login(client, evaluated, "regulator")
    items = GovernanceItem.objects.all()
    assert items.exists()
    rows, response = page_of(client, "/outages/governance/", status="open")
    assert {i.pk for i in rows} == {i.pk for i in items.exclude(status="closed")}
    assert response.context["open_total"] == items.exclude(status="closed").count()
    rows, _ = page_of(client, "/outages/governance/", status="open", county="530102", sort="-pk")
    assert [i.pk for i in rows] == sorted((i.pk for i in items.filter(county_id="530102").exclude(status="closed")),
                                          reverse=True)
    assert page_of(client, "/outages/governance/", prefecture="530500")[0] == []
    sheet = download(client, "/outages/governance/", "csv", status="open", sort="pk")
    assert [int(r[0]) for r in sheet[1:]] == sorted(i.pk for i in items.exclude(status="closed"))
    assert client.get("/outages/governance/", {"status": "gone"}).status_code == 400


def test_records_filter_sort_and_download(client, evaluated):
    login(client, evaluated, "km_authority")
    rows, response = page_of(client, "/outages/records/", company="WHPG", sort="start_time")
    expected = list(Outage.objects.filter(company__org_code="WHPG").order_by("start_time", "pk"))
    assert rows == expected and "停电记录 · 五华供电局" in response.content.decode()
    rows, _ = page_of(client, "/outages/records/", exclusion="mode_adjustment")
    assert {o.event_id for o in rows} == {"E8", "E9"}
    assert page_of(client, "/outages/records/", month="2026-11")[0] == []  # 保山's November faults: not theirs
    sheet = download(client, "/outages/records/", "xlsx", company="WHPG", sort="-start_time")
    assert [r[0] for r in sheet[1:]] == [o.event_id for o in reversed(expected)]
    assert client.get("/outages/records/", {"company": "BSDL"}).status_code == 404
    assert client.get("/outages/records/", {"month": "2026-13"}).status_code == 400


def test_late_list_filter_sort_and_download(client, evaluated):
    login(client, evaluated, "regulator")
    run = evaluated.runs["R2"]
    rows, _ = page_of(client, "/connections/late/", run=run.pk)
    assert {(f.application.app_id, f.status) for f in rows} == {("A1", "late"), ("A2", "overdue")}
    rows, _ = page_of(client, "/connections/late/", run=run.pk, status="overdue", county="530102")
    assert [f.application.app_id for f in rows] == ["A2"]
    rows, _ = page_of(client, "/connections/late/", run=run.pk, sort="-app_id")
    assert [f.application.app_id for f in rows] == ["A2", "A1"]
    sheet = download(client, "/connections/late/", "csv", run=run.pk, sort="app_id")
    assert [(r[0], r[6]) for r in sheet[1:]] == [("A1", "超时办结"), ("A2", "已超期")]
    # a supply company's own late list
    client.logout()
    login(client, evaluated, "plpg")
    rows, response = page_of(client, "/connections/late/", run=run.pk)
    assert rows == [] and "超时与超期（全过程）" in response.content.decode()


def test_worklist_filter_sort_and_download(client, evaluated):
    login(client, evaluated, "whpg")
    run = evaluated.runs["R2"]
    rows, response = page_of(client, "/connections/", run=run.pk)
    expected = TimeLimitFinding.objects.filter(run=run, company__org_code="WHPG", status__in=["open", "overdue"])
    assert {(f.application.app_id, f.check_name) for f in rows} == {
        (f.application.app_id, f.check_name) for f in expected}
    assert response.context["overdue"] == expected.filter(status="overdue").count()
    rows, _ = page_of(client, "/connections/", run=run.pk, check_name="total")
    assert [f.check_name for f in rows] == ["total"]
    rows, _ = page_of(client, "/connections/", run=run.pk, state="overdue", sort="-used")
    # 已用: the working days of the limit used (all of it, once past the deadline)
    assert [f.used for f in rows] == sorted((min(f.elapsed_workdays, f.limit_workdays) for f in expected), reverse=True)
    sheet = download(client, "/connections/", "csv", run=run.pk, state="overdue", sort="-used")
    assert [r[0] for r in sheet[1:]] == ["A2", "A2"] and [r[3] for r in sheet[1:]] == ["全过程", "装表接电"]
    assert sheet[1][-1] == "2026-11-20 12:00"  # the page's instant is written down with the figures
    assert client.get("/connections/", {"state": "late"}).status_code == 400


def test_arrears_filter_sort_and_download(client, evaluated):
    login(client, evaluated, "regulator")
    run = evaluated.runs["R4"]
    violating = set(ArrearsFinding.objects.filter(run=run, status="violation").values_list("case__case_id", flat=True))
    assert violating
    rows, _ = page_of(client, "/arrears/", view="violations", run=run.pk)
    assert {c.case_id for c in rows} == violating and all(c.violations for c in rows)
    rows, _ = page_of(client, "/arrears/", sort="community")
    assert [c.community for c in rows] == sorted(c.community for c in ArrearsCase.objects.all())
    rows, _ = page_of(client, "/arrears/", q="小区", company="PLPG")
    assert [c.case_id for c in rows] == ["C4"]
    sheet = download(client, "/arrears/", "xlsx", view="violations", run=run.pk)
    assert {r[0] for r in sheet[1:]} == violating
    sheet = download(client, "/arrears/", "csv", planned="2026-09", sort="case_id")
    assert [r[0] for r in sheet[1:]] == ["C1", "C2", "C4"]


def test_filings_filter_sort_and_download(client, evaluated):
    login(client, evaluated, "whpg")
    rows, response = page_of(client, "/filings/", type="F3")
    own = Filing.objects.filter(type_id="F3", filer__org_code="WHPG")
    assert {f.pk for f in rows} == {f.pk for f in own}
    assert [f.due_at for f in rows] == sorted((f.due_at for f in own), reverse=True)
    rows, _ = page_of(client, "/filings/", state="overdue")
    assert rows and all(f.display_state == "overdue" and f.filer.org_code == "WHPG" for f in rows)
    rows, _ = page_of(client, "/filings/", type="F3", period="2026-02")
    assert [(f.type_id, f.period) for f in rows] == [("F3", "2026-02")]
    sheet = download(client, "/filings/", "csv", type="F3", sort="period")
    assert [r[2] for r in sheet[1:]] == sorted(f.period for f in own)
    assert client.get("/filings/", {"state": "lost"}).status_code == 400
    # an authority: the filings of its county and those addressed to it, with the matrix of F3
    client.logout()
    login(client, evaluated, "wh_authority")
    rows, response = page_of(client, "/filings/")
    assert rows and {f.filer.org_code for f in rows} == {"WHPG"}
    assert response.context["matrix"] and 'id="matrix"' in response.content.decode()


def test_list_pages_answer_400_for_bad_list_parameters(client, evaluated):
    login(client, evaluated, "regulator")
    for url, query in (("/outages/findings/", {"sort": "password"}), ("/arrears/", {"per_page": "7"}),
                       ("/outages/governance/", {"prefecture": "abc"}), ("/connections/late/", {"county": "1"}),
                       ("/filings/", {"page": "x"}), ("/filings/", {"type": "F9"}),
                       ("/outages/records/", {"export": "pdf"})):
        response = client.get(url, query)
        assert response.status_code == 400, (url, query)
        name, value = next(iter(query.items()))
        assert f"<code>{name}</code>" in response.content.decode() and value in response.content.decode()


@pytest.mark.parametrize("url", ["/outages/findings/", "/outages/governance/", "/outages/records/",
                                 "/connections/late/", "/arrears/", "/filings/"])
def test_a_county_bureau_is_offered_its_own_area_only(client, evaluated, url):
    login(client, evaluated, "wh_authority")
    html = client.get(url).content.decode()
    assert "保山" not in html and "隆阳" not in html and "盘龙区" not in html
    assert '<option value="530500"' not in html and '<option value="530103"' not in html


def list_of(url: str):
    return {"/outages/findings/": outage_lists.FINDINGS, "/outages/governance/": outage_lists.GOVERNANCE,
            "/outages/records/": outage_lists.RECORDS, "/connections/late/": connection_views.OVERVIEW,
            "/arrears/": arrears_lists.CASES, "/filings/": filing_lists.FILINGS}[url]


@pytest.mark.parametrize("url", ["/outages/findings/", "/outages/governance/", "/outages/records/",
                                 "/connections/late/", "/arrears/", "/filings/"])
def test_list_pages_make_no_query_per_row(client, evaluated, url, monkeypatch, django_assert_max_num_queries):
    """A page of one row and a page of every row cost the same queries (no N+1), and few of them."""
    monkeypatch.setattr(list_of(url), "page_sizes", (1, 200))
    if not GovernanceItem.objects.exclude(asset__asset_id="BS-T1").count() > 1:  # a second item, of 保山
        unit = Asset.objects.get(asset_id="BS-T1")
        GovernanceItem.objects.create(asset=unit, company=unit.company, county=unit.county,
                                      opened_at=dt.datetime(2026, 11, 26, tzinfo=CHINA))
    login(client, evaluated, "regulator")
    client.get(url)  # the session

    def queries(per_page: int) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"per_page": per_page})
            assert response.status_code == 200
        return len(response.context["page"]), len(captured.captured_queries)

    one, everything = queries(1), queries(200)
    assert one[0] == 1 and everything[0] >= 2
    assert one[1] == everything[1]
    with django_assert_max_num_queries(30):
        client.get(url, {"per_page": 200})
