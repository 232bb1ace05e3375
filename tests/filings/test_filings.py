"""The filing centre: due dates, lifecycle, immutable versions, differences, review, tick, reminders."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction

from getpower.filings import schedule, services
from getpower.filings.models import Filing, FilingType, FilingVersion, Notification
from getpower.filings.producers import Period
from tests.factories import build_province, import_text
from tests.outages.fixtures import OUTAGES

pytestmark = pytest.mark.shared_data(build=build_province)  # one province for the module (tests/conftest.py)

CHINA = dt.timezone(dt.timedelta(hours=8))


def at(y, m, d, h=12):
    return dt.datetime(y, m, d, h, tzinfo=CHINA)


@pytest.mark.django_db
@pytest.mark.parametrize("month,due", [
    ("2026-01", "2026-02-24"),  # 2/10 falls in the Spring Festival? no: 2/10 is a Tuesday → 2/10
    ("2026-04", "2026-05-11"),  # 5/10 is a Sunday → Monday 5/11
    ("2026-09", "2026-10-12"),  # 10/10 is a make-up Saturday (a working day) → 10/10? see test body
    ("2025-12", "2026-01-12"),  # 1/10 is a Saturday → Monday 1/12
    ("2026-05", "2026-06-10"),
])
def test_f1_due_day_rolls_to_the_next_working_day(month, due):
    ftype = FilingType.objects.get(code="F1")
    got = schedule.due_at(ftype, Period.parse(month)).date().isoformat()
    expected = {"2026-01": "2026-02-10", "2026-09": "2026-10-10"}.get(month, due)
    assert got == expected


@pytest.mark.django_db
def test_due_day_without_roll_and_month_end(province):
    from getpower.rulebook.services import create_version

    create_version(effective_from=dt.date(2026, 1, 1), changes={"due_day_roll": "none"}, note="",
                   user=province.users["admin"], reason="t")
    assert schedule.due_at(FilingType.objects.get(code="F1"), Period(2026, 4)).date() == dt.date(2026, 5, 10)
    f3 = schedule.due_at(FilingType.objects.get(code="F3"), Period(2026, 2))
    assert (f3.date(), f3.hour, f3.minute, f3.second) == (dt.date(2026, 2, 28), 23, 59, 59)


@pytest.fixture
def opened(province, settings):
    settings.GETPOWER_FILINGS_FIRST_MONTH = "2026-01"
    import_text("outages", OUTAGES)
    services.tick(at(2026, 3, 15))
    return province


@pytest.fixture
def periods(province, settings):
    """The periods opened, nothing marked overdue yet: for filings submitted at past moments (history is
    written in order, so a submission cannot be dated before a later "overdue" mark)."""
    settings.GETPOWER_FILINGS_FIRST_MONTH = "2026-01"
    import_text("outages", OUTAGES)
    services.load_filing_types()
    services.open_periods(at(2026, 3, 15))
    return province


def summary_cells(response, sheet: str) -> list:
    """The cells of one sheet of the filings summary workbook."""
    from python_calamine import CalamineWorkbook

    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name(sheet).to_python()
    return [cell for row in rows for cell in row]


def f3_of(org_code, period="2026-02"):
    return Filing.objects.get(type_id="F3", filer__org_code=org_code, period=period)


def test_tick_opens_every_filer_and_period_and_is_idempotent(opened):
    f3 = Filing.objects.filter(type_id="F3")
    assert f3.filter(period="2026-03").count() == 5  # every supplier
    assert f3_of("WHPG").recipient.org_code == "WH-EA"
    assert f3_of("KMPG").recipient.org_code == "KM-EA"
    assert Filing.objects.get(type_id="F1", filer__org_code="YNPG", period="2026-02").recipient.org_code == "REG"
    assert not Filing.objects.filter(type_id="F1", filer__org_code="WHPG").exists()
    assert Filing.objects.get(type_id="F1L", filer__org_code="WHPG", period="2026-02").recipient.org_code == "WH-EA"
    before = (Filing.objects.count(), Notification.objects.count(),
              list(Filing.objects.order_by("id").values_list("status", "is_overdue")))
    again = services.tick(at(2026, 3, 15))
    assert (again["opened"], again["overdue"], again["reminders"]) == (0, 0, 0)
    assert before == (Filing.objects.count(), Notification.objects.count(),
                      list(Filing.objects.order_by("id").values_list("status", "is_overdue")))


def test_overdue_and_reminders(opened):
    jan = f3_of("WHPG", "2026-01")
    assert jan.is_overdue and jan.display_state == "overdue"
    kinds = set(Notification.objects.filter(user=opened.users["whpg"]).values_list("kind", flat=True))
    assert "overdue" in kinds
    # F1L for February is due 3/10: at 3/9 it is due within 3 working days
    services.tick(at(2026, 3, 9, 9))
    assert Notification.objects.filter(user=opened.users["whpg"], kind__in=["due_soon", "due_today"],
                                       filing__type_id="F1L").exists()


def test_submit_freezes_a_version_that_nobody_can_change(opened):
    filing = f3_of("WHPG", "2026-03")
    services.save_entries(filing, opened.users["whpg"], {"remarks": "已安排治理", "rows": {}}, now=at(2026, 3, 31, 19))
    version = services.submit(filing, opened.users["whpg"], now=at(2026, 3, 31, 20))
    filing.refresh_from_db()
    assert filing.status == "submitted" and not filing.is_late
    assert [r["asset_id"] for r in version.content["rows"]] == ["WH-T1"]
    assert version.content["remarks"] == "已安排治理"
    version.reason = "tamper"
    with pytest.raises(PermissionDenied):
        version.save()
    with pytest.raises(PermissionDenied):
        FilingVersion.objects.filter(pk=version.pk).update(reason="tamper")
    with pytest.raises(PermissionDenied):
        version.delete()
    with pytest.raises(PermissionDenied):
        FilingVersion.objects.filter(pk=version.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE filings_filingversion SET reason = 'tamper' WHERE id = %s", [version.pk])
    assert FilingVersion.objects.get(pk=version.pk).reason == ""


def test_late_submission_is_marked_late(periods):
    filing = f3_of("WHPG", "2026-02")
    services.submit(filing, periods.users["whpg"], now=at(2026, 3, 2))
    filing.refresh_from_db()
    assert filing.is_late and filing.status == "submitted" and not filing.is_overdue


def test_return_resubmit_with_reason_diff_and_accept(opened):
    filing = f3_of("WHPG", "2026-03")
    services.submit(filing, opened.users["whpg"], now=at(2026, 3, 31, 20))
    with pytest.raises(PermissionDenied):
        services.review(filing, opened.users["px_authority"], "accept")
    with pytest.raises(services.FilingError):
        services.review(filing, opened.users["wh_authority"], "return", "")
    services.review(filing, opened.users["wh_authority"], "return", "请补充治理计划完成日期")
    filing.refresh_from_db()
    assert filing.status == "returned"
    assert Notification.objects.filter(user=opened.users["whpg"], kind="returned").exists()
    services.save_entries(filing, opened.users["whpg"],
                          {"remarks": "已补充", "rows": {"WH-T1": {"note": "更换配变", "date": "2026-06-30"}}})
    with pytest.raises(services.FilingError):
        services.submit(filing, opened.users["whpg"], reason="")
    services.submit(filing, opened.users["whpg"], reason="按退回意见补充")
    filing.refresh_from_db()
    assert filing.status == "resubmitted"
    v1, v2 = filing.versions.order_by("number")
    changes = services.diff(v1.content, v2.content)
    assert changes["added"] == [] and changes["removed"] == []
    assert changes["changed"][0]["key"] == "WH-T1"
    assert ("报送单位说明", "", "更换配变") in changes["changed"][0]["fields"]
    services.review(filing, opened.users["wh_authority"], "accept")
    filing.refresh_from_db()
    assert filing.status == "accepted"


def test_history_is_written_in_order_and_messages_state_the_filing_as_it_was(opened):
    """Issue 23 item 2: an "overdue" mark and message exist only for a filing that was overdue then; a
    submission cannot be dated before a later event of its filing; messages carry the event's time and a
    Chinese type."""
    filing = f3_of("WHPG", "2026-02")  # due 2026-02-28, marked overdue by the tick of 3/15
    assert filing.is_overdue
    with pytest.raises(services.FilingError):
        services.submit(filing, opened.users["whpg"], now=at(2026, 2, 20))  # before the overdue mark
    services.submit(filing, opened.users["whpg"], now=at(2026, 3, 16))
    services.review(filing, opened.users["wh_authority"], "accept", now=at(2026, 3, 17))
    filing.refresh_from_db()
    assert filing.status == "accepted" and filing.is_late and not filing.is_overdue
    events = list(filing.events.order_by("at", "id").values_list("transition", flat=True))
    assert events == ["overdue", "submit", "accept"]
    overdue = Notification.objects.get(user=opened.users["whpg"], filing=filing, kind="overdue")
    assert overdue.at == at(2026, 3, 15) and overdue.get_kind_display() == "逾期未报"
    accepted = Notification.objects.get(user=opened.users["whpg"], kind="accepted", text__contains="（2026-02）")
    assert accepted.at == at(2026, 3, 17) and accepted.get_kind_display() == "已接收"
    services.tick(at(2026, 3, 18))  # a later tick says nothing more about the filed filing
    assert Notification.objects.filter(user=opened.users["whpg"], filing=filing).count() == 1


def test_inbox_shows_chinese_types_and_the_unread_count(opened, client):
    client.force_login(opened.users["whpg"])
    unread = Notification.objects.filter(user=opened.users["whpg"], read_at__isnull=True).count()
    assert unread > 0
    home = client.get("/").content.decode()
    assert re.search(rf'href="/inbox/"[^>]*>消息（{unread}）</a>', home)
    page = client.get("/inbox/").content.decode()
    assert "逾期未报" in page and ">overdue<" not in page
    client.post("/inbox/")
    assert re.search(r'href="/inbox/"[^>]*>消息</a>', client.get("/").content.decode())


def test_only_the_filer_submits(opened):
    with pytest.raises(PermissionDenied):
        services.submit(f3_of("WHPG", "2026-03"), opened.users["plpg"])
    with pytest.raises(PermissionDenied):
        services.submit(f3_of("WHPG", "2026-03"), opened.users["wh_authority"])


def test_pages_scope_and_immutability_through_http(opened, client):
    filing = f3_of("WHPG", "2026-03")
    services.submit(filing, opened.users["whpg"], now=at(2026, 3, 31, 20))
    client.login(username="plpg", password=opened.password)
    assert client.get(f"/filings/{filing.pk}/").status_code == 404
    assert client.get(f"/filings/{filing.pk}/versions/1.xlsx").status_code == 404
    client.logout()
    client.login(username="wh_authority", password=opened.password)
    page = client.get("/filings/?type=F3").content.decode()
    assert "五华供电局" in page and "盘龙供电局" not in page
    response = client.get(f"/filings/{filing.pk}/versions/1.xlsx")
    assert response.status_code == 200 and response["X-Content-SHA256"] == filing.versions.get().sha256
    detail = summary_cells(client.get("/filings/summary.xlsx?month=2026-03"), "明细")
    assert "五华供电局" in detail and "盘龙供电局" not in detail  # the authority's county only


def test_f1_missing_row_becomes_a_finding(opened):
    from getpower.filings.models import MissingFromF1
    from tests.connections.test_services import APPS

    services.tick(at(2026, 11, 5))
    filing = Filing.objects.get(type_id="F1L", filer__org_code="WHPG", period="2026-10")
    services.submit(filing, opened.users["whpg"], now=at(2026, 11, 5))  # nothing late known yet: empty ledger
    import_text("applications", APPS)  # A2 (grid upgrade, overdue at the end of October) arrives later
    services.tick(at(2026, 11, 6))
    missing = MissingFromF1.objects.get(filing=filing)
    assert missing.application.app_id == "A2" and missing.state == "超期未接电"


def test_versions_cannot_be_changed_through_page_or_api(opened, client):
    filing = f3_of("WHPG", "2026-03")
    version = services.submit(filing, opened.users["whpg"], now=at(2026, 3, 31, 20))
    client.login(username="whpg", password=opened.password)
    # the page's draft form is refused once submitted; the API has no write route for versions
    client.post(f"/filings/{filing.pk}/act/", {"action": "edit", "remarks": "改"})
    url = f"/api/filings/{filing.pk}/versions/1"
    assert client.get(url).json()["sha256"] == version.sha256
    for method in (client.put, client.patch, client.delete):
        assert method(url, data={"reason": "x"}, content_type="application/json").status_code == 405
    assert FilingVersion.objects.get(pk=version.pk).content == version.content
    filing.refresh_from_db()
    assert filing.status == "submitted" and filing.entries == {}
    client.logout()
    client.login(username="plpg", password=opened.password)
    assert client.get(url).status_code == 404


def test_filing_page_renders_and_submits_what_was_typed(opened, client):
    filing = f3_of("WHPG", "2026-03")
    client.login(username="whpg", password=opened.password)
    page = client.get(f"/filings/{filing.pk}/")
    assert page.status_code == 200 and 'name="note::WH-T1"' in page.content.decode()
    client.post(f"/filings/{filing.pk}/act/", {"action": "submit", "remarks": "随提交填写", "note::WH-T1": "换配变"})
    version = filing.versions.get()
    assert version.content["remarks"] == "随提交填写"
    assert version.content["rows"][0]["filer_note"] == "换配变"
    client.logout()
    client.login(username="wh_authority", password=opened.password)
    assert client.get(f"/filings/{filing.pk}/").status_code == 200


def test_on_time_counts_feed_the_cockpit_rate_of_every_region(periods):
    from getpower.domains import kpi as kpis
    from getpower.filings.kpis import filings_rate

    on_time = f3_of("WHPG", "2026-02")  # due at the end of February
    services.submit(on_time, periods.users["whpg"], now=at(2026, 2, 20))
    late = f3_of("KMPG", "2026-02")
    services.submit(late, periods.users["kmpg"], now=at(2026, 3, 2))
    due = [f for f in Filing.objects.select_related("county") if at(2026, 2, 1, 0) <= f.due_at < at(2026, 3, 1, 0)]
    assert on_time.pk in {f.pk for f in due} and late.pk in {f.pk for f in due}

    def expected(prefix):
        inside = [f for f in due if f.county_id.startswith(prefix)]
        good = [f for f in inside if f.submitted_at is not None and not f.is_late]
        return round(100 * len(good) / len(inside), 1) if inside else None

    counts = {r["county_id"]: (r["due"], r["on_time"]) for r in services.on_time_counts("2026-02")}
    assert sum(d for d, _ in counts.values()) == len(due)
    assert sum(o for _, o in counts.values()) == 1
    geo = kpis.Geography.read()
    ctx = kpis.Context(month="2026-02", runs={}, geo=geo, now=at(2026, 11, 1), month_stop=at(2026, 3, 1, 0))
    rates = filings_rate(ctx)
    assert rates[("province", geo.province.code)].value == expected("53")
    for code, area in [*geo.prefectures.items(), *geo.counties.items()]:
        want = expected(area.prefix)
        assert (rates[(area.level, code)].value if (area.level, code) in rates else None) == want, code
    assert not any(level == "company" for level, _ in rates)


def test_the_summary_link_is_shown_only_to_those_it_serves(opened, client):
    """Issue 23 item 3: a supply company is not shown a link that answers 403."""
    client.force_login(opened.users["whpg"])
    assert "导出本月报备汇总" not in client.get("/filings/").content.decode()
    assert client.get("/filings/summary.xlsx").status_code == 403
    client.force_login(opened.users["wh_authority"])
    assert "导出本月报备汇总" in client.get("/filings/").content.decode()
    assert "报备类型" in summary_cells(client.get("/filings/summary.xlsx"), "汇总")
