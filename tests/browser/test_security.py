"""Stored XSS, the Content-Security-Policy and the offline API docs in real Chromium against the live
server (docs/security.md): a hostile event id shows as text in the unit page's tooltip and runs
nothing; no page breaks the policy; /api/docs works with every other host unreachable.

Sync Playwright runs its own event loop in the test thread, so Django's async-safety guard must be
relaxed before anything touches the ORM."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import datetime as dt  # noqa: E402
import re  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402

from getpower.cockpit import services as cockpit_services  # noqa: E402
from getpower.filings import services as filing_services  # noqa: E402
from getpower.filings.models import Filing  # noqa: E402
from getpower.grid.models import Asset  # noqa: E402
from tests.browser.conftest import login, logout  # noqa: E402
from tests.cockpit.conftest import NOW, evaluate_month  # noqa: E402
from tests.cockpit.ledgers import APPS, CASES, OUTAGES_2026, PAUSES  # noqa: E402
from tests.factories import import_text  # noqa: E402

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__xss=1">'
HEADER = ("event_id,company,asset_type,asset_id,start_time,end_time,kind,cause,exclusion,warning_ref,warning_issuer,"
          "warning_level,affected_tq\n")
# its own day and duration: the point stands apart on the timeline
HOSTILE_OUTAGE = HEADER + '"<img src=x onerror=""window.__xss=1"">",WHPG,tq,WH-T1,2026-11-10 08:00,2026-11-10 09:30,fault,,,,,,\n'
LOCAL = {"127.0.0.1", "localhost"}

# Every Content-Security-Policy violation, through the DOM event (an init script runs outside the policy)
WATCH_CSP = """document.addEventListener("securitypolicyviolation", e => {
  (window.__csp = window.__csp || []).push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});"""


@pytest.fixture
def site_live(transactional_db, live_server, monkeypatch, settings):
    from tests.factories import build_province

    monkeypatch.setattr(cockpit_services, "now", lambda: NOW)
    settings.GETPOWER_FILINGS_FIRST_MONTH = "2026-10"  # also seen by the live server thread
    province = build_province()
    import_text("outages", OUTAGES_2026, name="outages.csv")
    import_text("outages", HOSTILE_OUTAGE, name="hostile.csv")
    import_text("applications", APPS, name="apps.csv")
    import_text("application_pauses", PAUSES, name="pauses.csv")
    import_text("arrears_cases", CASES, name="cases.csv")
    evaluate_month("2026-10")
    evaluate_month("2026-11")
    filing_services.tick(dt.datetime(2026, 11, 15, 12, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    return province


class Watch:
    """Console errors, uncaught page errors and policy violations of one page."""

    def __init__(self, page: Page):
        self.page = page
        self.errors: list[str] = []
        page.add_init_script(WATCH_CSP)
        page.on("console", self.console)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("response", self.response)

    def console(self, message) -> None:
        # a failed load is reported (with its address) by response()
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {message.text}")

    def response(self, response) -> None:
        if response.status >= 400 and urlparse(response.url).path != "/favicon.ico":  # the browser's own guess
            self.errors.append(f"{response.status} {response.url}")

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__csp || []")

    def check(self, where: str) -> None:
        violations = self.violations()
        assert violations == [], (where, violations)
        assert self.errors == [], (where, self.errors)


@pytest.fixture
def ui(page: Page, site_live):
    page.set_default_timeout(15000)
    expect.set_options(timeout=15000)
    return page


def test_hostile_event_id_shows_as_text_in_the_timeline_tooltip(ui: Page, live_server):
    base = live_server.url
    watch = Watch(ui)
    login(ui, base, "regulator")
    unit = Asset.objects.get(asset_id="WH-T1")
    ui.goto(f"{base}/outages/units/{unit.pk}/?as_of=2026-11-25")
    ui.wait_for_selector("#timeline canvas", state="attached")
    expect(ui.locator("#decisions tbody td").filter(has_text=HOSTILE)).to_have_count(1)  # the table: escaped text

    # a real hover over the hostile event's point
    ui.locator("#timeline").scroll_into_view_if_needed()
    xy = ui.evaluate("""(hostile) => {
        const chart = echarts.getInstanceByDom(document.getElementById("timeline"));
        const series = chart.getOption().series;
        for (let s = 0; s < series.length; s++) {
            const point = series[s].data.find(d => d.e === hostile);
            if (point) return chart.convertToPixel({seriesIndex: s}, point.value);
        }
        return null;
    }""", HOSTILE)
    assert xy is not None, "the hostile event is not on the timeline"
    box = ui.locator("#timeline").bounding_box()
    tooltip = ui.locator("#timeline div").filter(has_text=HOSTILE).last
    for _ in range(5):  # the chart may still be settling under load: hover again until the tooltip shows
        ui.mouse.move(box["x"] + 5, box["y"] + 5)
        ui.mouse.move(box["x"] + xy[0], box["y"] + xy[1], steps=5)
        try:
            tooltip.wait_for(state="visible", timeout=3000)
            break
        except PlaywrightTimeoutError:
            continue
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("90 分钟")
    assert HOSTILE in tooltip.inner_text()
    expect(ui.locator("#timeline img")).to_have_count(0)
    ui.wait_for_timeout(300)  # an <img src=x> would have failed (and run its onerror) by now
    assert ui.evaluate("typeof window.__xss") == "undefined"
    watch.check("unit page")


def test_no_page_breaks_the_content_security_policy(ui: Page, live_server):
    base = live_server.url
    watch = Watch(ui)
    unit = Asset.objects.get(asset_id="WH-T1")
    filing = Filing.objects.filter(filer__org_code="WHPG", type_id="F3").order_by("pk").first()

    def visit(path: str, ready: str | None = None) -> None:
        response = ui.goto(base + path)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self';" in policy, (path, policy)  # only our own files: no inline script
        if ready:
            ui.wait_for_selector(ready, state="attached")
        ui.wait_for_load_state("networkidle")
        watch.check(path)

    login(ui, base, "regulator")
    watch.check("login")
    visit("/", "#map canvas")
    visit("/cockpit/?month=2026-11", "#map[data-ready='1'] canvas")
    visit("/cockpit/?month=2026-11&area=530100", "#map[data-ready='1'] canvas")
    visit("/cockpit/report/?month=2026-11", "#map svg")
    visit("/connections/", "#avg-chart canvas")
    visit("/outages/governance/", "#zero canvas")
    visit(f"/outages/units/{unit.pk}/", "#counts canvas")
    visit("/outages/findings/")
    visit("/arrears/")
    visit("/filings/")
    visit("/imports/")
    visit("/audit/")
    visit("/rulebook/")
    visit("/dictionary/")

    # the month picker (data-autosubmit, site.js) still submits without its old onchange=
    visit("/cockpit/?month=2026-11", "#map[data-ready='1'] canvas")
    ui.select_option("#month-form select[name=month]", "2026-10")
    ui.wait_for_url(re.compile(r".*month=2026-10.*"))
    ui.wait_for_selector("#map[data-ready='1'] canvas", state="attached")
    watch.check("cockpit month picker")
    visit("/calendar/")
    year = ui.locator("select[name=year] option:not([selected])").first.inner_text()
    ui.select_option("select[name=year]", year)
    ui.wait_for_url(re.compile(rf".*year={year}.*"))
    watch.check("calendar year picker")

    # the filer's page (its script copies the entries into the submission)
    logout(ui, base)
    login(ui, base, "whpg")
    visit(f"/filings/{filing.pk}/", "#entries-form")
    visit("/arrears/new/")

    # the Django admin runs under the same policy
    logout(ui, base)
    login(ui, base, "admin")
    visit("/admin/")
    visit("/admin/auth/user/")
    visit(f"/admin/auth/user/{site_live_user_pk('whpg')}/change/", "#user_form")
    visit("/admin/auth/group/add/", "#group_form")

    visit("/")
    logout(ui, base)
    visit("/public/")
    visit("/public/lookup/")
    visit("/login/")


def site_live_user_pk(username: str) -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username).pk


def test_api_docs_render_with_every_other_host_unreachable(page: Page, live_server):
    page.set_default_timeout(15000)
    expect.set_options(timeout=15000)
    watch = Watch(page)
    outside: list[str] = []

    def only_local(route):
        host = urlparse(route.request.url).hostname
        if host in LOCAL:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{live_server.url}/api/docs")
    operation = page.locator("#swagger-ui .opblock-summary-path", has_text=re.compile(r"^/api/me$"))
    expect(operation).to_be_visible()
    expect(page.locator("#swagger-ui .opblock-summary-path", has_text="/api/assets").first).to_be_visible()
    expect(page.locator("#swagger-ui")).to_contain_text("getpower API")
    page.wait_for_load_state("networkidle")
    assert outside == [], outside
    watch.check("/api/docs")
