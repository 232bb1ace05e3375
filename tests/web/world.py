"""A small province with something of every kind for every organisation, built once per test module.

The jurisdiction matrix (test_matrix.py) and the API fuzzing (test_api_fuzz.py) need, for 五华 (WHPG,
530102), 盘龙 (PLPG, 530103) and 保山 (BSDL, 530502), an object of every kind a page or an API operation
can be asked for by id: assets, breached units with governance items and attachments, applications,
arrears cases with notices, filings with frozen versions, import jobs, background jobs, API tokens.
Building it takes a few seconds, so a module builds it once (``pytest.mark.shared_data(build=build_world)``,
tests/conftest.py) inside a transaction that is rolled back after the module; each test runs in a savepoint
inside it.

Identifiers are distinctive (``APP-BS-01``, 保山永昌小区…) so that a page can be searched for the data
of organisations the reader may not see."""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.test import override_settings

from tests.cockpit.ledgers import OUTAGES_2026
from tests.factories import build_province, import_text

CHINA = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=CHINA)

# Every organisation's breaches: four counted faults within 60 days in Jan–Mar 2026 (WH-T1 breaches in
# OUTAGES_2026 already).
EXTRA_OUTAGES = "".join(
    f"EV-{tag}-0{n},{org},tq,{asset},2026-0{month}-{day} 08:00,2026-0{month}-{day} 09:00,fault,,,,,,\n"
    for tag, org, asset in (("PL", "PLPG", "PL-T1"), ("BS", "BSDL", "BS-T1"))
    for n, (month, day) in enumerate(((1, 10), (1, 25), (2, 10), (2, 28)), start=1))

HEAD_APPS = ("app_id,company,county_code,customer_kind,voltage_kv,supply,capacity_kw,zero_service,external_works,"
             "grid_upgrade,upgrade_due_date,applied_at,accepted_at,scheme_replied_at,design_submitted_at,"
             "design_reviewed_at,midcheck_requested_at,midcheck_done_at,completion_requested_at,completion_done_at,"
             "connect_ready_at,energized_at,contact_phone_last4\n")
APPS = HEAD_APPS + (
    "APP-WH-01,WHPG,530102,resident,0.22,,8,是,否,否,,2026-02-13 09:00,2026-02-13 10:00,,,,,,,,,2026-03-02 10:00,1234\n"
    "APP-WH-02,WHPG,530102,private_org,0.38,,100,否,,是,2026-12-31,2026-09-28 09:00,2026-09-29 09:00,"
    "2026-10-09 09:00,,,,,,,,,5678\n"
    "APP-PL-01,PLPG,530103,other,10,single,800,,,,,2026-09-01 09:00,2026-09-01 12:00,2026-09-10 09:00,"
    "2026-09-11 09:00,2026-09-15 09:00,,,2026-10-08 09:00,2026-10-12 09:00,,2026-10-14 09:00,\n"
    "APP-BS-01,BSDL,530502,private_org,0.38,,100,否,,是,2026-12-31,2026-09-28 09:00,2026-09-29 09:00,"
    "2026-10-09 09:00,,,,,,,,,4321\n"
)
PAUSES = "app_id,pause_start,pause_end,reason\nAPP-WH-02,2026-10-09 10:00,2026-10-13 10:00,客户未备齐资料\n"

HEAD_CASES = ("case_id,company,county_code,community,households,arrears_yuan,bill_due_date,demand_at,approved_by,"
              "notice_served_at,final_notice_at,reported_at,authority,authority_level,planned_cut_at,cut_at,"
              "cancelled_at\n")
CASES = HEAD_CASES + (
    "AR-WH-01,WHPG,530102,翠湖小区,320,85000,2026-08-01,2026-09-01 09:00,张经理,2026-09-05 09:00,2026-09-10 08:00,"
    "2026-09-06 10:00,五华区能源局,county,2026-09-10 09:00,2026-09-10 09:00,\n"
    "AR-WH-02,WHPG,530102,莲花小区,120,30000,2026-08-15,2026-09-01 09:00,,2026-09-13 09:00,,,,,2026-09-15 09:00,,\n"
    "AR-PL-01,PLPG,530103,金江小区,90,20000,2026-08-01,2026-09-01 09:00,王经理,2026-09-05 09:00,,2026-09-06 09:00,"
    "昆明市能源局,prefecture,2026-09-10 09:00,,2026-09-09 09:00\n"
    "AR-BS-01,BSDL,530502,保山永昌小区,150,40000,2026-08-01,2026-09-01 09:00,赵经理,2026-09-05 09:00,,"
    "2026-09-06 09:00,保山市能源局,prefecture,2026-09-10 09:00,2026-09-10 09:00,\n"
)

# what a reader outside an organisation's jurisdiction must never find on a page, in an export or in
# the API: its assets (ids and names), applications, arrears cases (ids and communities), outage events
MARKERS = {
    "WHPG": ("WH-T1", "WH-T2", "WH-L1", "五华一号台区", "五华二号台区", "APP-WH-01", "APP-WH-02", "AR-WH-01",
             "AR-WH-02", "翠湖小区", "莲花小区"),
    "PLPG": ("PL-T1", "PL-L1", "盘龙一号台区", "APP-PL-01", "AR-PL-01", "金江小区", "EV-PL-01"),
    "BSDL": ("BS-T1", "BS-L1", "隆阳一号台区", "APP-BS-01", "AR-BS-01", "保山永昌小区", "EV-BS-01"),
}
# the county (region) of each company whose data the markers name: its filters' values in the matrix
COUNTY = {"WHPG": "530102", "PLPG": "530103", "BSDL": "530502"}


@dataclass
class Thing:
    """One object a URL or an operation names: its key (pk, prefix…), owner and county."""

    kind: str
    pk: object
    org: str | None  # the owning organisation's code (None: the platform's own)
    county: str | None
    extra: dict = field(default_factory=dict)


@dataclass
class World:
    users: dict
    password: str
    things: dict[str, list[Thing]]
    tokens: dict[str, str]  # organisation code → bearer token
    media: str

    def of(self, kind: str) -> list[Thing]:
        return self.things.get(kind, [])


def build_world() -> World:
    """The world (for ``pytest.mark.shared_data(build=build_world)``); its files live in a temporary
    folder (``World.media``: tests set ``MEDIA_ROOT`` to it), removed when the process ends."""
    media = tempfile.mkdtemp(prefix="getpower-world-")
    atexit.register(shutil.rmtree, media, True)
    with override_settings(MEDIA_ROOT=media):
        return _build(media)


def _build(media: str) -> World:
    from getpower.arrears import services as arrears
    from getpower.arrears.models import ArrearsCase
    from getpower.connections import services as connections
    from getpower.connections.models import Application
    from getpower.core import tokens
    from getpower.core.models import ApiToken, ImportJob, Organisation, Profile
    from getpower.filings import services as filings
    from getpower.filings.models import Filing
    from getpower.grid.models import Asset
    from getpower.jobs.models import Job
    from getpower.ledgers.jobs import queue_import
    from getpower.outages import services as outages
    from getpower.outages.models import GovernanceEvent, GovernanceItem

    province = build_province()
    users = province.users
    Profile.objects.filter(organisation__isnull=False).update(is_org_admin=True)  # every account manages tokens
    import_text("outages", OUTAGES_2026 + EXTRA_OUTAGES, name="outages.csv")
    import_text("applications", APPS, name="apps.csv")
    import_text("application_pauses", PAUSES, name="pauses.csv")
    import_text("arrears_cases", CASES, name="cases.csv")
    outages.evaluate(dt.date(2026, 10, 31))
    connections.evaluate(dt.datetime(2026, 10, 20, 12, tzinfo=CHINA))
    outages.evaluate(dt.date(2026, 11, 25))
    connections.evaluate(dt.datetime(2026, 11, 20, 12, tzinfo=CHINA))
    arrears.evaluate(dt.datetime(2026, 11, 26, 12, tzinfo=CHINA))
    filings.tick(dt.datetime(2026, 11, 15, 12, tzinfo=CHINA))

    # files behind ids: notices of arrears cases, attachments of governance events
    for case in ArrearsCase.objects.all():
        case.notice_file.save(f"notice-{case.case_id}.pdf", ContentFile(b"%PDF-1.4 notice"), save=True)
    for item in GovernanceItem.objects.filter(asset__asset_type="tq"):
        event = GovernanceEvent(item=item, at=NOW, actor="test", transition="file_plan", from_status=item.status,
                                to_status=item.status, note="整改计划")
        event.attachment.save(f"plan-{item.pk}.pdf", ContentFile(b"%PDF-1.4 plan"), save=True)

    # a frozen version of each company's F3 for October
    for username in ("whpg", "plpg", "bsdl"):
        filing = Filing.objects.filter(filer__org_code=username.upper(), type_id="F3", period="2026-10").first()
        filings.submit(filing, users[username], now=NOW)

    # import jobs and background jobs of companies and an authority (dry runs: nothing changes)
    for username in ("whpg", "plpg", "bsdl", "kmpg", "km_authority"):
        queue_import("assets", b"asset_id,asset_type,name,company,county_code\n", "empty.csv", user=users[username],
                     dry_run=True)

    secrets = {}
    for org in Organisation.objects.exclude(org_code__in=["PX-EA", "BS-EA"]):
        secrets[org.org_code] = tokens.issue(org=org, name=f"matrix {org.org_code}")[1]

    def owner(obj) -> tuple[str | None, str | None]:
        """An import record's or a job's organisation and its region (none: the platform's own)."""
        org = obj.organisation
        return (org.org_code, org.region_id) if org else (None, None)

    things: dict[str, list[Thing]] = {
        "asset": [Thing("asset", a.pk, a.company.org_code, a.county_id) for a in Asset.objects.select_related("company")],
        "application": [Thing("application", a.pk, a.company.org_code, a.county_id)
                        for a in Application.objects.select_related("company")],
        "case": [Thing("case", c.pk, c.company.org_code, c.county_id) for c in ArrearsCase.objects.select_related("company")],
        "governance": [Thing("governance", i.pk, i.company.org_code, i.county_id)
                       for i in GovernanceItem.objects.select_related("company")],
        "attachment": [Thing("attachment", e.pk, e.item.company.org_code, e.item.county_id)
                       for e in GovernanceEvent.objects.exclude(attachment="").select_related("item__company")],
        "filing": [Thing("filing", f.pk, f.filer.org_code, f.county_id,
                         {"recipient": f.recipient.org_code if f.recipient else None,
                          "versions": list(f.versions.values_list("number", flat=True))})
                   for f in Filing.objects.select_related("filer", "recipient")],
        "import_job": [Thing("import_job", j.pk, *owner(j), {"user": j.user.username if j.user else None})
                       for j in ImportJob.objects.select_related("organisation", "user")],
        "job": [Thing("job", j.pk, *owner(j), {"user": j.user.username if j.user else None, "kind": j.kind})
                for j in Job.objects.select_related("organisation", "user")],
        "token": [Thing("token", t.prefix, t.organisation.org_code, t.organisation.region_id)
                  for t in ApiToken.objects.select_related("organisation")],
        "organisation": [Thing("organisation", o.org_code, o.org_code, o.region_id, {"kind": o.kind})
                         for o in Organisation.objects.all()],
    }
    return World(users=users, password=province.password, things=things, tokens=secrets, media=media)
