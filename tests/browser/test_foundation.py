"""The foundation's acceptance paths in real Chromium against the live server.

Sync Playwright runs its own event loop in the test thread, so Django's async-safety guard must be
relaxed before anything touches the ORM."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from getpower.core.models import ImportJob  # noqa: E402
from getpower.grid.models import Asset  # noqa: E402
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

NEW_ASSETS = """asset_id,asset_type,name,company,county_code,township_code,line_id,rated_kva,users,area_type
WH-L9,line,五华10kV九回线,WHPG,530102,,,,0,urban
WH-T91,tq,五华九十一号台区,WHPG,530102,,WH-L9,400,80,urban
WH-T92,tq,五华九十二号台区,WHPG,530102,,WH-L9,630,150,urban
"""

# row 2: unknown company; row 3: 台区 without capacity; row 4: line that does not exist;
# row 5: users not an integer. Row 6 alone would be valid.
BAD_ASSETS = """asset_id,asset_type,name,company,county_code,township_code,line_id,rated_kva,users,area_type
BAD-L1,line,坏线路,NOPE,530102,,,,0,urban
BAD-T1,tq,无容量台区,WHPG,530102,,WH-L1,,10,urban
BAD-T2,tq,无线路台区,WHPG,530102,,NO-SUCH-LINE,200,10,urban
BAD-T3,tq,用户数错误台区,WHPG,530102,,WH-L1,200,很多,urban
BAD-T4,tq,本行正确,WHPG,530102,,WH-L1,200,10,urban
"""


@pytest.fixture
def ui(page: Page, live_server, province_live):
    page.set_default_timeout(15000)
    expect.set_options(timeout=15000)
    return page


def upload(page: Page, base: str, ledger: str, path) -> None:
    page.goto(f"{base}/imports/")
    page.select_option("#ledger", ledger)
    page.set_input_files("#file", str(path))
    page.click("#upload")
    page.wait_for_url(re.compile(re.escape(base) + r"/imports/\d+/$"))


def test_supplier_uploads_assets_and_finds_them(ui: Page, live_server, tmp_path):
    base = live_server.url
    login(ui, base, "whpg")
    csv_path = tmp_path / "new_assets.csv"
    csv_path.write_text(NEW_ASSETS, encoding="utf-8")
    upload(ui, base, "assets", csv_path)

    expect(ui.locator("#job-state")).to_have_text("成功")
    expect(ui.locator("#rows-added")).to_have_text("3")
    expect(ui.locator("#import-errors")).to_have_count(0)
    job = ImportJob.objects.get(pk=int(ui.url.rstrip("/").rsplit("/", 1)[1]))
    assert (job.status, job.rows_added, job.channel, job.actor) == ("succeeded", 3, "web", "whpg")

    ui.goto(f"{base}/assets/?q=WH-T9")
    rows = ui.locator("#assets tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="WH-T91")).to_contain_text("五华九十一号台区")
    expect(rows.filter(has_text="WH-T92")).to_contain_text("WH-L9")
    ui.goto(f"{base}/assets/?q=WH-L9")
    expect(ui.locator("#assets tbody")).to_contain_text("五华10kV九回线")
    tq = Asset.objects.get(asset_id="WH-T91")
    assert tq.line.asset_id == "WH-L9" and tq.company.org_code == "WHPG" and tq.rated_kva == 400


def test_supplier_gets_404_for_another_companys_asset(ui: Page, live_server):
    base = live_server.url
    login(ui, base, "whpg")
    own = Asset.objects.get(asset_id="WH-T1")
    other = Asset.objects.get(asset_id="PL-T1")

    response = ui.goto(f"{base}/assets/{own.pk}/")
    assert response.status == 200
    expect(ui.locator("main")).to_contain_text("WH-T1")

    response = ui.goto(f"{base}/assets/{other.pk}/")
    assert response.status == 404
    expect(ui.locator("body")).not_to_contain_text("盘龙一号台区")

    api = ui.request.get(f"{base}/api/assets/{other.pk}")
    assert api.status == 404
    assert ui.request.get(f"{base}/api/assets/{own.pk}").status == 200
    response = ui.goto(f"{base}/api/assets/{other.pk}")
    assert response.status == 404


def test_bad_upload_lists_every_error_and_writes_nothing(ui: Page, live_server, tmp_path):
    base = live_server.url
    login(ui, base, "whpg")
    before = list(Asset.objects.order_by("pk").values_list("pk", "asset_id", "name"))
    csv_path = tmp_path / "bad_assets.csv"
    csv_path.write_text(BAD_ASSETS, encoding="utf-8")
    upload(ui, base, "assets", csv_path)

    expect(ui.locator("#job-state")).to_have_text("校验未通过")
    expect(ui.locator("main .errors")).to_contain_text("未写入任何数据")
    body = ui.locator("#import-errors tr").filter(has=ui.locator("td"))
    expect(body).to_have_count(4)
    cells = [[c.strip() for c in row] for row in
             ui.locator("#import-errors tr").evaluate_all(
                 "rows => rows.filter(r => r.querySelector('td')).map(r => [...r.cells].map(c => c.innerText))")]
    by_row = {r[0]: r for r in cells}
    assert set(by_row) == {"2", "3", "4", "5"}
    assert by_row["2"][1].startswith("company") and "供电单位编码" in by_row["2"][1]
    assert by_row["2"][3] == "未知的供电单位编码"
    assert by_row["3"][1].startswith("rated_kva") and by_row["3"][3] == "台区必须填写额定容量"
    assert by_row["4"][1].startswith("line_id") and by_row["4"][2] == "NO-SUCH-LINE"
    assert "所属线路不存在" in by_row["4"][3]
    assert by_row["5"][1].startswith("users") and by_row["5"][2] == "很多"
    for row in cells:  # every reason is written in Chinese
        assert re.search(r"[\u4e00-\u9fff]", row[3]), row

    assert list(Asset.objects.order_by("pk").values_list("pk", "asset_id", "name")) == before
    assert not Asset.objects.filter(asset_id__startswith="BAD-").exists()
    job = ImportJob.objects.latest("pk")
    assert job.status == "rejected" and job.rows_added == 0 and len(job.errors) == 4


def test_regulator_home_shows_map_and_prefecture_table(ui: Page, live_server):
    base = live_server.url
    login(ui, base, "regulator")
    expect(ui.locator("h1")).to_have_text("全省概览")
    ui.wait_for_selector("#map canvas", state="attached")
    box = ui.locator("#map canvas").first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    table = ui.locator("#by-prefecture tbody tr")
    expect(table).to_have_count(2)
    expect(table.filter(has_text="昆明市")).to_contain_text("2")  # 2 lines, 3 台区 in 昆明
    kunming = table.filter(has_text="昆明市").locator("td").all_inner_texts()
    baoshan = table.filter(has_text="保山市").locator("td").all_inner_texts()
    assert kunming[1:] == ["2", "3", "410"] and baoshan[1:] == ["1", "1", "60"]
