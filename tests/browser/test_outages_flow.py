"""One frequent-outage breach followed end to end in real Chromium against the live server: the
finding, the unit page, and the governance item from the supplier's plan to the regulator's close.

Sync Playwright runs its own event loop in the test thread, so Django's async-safety guard must be
relaxed before anything touches the ORM."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import datetime as dt  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from getpower.outages import services  # noqa: E402
from getpower.outages.models import GovernanceItem  # noqa: E402
from tests.browser.conftest import login, logout
from tests.outages.fixtures import OUTAGES  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def evaluated(province_live):
    from tests.factories import import_text

    import_text("outages", OUTAGES)
    services.evaluate(dt.date(2026, 3, 1))
    return GovernanceItem.objects.get(asset__asset_id="WH-T1")


@pytest.fixture
def ui(page: Page, live_server, evaluated):
    page.set_default_timeout(15000)
    expect.set_options(timeout=15000)
    return page


def submit(page: Page, form_id: str, item_url: str) -> None:
    """Submit one transition form; the view redirects back to the item with a message."""
    page.locator(f"#{form_id} button[type=submit]").click()
    page.wait_for_url(item_url)
    expect(page.locator("main .notice")).to_have_text("已提交")


def test_breach_followed_from_finding_to_close(ui: Page, live_server, evaluated):
    base = live_server.url
    item_url = f"{base}/outages/governance/{evaluated.pk}/"
    login(ui, base, "whpg")

    # the findings list: WH-T1 is a breach (频繁停电)
    ui.goto(f"{base}/outages/findings/")
    row = ui.locator("#findings tbody tr").filter(has=ui.locator("a.unit-link", has_text="WH-T1"))
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text("频繁停电")
    expect(row).to_contain_text("五华一号台区")

    # the unit page: status, both charts drawn, E5's disaster claim rejected
    row.locator("a.unit-link").click()
    ui.wait_for_url(re.compile(re.escape(base) + r"/outages/units/\d+/$"))
    expect(ui.locator("#unit-status")).to_have_text("频繁停电")
    ui.wait_for_selector("#timeline canvas", state="attached")
    ui.wait_for_selector("#counts canvas", state="attached")
    box = ui.locator("#timeline canvas").first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    e5 = ui.locator("#decisions tbody tr").filter(has=ui.locator("td:first-child", has_text=re.compile(r"^E5$")))
    expect(e5).to_have_count(1)
    expect(e5).to_contain_text("不予认可")

    # the governance item, from the unit page's link
    ui.locator(f"main a[href='/outages/governance/{evaluated.pk}/']").click()
    ui.wait_for_url(item_url)
    expect(ui.locator("#item-status")).to_have_text("已识别")
    expect(ui.locator("#form-verify")).to_have_count(0)  # the supplier cannot verify

    ui.fill("#form-file_plan textarea[name=measures]", "更换老旧配变，新增分段开关")
    ui.fill("#form-file_plan input[name=planned_completion]", "2026-06-30")
    submit(ui, "form-file_plan", item_url)
    expect(ui.locator("#item-status")).to_have_text("已报治理计划")
    expect(ui.locator("main")).to_contain_text("更换老旧配变，新增分段开关")
    expect(ui.locator("main")).to_contain_text("2026")

    submit(ui, "form-start", item_url)
    expect(ui.locator("#item-status")).to_have_text("治理中")

    ui.fill("#form-complete textarea[name=note]", "配变更换完成，分段开关投运")
    submit(ui, "form-complete", item_url)
    expect(ui.locator("#item-status")).to_have_text("企业已完成")
    expect(ui.locator("form[id^=form-]")).to_have_count(0)  # nothing left for the supplier

    # the regulator verifies and closes
    logout(ui, base)
    login(ui, base, "regulator")
    ui.goto(item_url)
    expect(ui.locator("#item-status")).to_have_text("企业已完成")
    ui.select_option("#form-verify select[name=verification_method]", label="现场检查")
    ui.fill("#form-verify textarea[name=note]", "现场检查合格，用户反映供电正常")
    submit(ui, "form-verify", item_url)
    expect(ui.locator("#item-status")).to_have_text("监管已核验")
    expect(ui.locator("main")).to_contain_text("现场检查合格，用户反映供电正常")

    submit(ui, "form-close", item_url)
    expect(ui.locator("#item-status")).to_have_text("已销号")
    expect(ui.locator("form[id^=form-]")).to_have_count(0)

    events = ui.locator("#events tr").filter(has=ui.locator("td"))
    expect(events).to_have_count(6)
    cells = events.evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
    assert [(c[1], c[2], c[3]) for c in cells] == [
        ("system", "识别", "→ 已识别"),
        ("whpg", "报送治理计划", "已识别 → 已报治理计划"),
        ("whpg", "开始治理", "已报治理计划 → 治理中"),
        ("whpg", "治理完成", "治理中 → 企业已完成"),
        ("regulator", "监管核验", "企业已完成 → 监管已核验"),
        ("regulator", "销号", "监管已核验 → 已销号"),
    ]
    assert cells[1][4] == "更换老旧配变，新增分段开关"
    assert cells[3][4] == "配变更换完成，分段开关投运"

    # 动态清零: nothing left open
    ui.goto(f"{base}/outages/governance/")
    expect(ui.locator("#open-total")).to_have_text("0")
    expect(ui.locator("#items tbody")).to_contain_text("已销号")

    evaluated.refresh_from_db()
    assert evaluated.status == "closed" and evaluated.closed_at is not None
    assert evaluated.planned_completion == dt.date(2026, 6, 30)
    assert evaluated.verification_method == "site_check"
