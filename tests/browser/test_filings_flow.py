"""One F3 filing (rules R5) followed end to end in real Chromium against the live server: the county
supply bureau files last month's frequent-outage ledger, the county energy authority returns it, the
bureau completes it and resubmits with a reason, the authority sees the difference and accepts, and
the bureau finds both decisions in its inbox.

Sync Playwright runs its own event loop in the test thread, so Django's async-safety guard must be
relaxed before anything touches the ORM."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import datetime as dt  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from getpower.filings import services  # noqa: E402
from getpower.filings.models import Filing  # noqa: E402
from tests.browser.conftest import login, logout
from tests.outages.fixtures import OUTAGES  # noqa: E402

pytestmark = pytest.mark.browser

CHINA = dt.timezone(dt.timedelta(hours=8))
REMARK = "已安排治理：更换老旧配变"
COMMENT = "请补充计划完成日期"
NOTE = "更换配变，新增分段开关"
PLANNED = "2026-06-30"
REASON = "按退回意见补充计划完成日期"


@pytest.fixture
def f3(province_live, settings):
    """WHPG's F3 for 2026-03, opened by the April tick ("last month"; already past its month-end due)."""
    from tests.factories import import_text

    settings.GETPOWER_FILINGS_FIRST_MONTH = "2026-03"  # also seen by the live server thread
    import_text("outages", OUTAGES)
    services.tick(dt.datetime(2026, 4, 15, 12, tzinfo=CHINA))
    filing = Filing.objects.get(type_id="F3", filer__org_code="WHPG", period="2026-03")
    assert filing.recipient.org_code == "WH-EA" and filing.status == "not_started"
    return filing


@pytest.fixture
def ui(page: Page, live_server, f3):
    page.set_default_timeout(15000)
    expect.set_options(timeout=15000)
    return page


def act(page: Page, button, url: str, notice: str) -> None:
    """Press one action button; the view redirects back to the filing with a message."""
    button.click()
    page.wait_for_url(url)
    expect(page.locator("main .notice")).to_have_text(notice)


def data_rows(page: Page, table: str):
    return page.locator(f"#{table} tr").filter(has=page.locator("td"))


def cells_of(page: Page, table: str) -> list[list[str]]:
    return data_rows(page, table).evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def test_f3_filed_returned_resubmitted_and_accepted(ui: Page, live_server, f3):
    base = live_server.url
    url = f"{base}/filings/{f3.pk}/"

    # --- the bureau files last month's F3 from its list
    login(ui, base, "whpg")
    ui.goto(f"{base}/filings/")
    mine = data_rows(ui, "my-filings").filter(has=ui.locator("td:first-child", has_text=re.compile(r"^F3$"))).filter(
        has=ui.locator("a", has_text="2026-03"))
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("五华区能源局")
    expect(mine).to_contain_text("逾期未报")
    mine.locator("a", has_text="2026-03").click()
    ui.wait_for_url(url)
    expect(ui.locator("#filing-status")).to_have_text("逾期未报")
    expect(ui.locator("#review-form")).to_have_count(0)  # the filer does not review
    preview = data_rows(ui, "preview")
    expect(preview).to_have_count(1)  # WH-T1 is the only unit in breach at the end of March
    expect(preview).to_contain_text("WH-T1")
    expect(preview).to_contain_text("五华一号台区")
    expect(ui.locator("#submit-form input[name=reason]")).to_have_count(0)  # no version yet: no reason asked

    # the remark lives in the entries form: it is saved as a draft, then the draft is submitted
    ui.fill("#entries-form textarea[name=remarks]", REMARK)
    act(ui, ui.locator("#entries-form button[type=submit]"), url, "草稿已保存")
    expect(ui.locator("#filing-status")).to_have_text("逾期未报")  # a draft past its due time
    expect(ui.locator("#entries-form textarea[name=remarks]")).to_have_value(REMARK)
    act(ui, ui.locator("#submit-filing"), url, "已提交，版本已冻结")
    expect(ui.locator("#filing-status")).to_have_text("已提交")
    expect(ui.locator(".badge.late")).to_have_text("迟报")  # submitted after 03-31 23:59:59
    expect(ui.locator("#entries-form")).to_have_count(0)
    expect(ui.locator("#submit-form")).to_have_count(0)
    versions = cells_of(ui, "versions")
    assert [(v[0], v[2], v[3], v[4]) for v in versions] == [("v1", "whpg", "", "1")]
    expect(ui.locator("#diff")).to_have_count(0)

    # --- the county energy authority finds it in its F3 matrix and returns it
    logout(ui, base)
    login(ui, base, "wh_authority")
    ui.goto(f"{base}/filings/?type=F3")
    expect(ui.locator("#matrix tr").first).to_contain_text("2026-03")
    row = data_rows(ui, "matrix").filter(has=ui.locator("td:first-child", has_text=re.compile(r"^五华供电局$")))
    expect(row).to_have_count(1)
    expect(ui.locator("#matrix")).not_to_contain_text("盘龙供电局")  # another county's bureau
    link = row.locator(f"a[href='/filings/{f3.pk}/']")
    expect(link).to_have_text("已提交·迟")
    link.click()
    ui.wait_for_url(url)
    expect(ui.locator("#filing-status")).to_have_text("已提交")
    expect(ui.locator("#entries-form")).to_have_count(0)  # the reviewer does not edit
    ui.fill("#review-form input[name=comment]", COMMENT)
    act(ui, ui.locator("#return"), url, "已处理")
    expect(ui.locator("#filing-status")).to_have_text("退回修改")
    expect(ui.locator("#review-form")).to_have_count(0)

    # --- the bureau reads the return in its inbox, completes the row and resubmits with a reason
    logout(ui, base)
    login(ui, base, "whpg")
    ui.goto(f"{base}/inbox/")
    returned = data_rows(ui, "inbox").filter(has_text=f"退回修改：{COMMENT}")
    expect(returned).to_have_count(1)
    expect(returned.locator("td").nth(1)).to_have_text("已退回")
    returned.locator("a", has_text="查看").click()
    ui.wait_for_url(url)
    expect(ui.locator("#filing-status")).to_have_text("退回修改")
    expect(ui.locator("#entries-form textarea[name=remarks]")).to_have_value(REMARK)  # the saved entries stay
    ui.fill("#entries-form input[name='note::WH-T1']", NOTE)
    ui.fill("#entries-form input[name='date::WH-T1']", PLANNED)
    act(ui, ui.locator("#entries-form button[type=submit]"), url, "草稿已保存")
    expect(ui.locator("#filing-status")).to_have_text("退回修改")
    expect(ui.locator("#entries-form input[name='note::WH-T1']")).to_have_value(NOTE)
    expect(ui.locator("#entries-form input[name='date::WH-T1']")).to_have_value(PLANNED)
    expect(ui.locator("#submit-filing")).to_have_text("重新提交")
    ui.fill("#submit-form input[name=reason]", REASON)
    act(ui, ui.locator("#submit-filing"), url, "已提交，版本已冻结")
    expect(ui.locator("#filing-status")).to_have_text("已重新提交")
    versions = cells_of(ui, "versions")
    assert [(v[0], v[2], v[3]) for v in versions] == [("v1", "whpg", ""), ("v2", "whpg", REASON)]

    # --- the authority sees what changed between v1 and v2 and accepts
    logout(ui, base)
    login(ui, base, "wh_authority")
    ui.goto(url)
    expect(ui.locator("#filing-status")).to_have_text("已重新提交")
    expect(ui.locator("#diff")).to_have_text("版本差异：v1 → v2")
    expect(ui.locator("#diff-added")).to_have_text("0")
    expect(ui.locator("#diff-removed")).to_have_text("0")
    expect(ui.locator("#diff-changed")).to_have_text("1")
    changed = data_rows(ui, "diff-table")
    expect(changed).to_have_count(1)
    cells = cells_of(ui, "diff-table")[0]
    assert cells[:2] == ["修改", "WH-T1"]
    assert f"报送单位说明：“”→“{NOTE}”" in cells[2]
    assert f"计划完成日期（报送单位）：“”→“{PLANNED}”" in cells[2]
    ui.fill("#review-form input[name=comment]", "")
    act(ui, ui.locator("#accept"), url, "已处理")
    expect(ui.locator("#filing-status")).to_have_text("已接收")
    expect(ui.locator("#review-form")).to_have_count(0)

    events = cells_of(ui, "events")
    assert [(e[1], e[2], e[3], e[4]) for e in events] == [
        ("system", "overdue", "not_started → not_started", "截止时间已过，未提交"),  # the April tick
        ("whpg", "edit", "not_started → draft", ""),  # the remark saved before the first submission
        ("whpg", "submit", "draft → submitted", ""),
        ("wh_authority", "return", "submitted → returned", COMMENT),
        ("whpg", "edit", "returned → returned", ""),
        ("whpg", "resubmit", "returned → resubmitted", REASON),
        ("wh_authority", "accept", "resubmitted → accepted", ""),
    ]
    # the core of the lifecycle, in order, once the bureau first submitted
    assert [e[2] for e in events if e[2] != "overdue"][1:] == ["submit", "return", "edit", "resubmit", "accept"]

    # --- the bureau's inbox holds the return and the acceptance
    logout(ui, base)
    login(ui, base, "whpg")
    ui.goto(f"{base}/inbox/")
    notices = data_rows(ui, "inbox").filter(has=ui.locator(f"a[href='/filings/{f3.pk}/']"))
    decisions = [c[1:3] for c in cells_of(ui, "inbox") if c[1] in ("已退回", "已接收")]
    name = "线路、台区频繁停电台账及治理情况清单（2026-03）已被五华区能源局"
    assert decisions == [["已接收", f"{name}接收"], ["已退回", f"{name}退回修改：{COMMENT}"]]  # newest first
    expect(notices.filter(has_text="五华区能源局接收")).to_have_count(1)
    expect(notices.filter(has_text=f"退回修改：{COMMENT}")).to_have_count(1)

    # what was frozen: v1 with the remark only, v2 with the completed row; the filing accepted and late
    f3.refresh_from_db()
    assert (f3.status, f3.is_late, f3.is_overdue) == ("accepted", True, False)
    assert f3.accepted_at is not None
    v1, v2 = f3.versions.order_by("number")
    assert v1.content["remarks"] == REMARK == v2.content["remarks"]
    assert [(r["_key"], r["filer_note"], r["filer_date"]) for r in v1.content["rows"]] == [("WH-T1", "", "")]
    assert [(r["_key"], r["filer_note"], r["filer_date"]) for r in v2.content["rows"]] == [("WH-T1", NOTE, PLANNED)]
    assert v2.reason == REASON and v1.sha256 != v2.sha256
