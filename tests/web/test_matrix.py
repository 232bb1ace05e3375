"""The jurisdiction matrix (issue 12, build 5; figures in docs/security.md).

Every URL pattern of the site (``get_resolver()``, walked recursively) and every operation of the API's
OpenAPI document is in one of two tables below, ``PAGES`` and ``OPERATIONS``, saying how the matrix
exercises it:

- ``Obj``: the route names an object (``<int:pk>``, a token prefix, a filing version…): for every role it
  is asked for one object of each organisation and county (``tests/web/world.py``); one the role may not
  see must be 404 or 403, one it may see 200. Writes (``method="POST"``) are sent only for objects the role
  may not see, and the object must be unchanged afterwards;
- ``Listing``: no object, a list of the role's jurisdiction: asked for plainly and with every area filter
  (``?company=``, ``?county=``, ``?prefecture=``, ``?region=``, ``?area=``) naming another organisation
  and region, and as an export: the answer is 200, 400, 403 or 404, never 500, and never contains the
  data of an organisation the role may not see (ids, names, communities, links to its objects);
- ``Write``: no object in the URL, the request body names another organisation's data (an upload, a
  form, JSON rows): nothing may change;
- ``Own``: the role's own things only (inbox, its organisation's tokens); checked like a ``Listing``;
- ``Public``: open to everyone by design (login page, public disclosure, health check, API schema);
  ``Reference``: the same for every signed-in role (calendar, rulebook, data dictionary, templates);
  ``AdminOnly``: the platform administrator's (the Django admin: every pattern under ``admin/``).

Who may see what is written here independently of ``getpower.core.scope`` (``READERS``): a test that
reused the code under test as its oracle would agree with any bug in it.

``test_every_route_is_in_the_matrix`` fails when a page or an operation appears that the tables do not
name (or one they name is gone): add it to the table with the way to obtain a foreign object.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.web.world import COUNTY, MARKERS, NOW, Thing, World, build_world

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data(build=build_world)]


# -- who sees what (the oracle) ---------------------------------------------------------------------

@dataclass(frozen=True)
class Reader:
    role: str
    username: str | None  # None: the public (not signed in)
    org: str | None = None
    everything: bool = False
    region: str | None = None  # an authority's region prefix
    orgs: frozenset = frozenset()  # a supply company's own organisation and those under it

    @property
    def signed_in(self) -> bool:
        return self.username is not None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def regulator_side(self) -> bool:
        return self.everything or self.region is not None

    @property
    def supplier(self) -> bool:
        return bool(self.orgs)

    def sees(self, org: str | None, county: str | None) -> bool:
        if self.everything:
            return True
        if self.region is not None:
            return bool(county) and county.startswith(self.region)
        return org in self.orgs


READERS = [
    Reader("admin", "admin", everything=True),
    Reader("regulator", "regulator", "REG", everything=True),
    Reader("provincial_bureau", "bureau", "PEB", everything=True),
    Reader("prefecture_authority", "km_authority", "KM-EA", region="5301"),
    Reader("county_authority", "wh_authority", "WH-EA", region="530102"),
    Reader("grid_company", "ynpg", "YNPG", orgs=frozenset({"YNPG", "KMPG", "WHPG", "PLPG"})),
    Reader("prefecture_bureau", "kmpg", "KMPG", orgs=frozenset({"KMPG", "WHPG", "PLPG"})),
    Reader("county_bureau", "whpg", "WHPG", orgs=frozenset({"WHPG"})),
    Reader("other_company", "bsdl", "BSDL", orgs=frozenset({"BSDL"})),
    Reader("public", None),
]
ROLE_IDS = [r.role for r in READERS]


def sees_thing(reader: Reader, thing: Thing) -> bool:
    return reader.sees(thing.org, thing.county)


def sees_filing(reader: Reader, thing: Thing) -> bool:
    """Filings: the filer's jurisdiction, and an authority also sees those addressed to it."""
    return sees_thing(reader, thing) or (reader.region is not None and thing.extra["recipient"] == reader.org)


def sees_import_job(reader: Reader, thing: Thing) -> bool:
    """Import records: the administrator all; anyone their own; a company those of its organisations."""
    return reader.is_admin or thing.extra["user"] == reader.username or (reader.supplier and thing.org in reader.orgs)


def sees_job(reader: Reader, thing: Thing) -> bool:
    """Background jobs: the province-wide roles all; anyone their own; an authority those of the
    organisations in its region; a company those of its organisations; everyone the platform's evaluations."""
    if reader.everything or thing.extra["user"] == reader.username:
        return True
    if thing.org is None:
        return thing.extra["kind"] == "evaluate" and reader.signed_in
    return sees_thing(reader, thing)


def own_organisation(reader: Reader, thing: Thing) -> bool:
    return thing.org == reader.org


def foreign_orgs(reader: Reader) -> list[str]:
    """Supply companies whose data the reader may not see (for a province-wide reader: one to ask for)."""
    orgs = [org for org in MARKERS if not reader.sees(org, COUNTY[org])]
    return orgs or ["BSDL"]


# -- the tables ---------------------------------------------------------------------------------------

# the roles that open a visible object whose page evaluates the rules for it (an application's checks, a
# unit's timeline: about a second each); every role still asks for the foreign ones
FEW = frozenset({"regulator", "county_authority", "county_bureau"})


@dataclass
class Obj:
    """A route naming an object of ``kind``: ``kwargs(thing)`` fills the URL."""

    kind: str
    kwargs: Callable[[Thing], dict] = lambda t: {"pk": t.pk}
    sees: Callable[[Reader, Thing], bool] = sees_thing
    method: str = "GET"
    data: Callable[[Thing], dict] | None = None
    snapshot: Callable[[Thing], Any] | None = None  # writes: the object's state, unchanged by a refused write
    only: Callable[[Thing], bool] = lambda t: True  # which objects the route serves (a filing with versions…)
    links: bool = True  # a page naming a foreign object's URL (of a GET route) leaks it
    probe: frozenset | None = None  # roles that also open a visible object (None: all; costly pages: a few)


@dataclass
class Listing:
    """A list of the reader's jurisdiction. ``who``: the roles it serves (others get 403)."""

    who: str = "all"  # all | regulator_side | supplier
    filters: tuple[str, ...] = ("company", "county", "prefecture")
    params: dict = field(default_factory=dict)  # always sent (a month with data…)
    views: tuple[dict, ...] = ()  # more variants of the list itself (?view=inbox…), each also asked for
    export: bool = False  # also ?export=csv and ?export=xlsx


@dataclass
class Write:
    """No object in the URL; the body names another organisation's data."""

    who: str
    send: Callable  # (client, reader, world, target org) -> response
    snapshot: Callable  # (target org) -> state that must not change


@dataclass
class Own:
    note: str


@dataclass
class Public:
    note: str
    kwargs: Callable[[World], list[dict]] | None = None


@dataclass
class Reference:
    note: str
    kwargs: Callable[[World], list[dict]] | None = None
    admin_post: dict | None = None  # a POST only the administrator may make (others: 403, nothing changes)
    admin_snapshot: Callable | None = None


@dataclass
class AdminOnly:
    note: str


def governance_events(thing):
    from getpower.outages.models import GovernanceEvent, GovernanceItem

    item = GovernanceItem.objects.get(pk=thing.pk)
    return item.status, GovernanceEvent.objects.filter(item_id=thing.pk).count()


def case_messages(thing):
    from getpower.arrears.models import CaseMessage

    return CaseMessage.objects.filter(case_id=thing.pk).count()


def filing_state(thing):
    from getpower.filings.models import Filing

    f = Filing.objects.get(pk=thing.pk)
    return f.status, f.entries, f.versions.count(), f.events.count()


def token_state(thing):
    from getpower.core.models import ApiToken

    return ApiToken.objects.get(prefix=thing.pk).revoked_at


def has_versions(thing) -> bool:
    return bool(thing.extra.get("versions"))


# the rows another organisation's system could send, per ledger: (JSON rows, the state they would change)
TARGETS = {
    "WHPG": {"asset": ("WH-T1", "WH-L1", "530102", 400), "app": "APP-WH-02"},
    "PLPG": {"asset": ("PL-T1", "PL-L1", "530103", 400), "app": "APP-PL-01"},
    "BSDL": {"asset": ("BS-T1", "BS-L1", "530502", 200), "app": "APP-BS-01"},
}


def foreign_rows(ledger: str, org: str) -> list[dict]:
    asset, line, county, kva = TARGETS[org]["asset"]
    return {
        "organisations": [{"org_code": "EVIL", "name": "伪造单位", "kind": "supplier", "level": "county",
                           "region_code": county, "parent_code": org}],
        "assets": [{"asset_id": asset, "asset_type": "tq", "name": "改名", "company": org, "county_code": county,
                    "line_id": line, "rated_kva": kva, "users": 1}],
        "outages": [{"event_id": "EV-EVIL", "company": org, "asset_type": "tq", "asset_id": asset,
                     "start_time": "2026-11-01 08:00", "end_time": "2026-11-01 09:00", "kind": "fault"}],
        "applications": [{"app_id": "APP-EVIL", "company": org, "county_code": county, "customer_kind": "resident",
                          "voltage_kv": 0.22, "capacity_kw": 8, "applied_at": "2026-11-01 09:00"}],
        "application_pauses": [{"app_id": TARGETS[org]["app"], "pause_start": "2026-11-02 09:00",
                                "pause_end": "2026-11-03 09:00", "reason": "伪造中止"}],
        "arrears_cases": [{"case_id": "AR-EVIL", "company": org, "county_code": county, "community": "伪造小区",
                           "households": 10, "arrears_yuan": 100, "bill_due_date": "2026-10-01",
                           "demand_at": "2026-10-02 09:00", "notice_served_at": "2026-10-05 09:00",
                           "planned_cut_at": "2026-10-10 09:00"}],
    }[ledger]


def ledger_state(ledger: str, org: str):
    from getpower.arrears.models import ArrearsCase
    from getpower.connections.models import Application, ApplicationPause
    from getpower.core.models import Organisation
    from getpower.grid.models import Asset
    from getpower.outages.models import Outage

    asset = TARGETS[org]["asset"][0]
    return {
        "organisations": lambda: Organisation.objects.filter(org_code="EVIL").exists(),
        "assets": lambda: list(Asset.objects.filter(asset_id=asset).values_list("name", "users")),
        "outages": lambda: Outage.objects.filter(event_id="EV-EVIL").exists(),
        "applications": lambda: Application.objects.filter(app_id="APP-EVIL").exists(),
        "application_pauses": lambda: ApplicationPause.objects.count(),
        "arrears_cases": lambda: ArrearsCase.objects.filter(case_id="AR-EVIL").exists(),
    }[ledger]()


def as_csv(rows: list[dict]) -> bytes:
    codes = list(rows[0])
    lines = [",".join(codes)] + [",".join(str(r.get(c, "")) for c in codes) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def upload_page(client, reader, world, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/imports/", {"ledger": "assets",
                                     "file": SimpleUploadedFile("x.csv", as_csv(foreign_rows("assets", org)))})


def file_case_form(client, reader, world, org):
    county = TARGETS[org]["asset"][2]
    return client.post("/arrears/new/", {
        "company": org, "county_code": county, "case_id": "AR-EVIL", "community": "伪造小区", "households": "10",
        "arrears_yuan": "100", "bill_due_date": "2026-10-01", "demand_at": "2026-10-02T09:00",
        "notice_served_at": "2026-10-05T09:00", "planned_cut_at": "2026-10-10T09:00", "authority_level": "county"})


PAGES: dict[str, Any] = {
    "login": Public("the login page"),
    "logout": Own("ends the reader's own session (POST; GET is 405)"),
    "home": Listing(filters=()),
    "assets": Listing(export=True),
    "assets-export": Listing(),
    "asset": Obj("asset"),
    "imports": Write("all", upload_page, lambda org: ledger_state("assets", org)),
    "import-job": Obj("import_job", sees=sees_import_job, links=False),
    "ledger-template": Reference("a ledger's blank template",
                                 kwargs=lambda w: [{"name": name} for name in LEDGERS]),
    "dictionary": Reference("the data dictionary (also without login)"),
    "calendar": Reference("the working-day calendar", admin_post={"action": "region_day", "region": "530102",
                                                                   "date": "2026-12-01", "name": "伪造假日"},
                          admin_snapshot=lambda: region_rest_days()),
    "rulebook": Reference("the rule parameters", admin_post={"min_minutes": "9", "effective_from": "2027-01-01",
                                                              "reason": "伪造"},
                          admin_snapshot=lambda: rulebook_versions()),
    "audit": Listing(who="regulator_side", filters=("company", "county", "prefecture", "object_id")),
    "account-tokens": Own("the reader's own organisation's API tokens (no other organisation's prefix)"),
    "account-token-revoke": Obj("token", kwargs=lambda t: {"prefix": t.pk}, sees=own_organisation, method="POST",
                                snapshot=token_state, links=False),
    "healthz": Public("the health check"),
    "favicon": Public("the icon"),
    "jobs:list": Listing(filters=("kind", "status")),
    "jobs:freshness": Own("the freshness line of the reader's page (rule names only)"),
    "jobs:detail": Obj("job", sees=sees_job, links=False),
    "outage-findings": Listing(export=True),
    "outage-unit": Obj("asset", probe=FEW),
    "governance": Listing(export=True),
    "governance-item": Obj("governance"),
    "governance-transition": Obj("governance", method="POST", snapshot=governance_events,
                                 data=lambda t: {"transition": "file_plan", "measures": "伪造措施",
                                                 "planned_completion": "2026-12-31"}),
    "governance-attachment": Obj("attachment", kwargs=lambda t: {"event_pk": t.pk}),
    "outage-exclusions": Listing(who="regulator_side"),
    "outage-records": Listing(export=True),
    "outage-f3": Listing(params={"period": "2026-10"}),
    "arrears": Listing(export=True, views=({"view": "inbox"}, {"view": "unacknowledged"}, {"view": "violations"})),
    "arrears-new": Write("supplier", file_case_form, lambda org: ledger_state("arrears_cases", org)),
    "arrears-f2": Listing(params={"period": "2026-09"}),
    "arrears-case": Obj("case"),
    "arrears-message": Obj("case", method="POST", snapshot=case_messages,
                           data=lambda t: {"kind": "question", "text": "伪造询问"}),
    "arrears-notice": Obj("case"),
    "connections": Listing(export=True),
    "connections-late": Listing(export=True, params={"status": "overdue"}),
    "connections-application": Obj("application", probe=FEW),
    "connections-zero": Listing(),
    "connections-f1": Listing(params={"period": "2026-10"}),
    "cockpit": Listing(who="regulator_side", filters=("area",), params={"month": "2026-11"}),
    "cockpit-report": Listing(who="regulator_side", filters=("region",), params={"month": "2026-11"}),
    "cockpit-report-xlsx": Listing(who="regulator_side", filters=("region",), params={"month": "2026-11"}),
    "filings": Listing(filters=("company", "county", "prefecture", "type")),
    "filings-summary": Listing(who="regulator_side", params={"month": "2026-11"}),
    "filing": Obj("filing", sees=sees_filing),
    "filing-act": Obj("filing", sees=sees_filing, method="POST", snapshot=filing_state,
                      data=lambda t: {"action": "edit", "remarks": "伪造说明"}),
    "filing-version": Obj("filing", sees=sees_filing, only=has_versions,
                          kwargs=lambda t: {"pk": t.pk, "number": t.extra["versions"][-1]}),
    "inbox": Own("the reader's own notifications"),
    "public-lookup": Public("the applicant's lookup (application number and phone digits)"),
    "public": Public("public disclosure"),
    "public-outages": Public("public disclosure of one company (404 for an organisation that is not one)",
                             kwargs=lambda w: [{"org_code": t.pk} for t in w.of("organisation")]),
    "api-1:api-root": Public("the API's root"),
    "api-1:openapi-json": Public("the OpenAPI document"),
    "api-1:openapi-view": Public("Swagger UI"),
    "admin:*": AdminOnly("the Django admin: every pattern, GET and POST, for every other role"),
}


def others_notifications(reader: Reader):
    from getpower.filings.models import Notification

    return sorted(Notification.objects.exclude(user__username=reader.username).values_list("pk", "read_at"))


def others_tokens(reader: Reader):
    from getpower.core.models import ApiToken

    return sorted(ApiToken.objects.exclude(organisation__org_code=reader.org).values_list("pk", "revoked_at"))


# an own page that takes a POST (the inbox: mark one's messages read) must leave other users' things as
# they were (the token page's POST, creating one of one's organisation, is checked with its page)
OWN_WRITES = {"inbox": others_notifications}

LEDGERS = ("organisations", "assets", "outages", "applications", "application_pauses", "arrears_cases")


def region_rest_days():
    from getpower.workdays.models import RegionRestDay

    return RegionRestDay.objects.count()


def rulebook_versions():
    from getpower.rulebook.models import RulebookVersion

    return RulebookVersion.objects.count()


# -- API operations (operation ids of /api/openapi.json) ----------------------------------------------

@dataclass
class ApiObj:
    kind: str
    path: Callable[[Thing], str]
    sees: Callable[[Reader, Thing], bool] = sees_thing
    only: Callable[[Thing], bool] = lambda t: True
    probe: frozenset | None = None


@dataclass
class ApiList:
    path: str
    owner: Callable[[dict, World], Thing]  # an item of the answer → the object it is
    filters: tuple[str, ...] = ()
    sees: Callable[[Reader, Thing], bool] = sees_thing


@dataclass
class ApiImport:
    ledger: str
    file: bool = False


def item_thing(item: dict, world: World) -> Thing:
    return Thing("item", None, item["company"], item.get("county_code"))


def filing_thing(item: dict, world: World) -> Thing:
    return next(t for t in world.of("filing") if t.pk == item["pk"])


OPERATIONS: dict[str, Any] = {
    "getpower_api_me": Own("the caller's own organisation"),
    "getpower_api_list_ledgers": Reference("the ledgers' declarations"),
    "getpower_api_workdays": Reference("working days between two moments (the calendar is public reference)"),
    "getpower_api_rulebook": Reference("the rule parameters in force"),
    "getpower_api_import_job": ApiObj("import_job", lambda t: f"/api/imports/{t.pk}", sees=sees_import_job),
    "getpower_api_assets": ApiList("/api/assets?limit=1000", item_thing, filters=("company", "county_code")),
    "getpower_api_asset": ApiObj("asset", lambda t: f"/api/assets/{t.pk}"),
    "getpower_api_outage_findings": ApiList("/api/outages/findings?limit=1000", item_thing),
    "getpower_api_arrears_cases": ApiList("/api/arrears/cases?limit=1000", item_thing),
    "getpower_api_arrears_case": ApiObj("case", lambda t: f"/api/arrears/cases/{t.pk}"),
    "getpower_api_application": ApiObj("application", lambda t: f"/api/connections/applications/{t.pk}",
                                       probe=FEW),
    "getpower_api_filings": ApiList("/api/filings?limit=1000", filing_thing, filters=("type",), sees=sees_filing),
    "getpower_api_filing_version": ApiObj("filing", lambda t: f"/api/filings/{t.pk}/versions/{t.extra['versions'][-1]}",
                                          sees=sees_filing, only=has_versions),
    **{f"import_rows_{ledger}": ApiImport(ledger) for ledger in LEDGERS},
    **{f"import_file_{ledger}": ApiImport(ledger, file=True) for ledger in LEDGERS},
}


# -- walking the routes -------------------------------------------------------------------------------

@dataclass
class Route:
    key: str  # the table key: namespace:name, or the pattern itself when unnamed
    pattern: str
    namespaces: tuple[str, ...]


def walk(resolver=None, prefix: str = "", namespaces: tuple[str, ...] = ()):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from walk(p, prefix + str(p.pattern), namespaces + ((p.namespace,) if p.namespace else ()))
        elif isinstance(p, URLPattern):
            qualified = ":".join([*namespaces, p.name]) if p.name else None
            yield Route(qualified or prefix + str(p.pattern), prefix + str(p.pattern), namespaces)


def page_key(route: Route) -> str | None:
    """The table key of a route; None for an API operation's route (the OPERATIONS table covers it)."""
    if route.namespaces[:1] == ("admin",):
        return "admin:*"
    if route.namespaces[:1] and route.namespaces[0].startswith("api-") and route.key not in PAGES:
        return None
    return route.key


def openapi() -> dict:
    from getpower.api import api

    return api.get_openapi_schema()


def operation_ids() -> dict[str, tuple[str, str]]:
    return {op["operationId"]: (method, path) for path, ops in openapi()["paths"].items() for method, op in ops.items()}


def test_every_route_is_in_the_matrix():
    routes = list(walk())
    keys = {page_key(r) for r in routes} - {None}
    assert keys == set(PAGES), (
        f"pages not in the jurisdiction matrix (add them to PAGES): {sorted(keys - set(PAGES))}; "
        f"in PAGES but gone: {sorted(set(PAGES) - keys)}")
    ops = operation_ids()
    assert set(ops) == set(OPERATIONS), (
        f"API operations not in the jurisdiction matrix (add them to OPERATIONS): {sorted(set(ops) - set(OPERATIONS))}; "
        f"in OPERATIONS but gone: {sorted(set(OPERATIONS) - set(ops))}")
    # every API route left to OPERATIONS is an operation of the document
    documented = {path.replace("{", "<").replace("}", ">") for path in openapi()["paths"]}
    for r in routes:
        if page_key(r) is None:
            assert "/" + r.pattern in documented, r.pattern


# -- making the requests ------------------------------------------------------------------------------

def body_text(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if data[:4] == b"PK\x03\x04":  # an xlsx: its XML parts (shared strings, sheets)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return data.decode("utf-8", "replace")


@dataclass
class Tally:
    reader: Reader
    requests: int = 0
    problems: list = field(default_factory=list)
    leaks: int = 0
    errors: int = 0
    statuses: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)  # requests by what they try (docs/security.md)

    def count(self, kind: str, response) -> None:
        self.requests += 1
        self.kinds[kind] += 1
        self.statuses[response.status_code] += 1

    def problem(self, kind: str, text: str) -> None:
        if kind == "leak":
            self.leaks += 1
        elif kind == "error":
            self.errors += 1
        self.problems.append(f"[{self.reader.role}] {kind}: {text}")


def login_redirect(response) -> bool:
    return response.status_code == 302 and "/login/" in response.get("Location", "")


class Session:
    """A reader's client: session login for pages (and the administrator's API calls), the
    organisation's API token for everyone else's API calls."""

    def __init__(self, reader: Reader, world: World, tally: Tally):
        self.reader, self.world, self.tally = reader, world, tally
        self.client = Client()
        if reader.signed_in:
            self.client.force_login(world.users[reader.username])
        self.api_headers = {}
        if reader.org:
            self.api_headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[reader.org]}"}
        self.api_client = self.client if reader.is_admin else Client()

    def page(self, method: str, url: str, data=None, *, kind: str):
        response = getattr(self.client, method.lower())(url, data or {})
        self.tally.count(kind, response)
        return response

    def api(self, method: str, url: str, *, kind: str, **kwargs):
        response = getattr(self.api_client, method.lower())(url, **self.api_headers, **kwargs)
        self.tally.count(kind, response)
        return response


def foreign_markers(reader: Reader, world: World) -> list[str]:
    """What must not appear in any answer to the reader: the data of organisations it may not see and
    the URLs of objects it may not open."""
    if reader.everything:
        return []
    markers = [m for org, ms in MARKERS.items() if not reader.sees(org, COUNTY[org]) for m in ms]
    for name, spec in PAGES.items():
        if isinstance(spec, Obj) and spec.method == "GET" and spec.links:
            for thing in world.of(spec.kind):
                if spec.only(thing) and not spec.sees(reader, thing):
                    markers.append(f'"{reverse(name, kwargs=spec.kwargs(thing))}"')
    return markers


def check_content(tally: Tally, label: str, response, markers: list[str]) -> None:
    if response.status_code != 200 or not markers:
        return
    text = body_text(response)
    found = [m for m in markers if m in text]
    if found:
        tally.problem("leak", f"{label} shows data the reader may not see: {found[:5]}")


def representatives(things: list[Thing], reader: Reader, spec) -> list[Thing]:
    """Of the objects the reader may not see, one per owner, county, addressee and author (every
    organisation and region met); of those it may see, one (the route works: a 404 for everything
    would prove nothing) — for the roles of ``spec.probe`` only when the page is costly to build."""
    seen, out = set(), []
    probe = spec.probe is None or reader.role in spec.probe
    # a frozen filing first: a draft's page produces its ledger (a second or so), a frozen one does not
    for t in sorted((t for t in things if spec.only(t)), key=lambda t: not t.extra.get("versions")):
        visible = spec.sees(reader, t)
        if visible and not probe:
            continue
        key = True if visible else (t.org, t.county, t.extra.get("recipient"), t.extra.get("user"))
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def expect(tally: Tally, label: str, response, allowed: set[int]) -> bool:
    code = response.status_code
    if code >= 500:
        tally.problem("error", f"{label} → {code}")
        return False
    if not tally.reader.signed_in and not label.startswith("API") and login_redirect(response):
        return True
    if code not in allowed:
        kind = "leak" if code == 200 else "unexpected"
        tally.problem(kind, f"{label} → {code} (expected {sorted(allowed)})")
        return False
    return True


def role_allows(who: str, reader: Reader) -> bool:
    return {"all": True, "regulator_side": reader.regulator_side, "supplier": reader.supplier,
            "admin": reader.is_admin}[who]


def filter_values(reader: Reader, name: str) -> list[str]:
    orgs = foreign_orgs(reader)
    counties = [COUNTY[o] for o in orgs]
    return {
        "company": orgs,
        "county": counties,
        "county_code": counties,
        "prefecture": sorted({c[:4] + "00" for c in counties}),
        "region": sorted({c[:4] + "00" for c in counties}) + counties,
        "area": sorted({c[:4] + "00" for c in counties}) + counties,
        "object_id": [MARKERS[o][0].split("-")[0] + "-" for o in orgs],  # a search term, not a marker itself
        "type": ["F1", "F2", "F3"],
        "kind": ["import", "evaluate"],
        "status": ["failed", "succeeded"],
    }[name]


def reverse(name: str, kwargs: dict | None = None) -> str:
    """The URL of a table key (an unnamed pattern is its own key: ``healthz``)."""
    from django.urls import NoReverseMatch
    from django.urls import reverse as django_reverse

    try:
        return django_reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        if kwargs:
            raise
        return "/" + name


def run_pages(session: Session, world: World) -> None:
    reader, tally = session.reader, session.tally
    markers = foreign_markers(reader, world)
    for name, spec in PAGES.items():
        if isinstance(spec, Obj):
            for thing in representatives(world.of(spec.kind), reader, spec):
                url = reverse(name, kwargs=spec.kwargs(thing))
                visible = spec.sees(reader, thing)
                label = f"{spec.method} {url} ({name}, {thing.org or 'platform'} {thing.county or ''})"
                if spec.method == "GET":
                    response = session.page("GET", url, kind="object: visible" if visible else "object: foreign")
                    if expect(tally, label, response, {200} if visible and reader.signed_in else {403, 404}):
                        check_content(tally, label, response, markers)
                elif not visible:
                    before = spec.snapshot(thing)
                    response = session.page("POST", url, spec.data(thing) if spec.data else {},
                                            kind="write: foreign object")
                    expect(tally, label, response, {403, 404})
                    if spec.snapshot(thing) != before:
                        tally.problem("leak", f"{label} changed another organisation's object")
        elif isinstance(spec, Listing):
            url = reverse(name)
            allowed = {200} if role_allows(spec.who, reader) else {403}
            variants = [dict(spec.params)] + [{**spec.params, **v} for v in spec.views]
            for f in spec.filters:
                # a province-wide reader has no foreign data: one value per filter (server errors only)
                values = filter_values(reader, f)[:1 if reader.everything else None]
                variants += [{**spec.params, f: v} for v in values]
            if spec.export:
                variants += [{**spec.params, "export": fmt} for fmt in ("csv", "xlsx")]
            for params in variants:
                label = f"GET {url}?{params} ({name})"
                response = session.page("GET", url, params, kind="list, filter, export")
                ok = allowed if params == spec.params or any(params == {**spec.params, **v} for v in spec.views) \
                    else allowed | {400, 404}
                if expect(tally, label, response, ok):
                    check_content(tally, label, response, markers)
        elif isinstance(spec, Own):
            if name == "logout":
                response = session.page("GET", reverse(name), kind="own")
                expect(tally, f"GET {name}", response, {405})
                continue
            if name == "account-tokens":
                own = [t.pk for t in world.of("token") if t.org != reader.org]
                response = session.page("GET", reverse(name), kind="own")
                # the administrator manages tokens in the Django admin (or `getpower token`), not here
                if expect(tally, f"GET {name}", response, {403} if reader.is_admin else {200}):
                    check_content(tally, f"GET {name}", response, own)
                others = others_tokens(reader)
                response = session.page("POST", reverse(name), {"name": "矩阵", "days": "30"}, kind="write: own")
                expect(tally, f"POST {name}", response, {403} if reader.is_admin else {200})
                if others_tokens(reader) != others:
                    tally.problem("leak", f"POST {name} changed another organisation's tokens")
                continue
            params = {"rules": "R2,R3,R4"} if name == "jobs:freshness" else {}
            response = session.page("GET", reverse(name), params, kind="own")
            if expect(tally, f"GET {name}", response, {200}):
                check_content(tally, f"GET {name}", response, markers)
            if name in OWN_WRITES:
                others = OWN_WRITES[name](reader)
                response = session.page("POST", reverse(name), kind="write: own")
                expect(tally, f"POST {name}", response, {302})
                if OWN_WRITES[name](reader) != others:
                    tally.problem("leak", f"POST {name} changed what belongs to other users or organisations")
        elif isinstance(spec, Write):
            target = foreign_orgs(reader)[0]
            before = spec.snapshot(target)
            response = spec.send(session.client, reader, world, target)
            tally.count("write: foreign data", response)
            allowed = {200, 302} if role_allows(spec.who, reader) else {403}
            expect(tally, f"POST {name} ({target}'s data)", response, allowed)
            if spec.snapshot(target) != before and not reader.is_admin:
                tally.problem("leak", f"POST {name} wrote {target}'s data")
        elif isinstance(spec, (Public, Reference)):
            for kwargs in (spec.kwargs(world) if spec.kwargs else [{}]):
                url = reverse(name, kwargs=kwargs)
                response = session.page("GET", url, kind="public, reference")
                allowed = {200, 301, 302, 404} if isinstance(spec, Public) else {200}
                expect(tally, f"GET {url} ({name})", response, allowed)
            if isinstance(spec, Reference) and spec.admin_post and not reader.is_admin:
                before = spec.admin_snapshot()
                response = session.page("POST", reverse(name), spec.admin_post, kind="write: administrator's")
                expect(tally, f"POST {name} (administrator's)", response, {403})
                if spec.admin_snapshot() != before:
                    tally.problem("leak", f"POST {name} changed what only the administrator may")
        elif isinstance(spec, AdminOnly):
            run_admin(session, world)


def run_admin(session: Session, world: World) -> None:
    """Every pattern under admin/ (an object id where one is taken); only the administrator gets in."""
    from django.contrib.auth.models import User

    reader, tally = session.reader, session.tally
    victim = world.users["whpg"].pk
    if reader.is_admin:  # its own site, every page of it allowed: the index shows it gets in
        expect(tally, "GET /admin/", session.page("GET", "/admin/", kind="administrator only"), {200})
        return
    for route in walk():
        if route.namespaces[:1] != ("admin",):
            continue
        url = "/" + route.pattern.replace("<path:object_id>", str(victim)).replace("<str:object_id>", str(victim))
        if "<" in url or "(?P" in url:
            url = url.split("<")[0].split("(?P")[0] + "auth/user/"  # app_list, catch-all: one real page
        url = url.replace("^", "").replace("$", "")
        response = session.page("GET", url, kind="administrator only")
        if route.key in ("admin:login", "admin:logout"):  # open to everyone; never logs the reader out (GET)
            expect(tally, f"GET {url}", response, {200, 302, 405})
        elif not (response.status_code == 302 and "/admin/login/" in response["Location"]):
            tally.problem("leak", f"GET {url} → {response.status_code} for a non-administrator")
    before = User.objects.get(pk=victim).is_superuser
    response = session.page("POST", f"/admin/auth/user/{victim}/change/",
                            {"username": "whpg", "is_superuser": "on", "is_staff": "on"}, kind="write: administrator's")
    if User.objects.get(pk=victim).is_superuser != before or response.status_code == 200:
        tally.problem("leak", "POST to the Django admin was accepted from a non-administrator")


def run_api(session: Session, world: World) -> None:
    reader, tally = session.reader, session.tally
    if reader.org:  # a token acts as its organisation's service account
        reader = replace(reader, username=f"svc_{reader.org}")
    ops = operation_ids()
    for op_id, spec in OPERATIONS.items():
        method, path = ops[op_id]
        if not reader.signed_in:  # the public: every operation wants a token
            url = path.replace("{job_id}", "1").replace("{pk}", "1").replace("{number}", "1")
            response = session.api(method.upper(), url, kind="API: no token")
            expect(tally, f"API {method.upper()} {url}", response, {401})
            continue
        if isinstance(spec, ApiObj):
            for thing in representatives(world.of(spec.kind), reader, spec):
                url = spec.path(thing)
                visible = spec.sees(reader, thing)
                response = session.api("GET", url, kind="API object: visible" if visible else "API object: foreign")
                expect(tally, f"API GET {url} ({thing.org})", response, {200} if visible else {403, 404})
        elif isinstance(spec, ApiList):
            variants = [""] + [f"&{f}={v}" for f in spec.filters for v in filter_values(reader, f)]
            for extra in variants:
                url = spec.path + extra
                response = session.api("GET", url, kind="API list, filter")
                if expect(tally, f"API GET {url}", response, {200}):
                    outside = [i for i in response.json()["items"] if not spec.sees(reader, spec.owner(i, world))]
                    if outside:
                        tally.problem("leak", f"API GET {url} lists {len(outside)} items outside the jurisdiction")
        elif isinstance(spec, ApiImport):
            if reader.is_admin:
                continue  # the administrator may import for anyone
            target = foreign_orgs(reader)[0]
            before = ledger_state(spec.ledger, target)
            rows = foreign_rows(spec.ledger, target)
            url = path + "?dry_run=false"
            if spec.file:
                from django.core.files.uploadedfile import SimpleUploadedFile

                response = session.api("POST", url, data={"file": SimpleUploadedFile("x.csv", as_csv(rows))},
                                       kind="API write: foreign data")
            else:
                response = session.api("POST", url, data=json.dumps(rows), content_type="application/json",
                                       kind="API write: foreign data")
            expect(tally, f"API POST {url} ({target}'s rows)", response, {403, 422})
            if ledger_state(spec.ledger, target) != before:
                tally.problem("leak", f"API POST {url} wrote {target}'s data")
        elif isinstance(spec, (Own, Reference)):
            url = path
            params = {"start": "2026-11-01", "end": "2026-11-30"} if op_id.endswith("workdays") else {}
            response = session.api("GET", url, data=params, kind="API own, reference")
            if expect(tally, f"API GET {url}", response, {200}) and op_id.endswith("_me"):
                if response.json()["organisation"] != reader.org:
                    tally.problem("leak", f"API GET {url} answered as another organisation")


FIGURES = os.environ.get("GETPOWER_MATRIX_FIGURES")  # a file to append each run's counts to (docs)


def finish(tally: Tally, part: str) -> None:
    if FIGURES:
        with open(FIGURES, "a", encoding="utf-8") as out:
            out.write(json.dumps({"role": tally.reader.role, "part": part, "requests": tally.requests,
                                  "leaks": tally.leaks, "errors": tally.errors, "problems": len(tally.problems),
                                  "statuses": dict(tally.statuses), "kinds": dict(tally.kinds)}) + "\n")
    assert not tally.problems, "\n".join(tally.problems)


@pytest.fixture
def world(shared_data, settings) -> World:
    settings.MEDIA_ROOT = shared_data.media  # the notices and attachments behind the ids
    return shared_data


@pytest.fixture
def fixed_now(monkeypatch, settings):
    from getpower.cockpit import services as cockpit_services

    monkeypatch.setattr(cockpit_services, "now", lambda: NOW)
    settings.GETPOWER_COCKPIT_CACHE_SECONDS = 0
    settings.GETPOWER_FILINGS_FIRST_MONTH = "2026-10"


@pytest.mark.parametrize("reader", READERS, ids=ROLE_IDS)
def test_pages(world, fixed_now, reader):
    tally = Tally(reader)
    run_pages(Session(reader, world, tally), world)
    finish(tally, "pages")


@pytest.mark.parametrize("reader", READERS, ids=ROLE_IDS)
def test_api(world, reader):
    tally = Tally(reader)
    run_api(Session(reader, world, tally), world)
    finish(tally, "api")
