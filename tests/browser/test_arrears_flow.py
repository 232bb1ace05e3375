"""One residential-community arrears disconnection (rules R4) followed in real Chromium against the
live server: the supply company files it on the web form with its signed notice, the checks run,
the county energy authority finds it in its inbox, acknowledges it and asks a question, and the
company answers; an authority of another county cannot open it.

Sync Playwright runs its own event loop in the test thread, so Django's async-safety guard must be
relaxed before anything touches the ORM."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import datetime as dt  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402
from django.utils import timezone  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from getpower.arrears import services  # noqa: E402
from getpower.arrears.models import ArrearsCase, ArrearsFinding, CaseMessage  # noqa: E402
from tests.browser.conftest import login, logout

pytestmark = pytest.mark.browser

NOTICE = "停电通知书（签收件）\n小区物业：张三 签收\n".encode()


@pytest.fixture
def ui(page: Page, live_server, province_live, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the uploaded notice stays out of var/
    page.set_default_timeout(15000)
    expect.set_options(timeout=15000)
    return page


def local(value: dt.datetime) -> str:
    """A datetime-local input value."""
    return f"{value:%Y-%m-%dT%H:%M}"


def test_case_filed_acknowledged_questioned_and_answered(ui: Page, live_server, tmp_path):
    base = live_server.url
    now = timezone.localtime(timezone.now()).replace(second=0, microsecond=0)
    # a compliant case: bill due 60 days before, demanded 10 days ago, notice served yesterday,
    # cut planned in 4 days (5 days after the notice); reported now, on filing
    bill_due = now.date() - dt.timedelta(days=60)
    demand_at = (now - dt.timedelta(days=10)).replace(hour=10, minute=0)
    notice_at = (now - dt.timedelta(days=1)).replace(hour=15, minute=30)
    cut_at = (now + dt.timedelta(days=4)).replace(hour=9, minute=0)
    notice_path = tmp_path / "notice.txt"
    notice_path.write_bytes(NOTICE)

    # --- the supply company files the case
    login(ui, base, "whpg")
    ui.goto(f"{base}/arrears/new/")
    form = ui.locator("#case-form")
    expect(form).to_be_visible()
    form.locator("select[name=company]").select_option("WHPG")
    form.locator("select[name=county_code]").select_option("530102")
    form.locator("input[name=case_id]").fill("QF-2026-001")
    form.locator("input[name=community]").fill("翠湖花园小区")
    form.locator("input[name=households]").fill("120")
    form.locator("input[name=arrears_yuan]").fill("35800.5")
    form.locator("input[name=bill_due_date]").fill(f"{bill_due:%Y-%m-%d}")
    form.locator("input[name=demand_at]").fill(local(demand_at))
    form.locator("input[name=approved_by]").fill("李四（营销部主任）")
    form.locator("input[name=notice_served_at]").fill(local(notice_at))
    form.locator("input[name=planned_cut_at]").fill(local(cut_at))
    form.locator("select[name=authority_level]").select_option("county")
    form.locator("input[name=notice_file]").set_input_files(str(notice_path))
    ui.click("#file-case")
    ui.wait_for_url(re.compile(re.escape(base) + r"/arrears/\d+/$"))

    case = ArrearsCase.objects.get(case_id="QF-2026-001")
    case_url = f"{base}/arrears/{case.pk}/"
    assert ui.url == case_url
    expect(ui.locator("main .notice")).to_have_text("已向五华区能源局报备")
    expect(ui.locator("h1")).to_contain_text("翠湖花园小区")
    expect(ui.locator("h1")).to_contain_text("QF-2026-001")
    assert case.company.org_code == "WHPG" and case.county_id == "530102" and case.households == 120
    assert case.routed_to.org_code == "WH-EA" and case.authority == "五华区能源局"
    assert case.authority_level == "county" and case.reported_at is not None
    assert timezone.localtime(case.demand_at) == demand_at
    assert timezone.localtime(case.planned_cut_at) == cut_at
    assert case.bill_due_date == bill_due

    # the checks: the on_commit refresh evaluated every case; reload once if the page was drawn first
    if ui.locator("#checks td.muted", has_text="尚未检查").count():
        ui.reload()
    checks = ui.locator("#checks tr").filter(has=ui.locator("td"))
    expect(checks).to_have_count(6)
    results = dict(ui.locator("#checks tr").evaluate_all(
        "rows => rows.filter(r => r.querySelector('td')).map(r => [r.cells[0].innerText.trim(), "
        "r.cells[1].innerText.trim()])"))
    assert results == {label: "合规" for label in services.CHECK_LABELS.values()} | {"停电前30分钟再次通知": "待定"}
    run = services.latest_run()
    assert set(ArrearsFinding.objects.filter(run=run, case=case).values_list("check_name", flat=True)) == set(
        services.CHECK_LABELS)

    # the signed notice is stored and downloadable by the company
    link = ui.locator("main a", has_text="签收件")
    expect(link).to_have_attribute("href", f"/arrears/{case.pk}/notice/")
    download = ui.request.get(f"{base}/arrears/{case.pk}/notice/")
    assert download.status == 200 and download.body() == NOTICE
    expect(ui.locator("#ack")).to_have_text("未确认")
    expect(ui.locator("#authority-form")).to_have_count(0)  # the company cannot acknowledge

    # --- the county energy authority: inbox, acknowledgement, a question
    logout(ui, base)
    login(ui, base, "wh_authority")
    ui.goto(f"{base}/arrears/?view=inbox")
    row = ui.locator("#cases tbody tr").filter(has=ui.locator("a", has_text="QF-2026-001"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("翠湖花园小区")
    expect(row).to_contain_text("五华区能源局")
    row.locator("a", has_text="QF-2026-001").click()
    ui.wait_for_url(case_url)
    expect(ui.locator("#ack")).to_have_text("未确认")
    expect(ui.locator("form:has(input[name=kind][value=answer])")).to_have_count(0)

    ui.select_option("#authority-form select[name=kind]", "acknowledge")
    ui.click("#send-authority")
    ui.wait_for_url(case_url)
    expect(ui.locator("main .notice")).to_have_text("已提交")
    expect(ui.locator("#ack")).to_contain_text("确认收悉")
    expect(ui.locator("#ack")).to_contain_text("wh_authority")

    ui.select_option("#authority-form select[name=kind]", "question")
    ui.fill("#authority-form input[name=text]", "请说明停电前30分钟再次通知的安排")
    ui.click("#send-authority")
    ui.wait_for_url(case_url)
    expect(ui.locator("main .notice")).to_have_text("已提交")
    expect(ui.locator("#messages")).to_contain_text("请说明停电前30分钟再次通知的安排")

    # the list shows the acknowledgement too
    ui.goto(f"{base}/arrears/?view=unacknowledged")
    expect(ui.locator("#cases tbody")).not_to_contain_text("QF-2026-001")

    # --- the company answers
    logout(ui, base)
    login(ui, base, "whpg")
    ui.goto(case_url)
    answer = ui.locator("form:has(input[name=kind][value=answer])")
    answer.locator("input[name=text]").fill("停电前30分钟将由台区经理电话及短信再次通知")
    answer.locator("button[type=submit]").click()
    ui.wait_for_url(case_url)
    expect(ui.locator("main .notice")).to_have_text("已提交")
    messages = ui.locator("#messages tr").filter(has=ui.locator("td"))
    expect(messages).to_have_count(3)
    cells = messages.evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
    assert [(c[1], c[2], c[3]) for c in cells] == [
        ("五华区能源局 wh_authority", "确认收悉", ""),
        ("五华区能源局 wh_authority", "询问", "请说明停电前30分钟再次通知的安排"),
        ("五华供电局 whpg", "答复", "停电前30分钟将由台区经理电话及短信再次通知"),
    ]
    assert list(CaseMessage.objects.filter(case=case).values_list("kind", flat=True)) == [
        "acknowledge", "question", "answer"]
    case.refresh_from_db()
    assert case.acknowledged_by == "wh_authority" and case.acknowledged_at is not None

    # --- an authority of another county (盘龙区) cannot see the case
    logout(ui, base)
    login(ui, base, "px_authority")
    response = ui.goto(case_url)
    assert response.status == 404
    expect(ui.locator("body")).not_to_contain_text("翠湖花园小区")
    assert ui.request.get(f"{base}/arrears/{case.pk}/notice/").status == 404
    ui.goto(f"{base}/arrears/?view=inbox")
    expect(ui.locator("#cases tbody")).not_to_contain_text("QF-2026-001")
