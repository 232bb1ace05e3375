"""Connection time limits (rules R2) followed in real Chromium against the live server: the supply
company's worklist, the regulator's overview and an application's timeline, and the applicant's
public progress lookup.

Every time is computed from ``timezone.now()`` and the working-day calendar in the database, so the
flow holds whatever day it runs (weekends and holidays included).

Sync Playwright runs its own event loop in the test thread, so Django's async-safety guard must be
relaxed before anything touches the ORM."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import datetime as dt  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402
from django.utils import formats, timezone, translation  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from getpower.connections import services  # noqa: E402
from getpower.connections.models import Application, TimeLimitFinding  # noqa: E402
from getpower.workdays.calendar import load_calendar  # noqa: E402
from tests.browser.conftest import login, logout

pytestmark = pytest.mark.browser

ONE_DAY = dt.timedelta(days=1)
HEADER = ("app_id,company,county_code,customer_kind,voltage_kv,supply,capacity_kw,zero_service,"
          "applied_at,accepted_at,scheme_replied_at,energized_at,contact_phone_last4")


@pytest.fixture
def scenario(province_live):
    """Five applications of 五华供电局 and one R2 evaluation now.

    Low voltage non-三零 (lv) limits: 受理 1, 方案答复 3, 装表接电 2, 全过程 6 working days;
    高压单电源 (hv_single): 受理 1, 方案答复 10, 全过程 22.

    - BZ-OK1, BZ-OK2 (lv): every stage on time, energised;
    - BZ-LATE (lv): 方案答复 took 7 working days, 全过程 10 → late;
    - BZ-URGENT (lv): applied just now, 受理 open, due the next working day (1 left → highlighted);
    - BZ-SOON (lv): accepted 1 working day ago, 方案答复 open (2 left), 全过程 open (4 left);
    - BZ-HV (hv_single): accepted 5 working days ago, 方案答复 open (5 left), 全过程 open (16 left).
    """
    from tests.factories import import_text

    cal = load_calendar()
    now = timezone.localtime(timezone.now())
    today = now.date()

    def wd(n: int) -> dt.date:
        """The latest working day d with exactly n working days in (d, today]."""
        d = today
        while not (cal.is_workday(d) and cal.count_days(d + ONE_DAY, today).count == n):
            d -= ONE_DAY
        return d

    def at(day: dt.date, hhmm: str) -> str:
        return f"{day:%Y-%m-%d} {hhmm}"

    # applied "just now", but never before today's midnight: the 受理 clock starts today
    just_now = max(now - dt.timedelta(minutes=1), now.replace(hour=0, minute=0, second=0, microsecond=0))
    rows = [
        f"BZ-OK1,WHPG,530102,other,0.38,,50,否,{at(wd(10), '09:00')},{at(wd(10), '15:00')},"
        f"{at(wd(9), '10:00')},{at(wd(8), '10:00')},1111",
        f"BZ-OK2,WHPG,530102,other,0.38,,80,否,{at(wd(12), '09:00')},{at(wd(12), '11:00')},"
        f"{at(wd(11), '10:00')},{at(wd(10), '16:00')},2222",
        f"BZ-LATE,WHPG,530102,other,0.38,,60,否,{at(wd(20), '09:00')},{at(wd(19), '09:00')},"
        f"{at(wd(12), '10:00')},{at(wd(10), '10:00')},3333",
        f"BZ-URGENT,WHPG,530102,other,0.38,,40,否,{just_now:%Y-%m-%d %H:%M:%S},,,,4444",
        f"BZ-SOON,WHPG,530102,other,0.38,,30,否,{at(wd(2), '09:00')},{at(wd(1), '09:00')},,,5678",
        f"BZ-HV,WHPG,530102,other,10,single,800,,{at(wd(6), '09:00')},{at(wd(5), '09:00')},,,9999",
    ]
    import_text("applications", "\n".join([HEADER, *rows]) + "\n", name="applications.csv")
    assert Application.objects.filter(company__org_code="WHPG").count() == 6
    evaluation = services.evaluate(timezone.now())
    assert evaluation.run is not None
    return {"cal": cal, "today": today, "wd": wd, "run": evaluation.run}


@pytest.fixture
def ui(page: Page, live_server, scenario):
    page.set_default_timeout(15000)
    expect.set_options(timeout=15000)
    return page


def cells_of(page: Page, selector: str) -> list[list[str]]:
    return page.locator(selector).evaluate_all(
        "rows => rows.filter(r => r.querySelector('td')).map(r => [...r.cells].map(c => c.innerText.trim()))")


def test_worklist_overview_timeline_and_public_lookup(ui: Page, live_server, scenario):
    base = live_server.url
    cal, wd = scenario["cal"], scenario["wd"]

    # --- the supply company's worklist: open stages by working days left, the urgent one highlighted
    login(ui, base, "whpg")
    ui.goto(f"{base}/connections/")
    expect(ui.locator("h1")).to_have_text("用电报装工作清单")
    rows = ui.locator("#worklist tbody tr")
    expect(rows).to_have_count(6)
    cells = cells_of(ui, "#worklist tbody tr")
    # columns: 申请编号, 供电单位, 用户类型, 环节, 已用工作日, 时限, 截止日, 剩余工作日
    assert [(c[0], c[3], int(c[7])) for c in cells] == [
        ("BZ-URGENT", "业务受理", 1),
        ("BZ-SOON", "供电方案答复", 2),
        ("BZ-SOON", "全过程", 4),
        ("BZ-HV", "供电方案答复", 5),
        ("BZ-URGENT", "全过程", 6),
        ("BZ-HV", "全过程", 16),
    ]
    lefts = [int(c[7]) for c in cells]
    assert lefts == sorted(lefts)
    assert all(c[1] == "五华供电局" for c in cells)
    by_key = {(c[0], c[3]): c for c in cells}
    assert by_key[("BZ-SOON", "供电方案答复")][4:6] == ["1", "3"]
    assert by_key[("BZ-HV", "供电方案答复")][4:6] == ["5", "10"]
    assert by_key[("BZ-HV", "全过程")][4:6] == ["6", "22"]
    urgent = ui.locator("#worklist tbody tr.urgent")
    expect(urgent).to_have_count(1)
    expect(urgent.locator("td").first).to_have_text("BZ-URGENT")
    expect(urgent.locator("td").nth(3)).to_have_text("业务受理")
    expect(ui.locator("#worklist tbody tr").first).to_have_class(re.compile(r"\burgent\b"))
    # the stored findings agree with the page: the 受理 deadline is the next working day
    finding = TimeLimitFinding.objects.get(run=scenario["run"], application__app_id="BZ-URGENT",
                                           check_name="accept")
    assert finding.status == "open"
    assert finding.deadline > scenario["today"] and cal.is_workday(finding.deadline)
    assert cal.count_days(scenario["today"] + ONE_DAY, finding.deadline).count == 1

    # --- the regulator's overview: chart, per-company counts, the late list, a timeline
    logout(ui, base)
    login(ui, base, "regulator")
    ui.goto(f"{base}/connections/")
    expect(ui.locator("h1")).to_have_text("用电报装时限监管")
    ui.wait_for_selector("#rate-chart canvas", state="attached")
    box = ui.locator("#rate-chart canvas").first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    company = ui.locator("#by-company tr").filter(has=ui.locator("td", has_text="五华供电局"))
    expect(company).to_have_count(1)
    # per check (every stage and 全过程): OK1, OK2 4 ok each; LATE 2 ok + 2 late; HV 受理 ok;
    # open: URGENT 受理 + 全过程, SOON 方案答复 + 全过程, HV 方案答复 + 全过程 (SOON's 受理 is ok: 1 ≤ 1)
    assert company.locator("td").all_inner_texts() == ["五华供电局", "12", "2", "6", "0", "85.7"]
    late = ui.locator("#late tr").filter(has=ui.locator("td"))
    expect(late).to_have_count(1)
    late_cells = cells_of(ui, "#late tr")
    assert late_cells == [["BZ-LATE", "五华供电局", "五华区", "低压非三零", "10", "6", "超时办结"]]

    app = Application.objects.get(app_id="BZ-LATE")
    late.locator("a", has_text="BZ-LATE").click()
    ui.wait_for_url(f"{base}/connections/applications/{app.pk}/")
    expect(ui.locator("h1")).to_contain_text("用电报装 BZ-LATE")
    timeline = {c[0]: c for c in cells_of(ui, "#timeline tr")}
    assert list(timeline) == ["业务受理", "供电方案答复", "装表接电", "全过程"]
    # columns: 环节, 开始, 结束, 已用工作日, 时限, 截止日, 状态
    assert timeline["业务受理"][3:5] == ["1", "1"] and timeline["业务受理"][6] == "按时"
    assert timeline["供电方案答复"][3:5] == ["7", "3"] and timeline["供电方案答复"][6] == "超时办结"
    assert timeline["装表接电"][3:5] == ["2", "2"] and timeline["装表接电"][6] == "按时"
    assert timeline["全过程"][3:5] == ["10", "6"] and timeline["全过程"][6] == "超时办结"
    assert timeline["业务受理"][1] == f"{wd(20):%Y-%m-%d} 09:00"
    assert timeline["全过程"][2] == f"{wd(10):%Y-%m-%d} 10:00"

    # --- the applicant's lookup, without logging in
    logout(ui, base)
    ui.goto(f"{base}/public/lookup/")
    expect(ui.locator("h1")).to_have_text("用电报装进度查询")
    expect(ui.locator("header .who")).to_contain_text("登录")
    ui.fill("#app_id", "BZ-SOON")
    ui.fill("#last4", "0000")
    ui.locator("#lookup-form button[type=submit]").click()
    expect(ui.locator("#lookup-error")).to_have_text("未找到：请核对申请编号和联系电话后四位")
    expect(ui.locator("#lookup-result")).to_have_count(0)

    ui.fill("#app_id", "BZ-SOON")
    ui.fill("#last4", "5678")
    ui.locator("#lookup-form button[type=submit]").click()
    result = ui.locator("#lookup-result")
    expect(result).to_contain_text("申请编号：BZ-SOON")
    expect(ui.locator("#lookup-error")).to_have_count(0)
    deadline, _ = cal.deadline(wd(1), 3)
    with translation.override("zh-hans"):
        shown = formats.date_format(deadline, "DATE_FORMAT")
    expect(result.locator("b").nth(0)).to_have_text("供电方案答复")
    expect(result.locator("b").nth(1)).to_have_text(shown)
    expect(result).not_to_contain_text("已超期")
    # nothing else of the application is disclosed
    expect(result).not_to_contain_text("五华供电局")
    expect(result).not_to_contain_text("5678")
