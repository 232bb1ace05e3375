"""The regulator cockpit in real Chromium: switch KPIs, drill from the province to a prefecture to a
county by clicking the map, and follow a number to its list.

Sync Playwright runs its own event loop in the test thread, so Django's async-safety guard must be
relaxed before anything touches the ORM."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import json  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from getpower.cockpit import services  # noqa: E402
from getpower.core.models import Region  # noqa: E402
from tests.browser.conftest import login
from tests.cockpit.conftest import NOW, evaluate_month  # noqa: E402
from tests.cockpit.ledgers import APPS, CASES, OUTAGES_2026, PAUSES  # noqa: E402
from tests.factories import import_text  # noqa: E402

pytestmark = pytest.mark.browser
MAPS = Path(services.__file__).resolve().parent.parent / "web" / "static" / "vendor" / "maps"


def inside_point(path: Path, code: str) -> list[float]:
    """A point well inside a plain-GeoJSON region (county files): on a grid over its largest ring,
    the inside point farthest from the ring's edges — a label anchor may sit on a neighbour."""
    feature = next(f for f in json.loads(path.read_text(encoding="utf-8"))["features"]
                   if f["properties"].get("code") == code)
    geometry = feature["geometry"]
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    ring = max((polygon[0] for polygon in polygons), key=len)
    edges = list(zip(ring, ring[1:] + ring[:1], strict=True))

    def inside(x: float, y: float) -> bool:
        crossings = sum(1 for (x1, y1), (x2, y2) in edges
                        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1))
        return crossings % 2 == 1

    def clearance(x: float, y: float) -> float:
        return min(((x - (x1 + x2) / 2) ** 2 + (y - (y1 + y2) / 2) ** 2) for (x1, y1), (x2, y2) in edges)

    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    grid = [(min(xs) + (max(xs) - min(xs)) * i / 30, min(ys) + (max(ys) - min(ys)) * j / 30)
            for i in range(1, 30) for j in range(1, 30)]
    return list(max((p for p in grid if inside(*p)), key=lambda p: clearance(*p)))


def label_point(path: Path, code: str) -> list[float]:
    """Where ECharts anchors a prefecture's label (properties.cp of the compressed province map)."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return next(f["properties"]["cp"] for f in features if f.get("id") == code)


@pytest.fixture
def cockpit_live(transactional_db, live_server, monkeypatch):
    from tests.factories import build_province

    assert Region.objects.filter(level="prefecture").count() == 16
    monkeypatch.setattr(services, "now", lambda: NOW)
    province = build_province()
    import_text("outages", OUTAGES_2026, name="outages.csv")
    import_text("applications", APPS, name="apps.csv")
    import_text("application_pauses", PAUSES, name="pauses.csv")
    import_text("arrears_cases", CASES, name="cases.csv")
    evaluate_month("2026-10")
    evaluate_month("2026-11")
    return province


@pytest.fixture
def ui(page: Page, cockpit_live):
    page.set_default_timeout(15000)
    expect.set_options(timeout=15000)
    return page


def map_option(page: Page) -> dict:
    expect(page.locator("#map")).to_have_attribute("data-ready", "1")
    return page.evaluate("""() => {
        const o = echarts.getInstanceByDom(document.getElementById("map")).getOption();
        return {map: o.series[0].map, data: o.series[0].data.map(d => ({name: d.name, code: d.code, value: d.value})),
                max: o.visualMap[0].max, min: o.visualMap[0].min};
    }""")


def click_region(page: Page, point: list[float]) -> None:
    """A real mouse click on the map where the region's label sits."""
    page.locator("#map").scroll_into_view_if_needed()
    xy = page.evaluate("(p) => echarts.getInstanceByDom(document.getElementById('map')).convertToPixel({seriesIndex: 0}, p)",
                       point)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def ranking(page: Page, table: str = "#area-ranking") -> list[list[str]]:
    return page.locator(f"{table} tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.innerText.trim()))")


def test_switch_kpis_and_drill_from_province_to_prefecture_to_county(ui: Page, live_server):
    base = live_server.url
    login(ui, base, "regulator")
    ui.goto(f"{base}/cockpit/?month=2026-11")

    # the province: composite score by prefecture
    expect(ui.locator("#area-name")).to_have_text("云南省")
    expect(ui.locator("#kpi-picker a.active")).to_have_attribute("data-kpi", "composite")
    option = map_option(ui)
    assert option["map"] == "yunnan" and len([d for d in option["data"] if d.get("code")]) == 16
    rows = ranking(ui)
    assert len(rows) == 16 and rows[0][:2] == ["1", "昆明市"] and rows[1][:2] == ["2", "保山市"]
    expect(ui.locator('#cards .card[data-kpi="composite"]')).to_have_class(re.compile("current"))

    # switch to frequent outages per 1,000 台区 (lower is better)
    ui.click('#kpi-picker a[data-kpi="outage_per_1000_tq"]')
    ui.wait_for_url(re.compile(r"kpi=outage_per_1000_tq"))
    expect(ui.locator("#kpi-picker a.active")).to_have_attribute("data-kpi", "outage_per_1000_tq")
    option = map_option(ui)
    values = {d["code"]: d["value"] for d in option["data"]}
    assert values["530500"] == 1000 and round(values["530100"], 1) == 333.3 and option["max"] == 1000
    rows = ranking(ui)
    assert rows[0][1] == "昆明市" and rows[0][3] == "333.3" and rows[1][1] == "保山市" and rows[1][3] == "1000.0"
    expect(ui.locator('#cards .card[data-kpi="outage_per_1000_tq"] .v')).to_contain_text("500.0")
    expect(ui.locator('#cards .card[data-kpi="outage_per_1000_tq"] [data-part="breach"]')).to_have_text("1")

    # switch to the on-time connection rate (higher is better)
    ui.click('#kpi-picker a[data-kpi="on_time_rate"]')
    ui.wait_for_url(re.compile(r"kpi=on_time_rate"))
    option = map_option(ui)
    assert {d["code"]: d["value"] for d in option["data"]}["530100"] == 50
    expect(ui.locator('#cards .card[data-kpi="on_time_rate"] .v')).to_contain_text("50.0")
    assert ranking(ui)[0][1:3] == ["昆明市", "50.0"]

    # drill down: click 昆明 on the map → its county map
    click_region(ui, label_point(MAPS / "yunnan.json", "530100"))
    ui.wait_for_url(re.compile(r"area=530100"))
    expect(ui.locator("#area-name")).to_have_text("昆明市")
    expect(ui.locator("#breadcrumb")).to_contain_text("云南省 › 昆明市")
    option = map_option(ui)
    assert option["map"] == "530100" and len([d for d in option["data"] if d.get("code")]) == 14
    values = {d["code"]: d["value"] for d in option["data"]}
    assert values["530103"] == 100 and values["530102"] == 0
    rows = ranking(ui)
    assert len(rows) == 14 and rows[0][1:3] == ["盘龙区", "100.0"] and rows[1][1:3] == ["五华区", "0.0"]
    companies = ranking(ui, "#company-ranking")
    assert [r[1] for r in companies] == ["盘龙供电局", "五华供电局"]

    # and into 五华区: everything on the page follows the area
    click_region(ui, inside_point(MAPS / "counties" / "530100.json", "530102"))
    ui.wait_for_url(re.compile(r"area=530102"))
    expect(ui.locator("#area-name")).to_have_text("五华区")
    expect(ui.locator("#breadcrumb")).to_contain_text("云南省 › 昆明市 › 五华区")
    option = map_option(ui)
    assert option["map"] == "530100"  # the county shown inside its prefecture
    expect(ui.locator('#area-ranking tr.selected')).to_have_attribute("data-code", "530102")
    expect(ui.locator('#cards .card[data-kpi="on_time_rate"] .v')).to_contain_text("0.0")
    expect(ui.locator('#cards .card[data-kpi="arrears_violations"] .v')).to_contain_text("1")
    assert [r[1] for r in ranking(ui, "#company-ranking")] == ["五华供电局"]
    trend = ui.evaluate("() => echarts.getInstanceByDom(document.getElementById('trend')).getOption().series[0].data")
    assert trend == [0, 0]

    # a number leads to the list behind it, with the same count
    ui.click('#cards .card[data-kpi="on_time_rate"] [data-part="late"]')
    ui.wait_for_url(re.compile(r"/connections/late/\?.*county=530102"))
    expect(ui.locator("#late-count")).to_contain_text("共 1 件")
    expect(ui.locator("#late")).to_contain_text("A1")
    expect(ui.locator("#late")).not_to_contain_text("A3")


def test_a_county_authority_only_gets_its_county(ui: Page, live_server):
    base = live_server.url
    login(ui, base, "wh_authority")
    ui.goto(f"{base}/cockpit/?month=2026-11&kpi=arrears_violations")
    expect(ui.locator("#area-name")).to_have_text("五华区")
    option = map_option(ui)
    # the county map of 昆明, with data for 五华区 only (no other county's figures reach the page)
    assert option["map"] == "530100"
    assert [d["code"] for d in option["data"] if d.get("code")] == ["530102"]
    assert all(d.get("value") is None for d in option["data"] if not d.get("code"))
    assert ranking(ui)[0][1] == "五华区" and len(ranking(ui)) == 1
    assert ui.goto(f"{base}/cockpit/?area=530100").status == 404
    login(ui, base, "whpg")
    assert ui.goto(f"{base}/cockpit/").status == 403
