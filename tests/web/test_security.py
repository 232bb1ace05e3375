"""Stored XSS and the Content-Security-Policy (docs/security.md): company text reaches pages only
escaped or inside json_script data, every response forbids inline script, and no page a user is
served carries an inline script or an on…= handler."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest
from django.test import override_settings

from getpower.cockpit import services as cockpit_services
from getpower.filings import services as filing_services
from getpower.filings.models import Filing
from getpower.grid.models import Asset
from tests.cockpit.conftest import NOW, evaluate_month
from tests.cockpit.ledgers import APPS, CASES, OUTAGES_2026, PAUSES
from tests.factories import build_province, import_text

HOSTILE = '<img src=x onerror="window.__xss=1">'
HOSTILE_OUTAGE = (
    "event_id,company,asset_type,asset_id,start_time,end_time,kind,cause,exclusion,warning_ref,warning_issuer,"
    "warning_level,affected_tq\n"
    '"<img src=x onerror=""window.__xss=1"">",WHPG,tq,WH-T1,2026-11-10 08:00,2026-11-10 09:30,fault,,,,,,\n'
)


class Scripts(HTMLParser):
    """Every <script> without src= that is not JSON data, every on…= / hx-on attribute, every
    javascript: URL of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inline: list[str] = []
        self.sources: list[str] = []
        self.data: dict[str, str] = {}
        self.handlers: list[str] = []
        self._json_id: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if (attributes.get("type") or "").lower() == "application/json":
                self._json_id = attributes.get("id") or ""
            elif attributes.get("src"):
                self.sources.append(attributes["src"])
            else:
                self.inline.append(self.get_starttag_text())
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.handlers.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data):
        if self._json_id is not None:
            self.data[self._json_id] = self.data.get(self._json_id, "") + data

    def handle_endtag(self, tag):
        if tag == "script":
            self._json_id = None


def parse(html: str) -> Scripts:
    parser = Scripts()
    parser.feed(html)
    parser.close()
    return parser


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_strict_policy(response) -> None:
    csp = directives(response)
    assert csp["script-src"] == ["'self'"], csp  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert not any("http" in source or source == "*" for sources in csp.values() for source in sources), csp


SITE_SETTINGS = {"GETPOWER_COCKPIT_CACHE_SECONDS": 0, "GETPOWER_FILINGS_FIRST_MONTH": "2026-10"}


def build_site():
    """The cockpit's two evaluated months, a hostile event id on WH-T1 and the filing periods opened."""
    with pytest.MonkeyPatch.context() as patch, override_settings(**SITE_SETTINGS):
        patch.setattr(cockpit_services, "now", lambda: NOW)
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


pytestmark = pytest.mark.shared_data(build=build_site)  # read by every test, built once


@pytest.fixture
def site(province, monkeypatch, settings):
    for name, value in SITE_SETTINGS.items():
        setattr(settings, name, value)
    monkeypatch.setattr(cockpit_services, "now", lambda: NOW)
    return province


def test_hostile_event_id_reaches_the_unit_page_only_escaped_or_as_json(site, client):
    client.force_login(site.users["regulator"])
    unit = Asset.objects.get(asset_id="WH-T1")
    response = client.get(f"/outages/units/{unit.pk}/?as_of=2026-11-25")
    assert response.status_code == 200
    html = response.content.decode()
    assert HOSTILE not in html and "<img" not in html
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in html  # the table cell, autoescaped
    page = parse(html)
    timeline = json.loads(page.data["timeline-data"])  # json_script: the chart gets the literal text
    assert [p["e"] for p in timeline if p["e"] == HOSTILE] == [HOSTILE]
    assert page.inline == [] and page.handlers == []
    assert_strict_policy(response)


def pages_of(province) -> dict[str, list[str]]:
    from getpower.arrears.models import ArrearsCase
    from getpower.connections.models import Application
    from getpower.outages.models import GovernanceItem

    unit = Asset.objects.get(asset_id="WH-T1")
    item = GovernanceItem.objects.filter(asset=unit).first()
    case = ArrearsCase.objects.order_by("pk").first()
    application = Application.objects.order_by("pk").first()
    filing = Filing.objects.filter(filer__org_code="WHPG", type_id="F3").order_by("pk").first()
    assert item and case and application and filing
    common = ["/", "/assets/", f"/assets/{unit.pk}/", "/outages/findings/", f"/outages/units/{unit.pk}/",
              "/outages/governance/", f"/outages/governance/{item.pk}/", "/outages/exclusions/", "/outages/records/",
              "/outages/f3/", "/connections/", f"/connections/applications/{application.pk}/",
              "/connections/zero-scope/", "/connections/f1/", "/arrears/", f"/arrears/{case.pk}/", "/arrears/f2/",
              "/filings/", f"/filings/{filing.pk}/", "/inbox/", "/imports/", "/calendar/", "/rulebook/",
              "/dictionary/"]
    return {
        "regulator": [*common, "/cockpit/?month=2026-11", "/cockpit/?month=2026-11&area=530100",
                      "/cockpit/report/?month=2026-11", "/audit/"],
        "admin": [*common, "/cockpit/?month=2026-11", "/audit/", "/admin/", "/admin/auth/user/",
                  f"/admin/auth/user/{province.users['whpg'].pk}/change/", "/admin/auth/group/add/"],
        "whpg": ["/", f"/outages/units/{unit.pk}/", f"/outages/governance/{item.pk}/", "/connections/",
                 "/arrears/", "/arrears/new/", "/filings/", f"/filings/{filing.pk}/", "/inbox/", "/imports/"],
        None: ["/login/", "/public/", "/public/lookup/", "/public/outages/WHPG/", "/api/docs"],
    }


def test_no_page_served_to_users_has_an_inline_script_and_all_carry_the_policy(site, client):
    sources = set()
    for username, urls in pages_of(site).items():
        client.logout()
        if username:
            client.force_login(site.users[username])
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (username, url, response.status_code)
            page = parse(response.content.decode())
            assert page.inline == [], (username, url, page.inline)
            assert page.handlers == [], (username, url, page.handlers)
            assert_strict_policy(response)
            sources.update(page.sources)
    # every page whose script moved out of its template was among them, with its script
    ours = {f"/static/js/{name}.js" for name in ("site", "home", "imports", "filing-detail", "connections-overview",
                                                  "cockpit", "cockpit-report", "outage-unit", "governance-list")}
    assert ours <= sources, ours - sources
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources  # same origin only


def test_policy_on_errors_redirects_and_api(site, client):
    for url, status in [("/outages/findings/", 302), ("/no-such-page/", 404), ("/api/me", 401),
                        ("/api/openapi.json", 200), ("/healthz", 200)]:
        response = client.get(url)
        assert response.status_code == status, url
        assert_strict_policy(response)


def test_api_docs_use_the_local_swagger_ui(client):
    html = client.get("/api/docs").content.decode()
    assert "cdn" not in html.lower() and "https://" not in html and "http://" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in sources and "/static/ninja/swagger-ui-init.js" in sources
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources  # same origin only
    assert parse(html).inline == []
