"""Governance (闭环销号): allowed transitions, a permission each, audit, reopening, 动态清零."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied

from getpower.core.models import AuditLog
from getpower.grid.models import Asset
from getpower.outages import governance, services
from getpower.outages.models import GovernanceItem
from tests.factories import build_province, import_text

from .fixtures import OUTAGES


def build_breach():
    """The province with WH-T1 in breach on 2026-03-01: its governance item opened (shared by the module)."""
    province = build_province()
    import_text("outages", OUTAGES)
    services.evaluate(dt.date(2026, 3, 1))
    return province


pytestmark = pytest.mark.shared_data(build=build_breach)


@pytest.fixture
def item(province):
    return GovernanceItem.objects.get(asset__asset_id="WH-T1")


def step(item, name, username, province, **kw):
    return governance.transition(item, name, province.users[username], **kw)


def test_full_lifecycle_to_close_with_audit(item, province):
    step(item, "file_plan", "whpg", province, measures="更换老旧配变，新增分段开关", planned_completion=dt.date(2026, 6, 30))
    step(item, "start", "whpg", province)
    step(item, "progress", "whpg", province, note="已完成50%")
    step(item, "complete", "whpg", province, note="改造完成")
    step(item, "verify", "regulator", province, verification_method="site_check", note="现场检查合格")
    step(item, "close", "regulator", province)
    item.refresh_from_db()
    assert item.status == "closed" and item.closed_at is not None
    assert item.planned_completion == dt.date(2026, 6, 30)
    transitions = list(item.events.values_list("transition", flat=True))
    assert transitions == ["identify", "file_plan", "start", "progress", "complete", "verify", "close"]
    assert AuditLog.objects.filter(object_type="outages.governance", object_id=str(item.pk)).count() == 6


def test_regulator_sends_back(item, province):
    step(item, "file_plan", "kmpg", province, measures="m", planned_completion=dt.date(2026, 5, 1))
    step(item, "start", "whpg", province)
    step(item, "complete", "whpg", province, note="done")
    step(item, "send_back", "wh_authority", province, note="用户仍反映停电")
    item.refresh_from_db()
    assert item.status == "in_progress" and item.completed_at is None


@pytest.mark.parametrize("username", ["plpg", "bsdl", "regulator", "wh_authority"])
def test_only_the_company_and_those_above_it_file_plans(item, province, username):
    with pytest.raises(PermissionDenied):
        step(item, "file_plan", username, province, measures="m", planned_completion=dt.date(2026, 5, 1))


@pytest.mark.parametrize("username", ["whpg", "kmpg", "px_authority"])
def test_only_authorities_over_the_unit_verify(item, province, username):
    step(item, "file_plan", "whpg", province, measures="m", planned_completion=dt.date(2026, 5, 1))
    step(item, "start", "whpg", province)
    step(item, "complete", "whpg", province, note="done")
    with pytest.raises(PermissionDenied):
        step(item, "verify", username, province, verification_method="visit", note="n")


def test_transitions_out_of_order_and_missing_fields_are_refused(item, province):
    with pytest.raises(governance.TransitionError, match="不能执行"):
        step(item, "close", "regulator", province)
    with pytest.raises(governance.TransitionError, match="治理措施"):
        step(item, "file_plan", "whpg", province, measures="", planned_completion=None)
    step(item, "file_plan", "whpg", province, measures="m", planned_completion=dt.date(2026, 5, 1))
    step(item, "start", "whpg", province)
    step(item, "complete", "whpg", province, note="done")
    with pytest.raises(governance.TransitionError, match="核验方式"):
        step(item, "verify", "regulator", province, verification_method="phone", note="n")
    item.refresh_from_db()
    assert item.status == "completed"


def test_new_breach_reopens_a_closed_item(item, province):
    for name, user, kw in [("file_plan", "whpg", {"measures": "m", "planned_completion": dt.date(2026, 5, 1)}),
                           ("start", "whpg", {}), ("complete", "whpg", {"note": "d"}),
                           ("verify", "regulator", {"verification_method": "visit", "note": "ok"}),
                           ("close", "regulator", {})]:
        step(item, name, user, province, **kw)
    # still in breach with the same outages: stays closed
    services.evaluate(dt.date(2026, 3, 2))
    item.refresh_from_db()
    assert item.status == "closed"
    # outages after the close bring the year to 6: a new breach reopens it
    closed = item.closed_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    day = (closed + dt.timedelta(days=1)).strftime("%Y-%m-%d")
    # (E6 gets its restoration time: otherwise it is still going on and swallows later outages)
    import_text("outages", "event_id,company,asset_type,asset_id,start_time,end_time,kind\n"
                           "E6,WHPG,tq,WH-T1,2026-03-01 08:00,2026-03-01 12:00,fault\n"
                           f"E98,WHPG,tq,WH-T1,{day} 08:00,{day} 09:00,fault\n"
                           f"E99,WHPG,tq,WH-T1,{day} 10:00,{day} 12:00,fault\n")
    services.evaluate((closed + dt.timedelta(days=1)).date())
    item.refresh_from_db()
    assert item.status == "identified" and item.cycle == 2
    assert item.events.last().transition == "reopen"


def test_open_items_series_falls_to_zero(item, province):
    items = GovernanceItem.objects.all()
    before = governance.open_items_over_time(items, days=3)
    assert before[-1][1] == 1
    for name, user, kw in [("file_plan", "whpg", {"measures": "m", "planned_completion": dt.date(2026, 5, 1)}),
                           ("start", "whpg", {}), ("complete", "whpg", {"note": "d"}),
                           ("verify", "regulator", {"verification_method": "visit", "note": "ok"}),
                           ("close", "regulator", {})]:
        step(item, name, user, province, **kw)
    assert governance.open_items_over_time(items, days=3)[-1][1] == 0


def test_pages_follow_jurisdiction(item, client, province):
    unit = Asset.objects.get(asset_id="WH-T1")
    client.login(username="plpg", password=province.password)
    assert client.get(f"/outages/governance/{item.pk}/").status_code == 404
    assert client.get(f"/outages/units/{unit.pk}/").status_code == 404
    assert ">WH-T1<" not in client.get("/outages/findings/").content.decode()
    response = client.post(f"/outages/governance/{item.pk}/transition/", {"transition": "close"})
    assert response.status_code == 404
    client.logout()
    client.login(username="whpg", password=province.password)
    assert ">WH-T1<" in client.get("/outages/findings/").content.decode()
    page = client.get(f"/outages/units/{unit.pk}/").content.decode()
    assert "E5" in page and "不予认可" in page
    response = client.post(f"/outages/governance/{item.pk}/transition/",
                           {"transition": "file_plan", "measures": "换配变", "planned_completion": "2026-06-01"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "plan_filed"


def test_public_disclosure_needs_no_login_and_shows_nothing_personal(item, client):
    page = client.get("/public/").content.decode()
    assert "五华供电局" in page
    detail = client.get("/public/outages/WHPG/").content.decode()
    assert "五华一号台区" in detail and "已识别" in detail
    # no event details, no users (a word of its own: the page's random CSRF token may hold "E5")
    assert not re.search(r"\bE5\b", detail)
