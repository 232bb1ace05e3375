"""The cockpit page: every number links to the list behind it and the counts agree; each
authority sees its own region, supply companies get 403; a stale month is caught up."""

from __future__ import annotations

import pytest

from getpower.cockpit.models import MonthState
from getpower.outages.models import GovernanceItem

from .conftest import build_evaluated

pytestmark = pytest.mark.shared_data(build=build_evaluated)


def login(client, province, username):
    assert client.login(username=username, password=province.password)
    return client


def board_of(client, **params):
    response = client.get("/cockpit/", params)
    assert response.status_code == 200, response.content[:500]
    return response.context["board"]


def listed(client, url: str) -> int:
    """How many rows the list behind a number holds (the same page a click opens)."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def numbers_with_lists(b):
    """Every (number, url) the page shows that stands for a count of findings."""
    cells = list(b.cards.values()) + [c for row in b.areas + b.companies for c in row.cells.values()]
    for cell in cells:
        code = cell.kpi.code
        if cell.url and code == "outage_per_1000_tq":
            yield cell.numerator, cell.url
        if cell.url and code in ("open_governance", "arrears_violations"):
            yield cell.value, cell.url
        if cell.url and code == "on_time_rate":  # the rate links to its late applications: finished − on time
            yield cell.denominator - cell.numerator, cell.url
        for part in cell.parts:
            if part["url"]:
                yield part["n"], part["url"]


@pytest.mark.parametrize("area", ["530000", "530100", "530102", "530500"])
def test_every_number_links_to_a_list_with_the_same_count(client, evaluated, area):
    login(client, evaluated["province"], "regulator")
    b = board_of(client, month="2026-11", area=area, kpi="composite")
    checked = 0
    seen = set()
    for number, url in numbers_with_lists(b):
        if url in seen:
            continue
        seen.add(url)
        assert listed(client, url) == number, url
        checked += 1
    assert checked >= 4
    # the rate's own link opens the late list
    on_time = b.cards["on_time_rate"]
    if on_time.url:
        assert "/connections/late/" in on_time.url and f"run={evaluated['2026-11']['R2'].pk}" in on_time.url


def test_the_counts_of_a_past_month_follow_its_own_run(client, evaluated):
    login(client, evaluated["province"], "regulator")
    b = board_of(client, month="2026-10", area="530000", kpi="outage_per_1000_tq")
    breach = b.cards["outage_per_1000_tq"].parts_by_code["breach"]
    assert f"run={evaluated['2026-10']['R3'].pk}" in breach["url"]
    assert listed(client, breach["url"]) == breach["n"] == 1
    warning = b.cards["outage_per_1000_tq"].parts_by_code["warning"]
    assert listed(client, warning["url"]) == warning["n"] == 0  # BS-T1 warns only in November


def test_kpi_picker_map_and_rankings(client, evaluated):
    login(client, evaluated["province"], "regulator")
    response = client.get("/cockpit/", {"month": "2026-11", "kpi": "outage_per_1000_tq"})
    data = response.context["cockpit_data"]
    assert data["mapName"] == "yunnan" and len(data["mapData"]) == 16
    values = {d["code"]: d["value"] for d in data["mapData"]}
    assert values["530500"] == 1000.0 and values["530100"] == pytest.approx(1000 / 3, abs=1e-4)
    assert values["530300"] is None
    b = response.context["board"]
    # lower is better: 昆明 ranks before 保山; areas without a value come last
    assert [r.area.code for r in b.areas[:2]] == ["530100", "530500"] and b.areas[0].rank == 1
    assert b.areas[2].rank is None
    assert [r.area.code for r in b.companies] == ["PLPG", "WHPG", "BSDL"]
    page = response.content.decode()
    assert 'data-kpi="outage_per_1000_tq" class="active"' in page and "监管驾驶舱" in page
    # on-time rate: higher is better; the county map of 昆明
    data = client.get("/cockpit/", {"month": "2026-11", "kpi": "on_time_rate", "area": "530100"}).context[
        "cockpit_data"]
    assert data["mapName"] == "530100" and data["geoUrl"].endswith("vendor/maps/counties/530100.json")
    assert {d["code"]: d["value"] for d in data["mapData"]}["530103"] == 100.0
    b = client.get("/cockpit/", {"month": "2026-11", "kpi": "on_time_rate", "area": "530100"}).context["board"]
    assert [r.area.code for r in b.areas[:2]] == ["530103", "530102"]
    assert b.cards["outage_per_1000_tq"].delta_text == "±0"  # WH-T1 breached in October already
    assert b.trend == [("2026-10", 50.0), ("2026-11", 50.0)]


def test_a_county_authority_sees_its_county_only(client, evaluated):
    login(client, evaluated["province"], "wh_authority")
    b = board_of(client, month="2026-11")
    assert b.area.code == "530102" and [a.code for a in b.crumbs] == ["530102"]
    assert [r.area.code for r in b.areas] == ["530102"]  # the county map of 昆明 shows no other county
    assert [r.area.code for r in b.companies] == ["WHPG"]
    for other in ("530000", "530100", "530103", "530502"):
        assert client.get("/cockpit/", {"area": other}).status_code == 404
        assert client.get("/cockpit/report/", {"month": "2026-11", "region": other}).status_code == 404
    report = client.get("/cockpit/report/", {"month": "2026-11", "region": "530102"}).content.decode()
    assert "五华区“获得电力”监管月报（2026-11）" in report and "盘龙区" not in report


def test_a_prefecture_authority_sees_its_prefecture(client, evaluated):
    login(client, evaluated["province"], "km_authority")
    b = board_of(client, month="2026-11")
    assert b.area.code == "530100" and b.map_name == "530100"
    assert {"530102", "530103"} <= {r.area.code for r in b.areas} and all(
        r.area.code.startswith("5301") for r in b.areas)
    assert {r.area.code for r in b.companies} == {"WHPG", "PLPG"}
    assert client.get("/cockpit/", {"area": "530000"}).status_code == 404
    assert client.get("/cockpit/", {"area": "530500"}).status_code == 404
    assert board_of(client, month="2026-11", area="530103").area.name == "盘龙区"


@pytest.mark.parametrize("username", ["whpg", "kmpg", "ynpg", "bsdl"])
def test_supply_companies_get_403(client, evaluated, username):
    login(client, evaluated["province"], username)
    assert client.get("/cockpit/").status_code == 403
    assert client.get("/cockpit/report/", {"month": "2026-11"}).status_code == 403
    assert client.get("/cockpit/report.xlsx", {"month": "2026-11"}).status_code == 403
    assert "/cockpit/" not in client.get("/").content.decode()


def test_anonymous_is_sent_to_login(client, evaluated):
    assert client.get("/cockpit/").status_code == 302


def test_governance_changes_between_runs_are_caught_up(client, evaluated):
    login(client, evaluated["province"], "regulator")
    b = board_of(client, month="2026-11", area="530102")
    assert b.cards["open_governance"].value == 1
    GovernanceItem.objects.update(status=GovernanceItem.Status.CLOSED)
    b = board_of(client, month="2026-11", area="530102")
    assert b.cards["open_governance"].value == 0
    assert listed(client, b.cards["open_governance"].url) == 0


def test_runs_stored_before_the_cockpit_are_computed_on_first_view(client, evaluated):
    from getpower.cockpit.models import KpiSnapshot

    KpiSnapshot.objects.all().delete()
    MonthState.objects.all().delete()
    login(client, evaluated["province"], "bureau")
    b = board_of(client)
    assert b.month == "2026-11" and b.cards["outage_per_1000_tq"].value == 500.0
    assert MonthState.objects.count() == 2


def test_the_page_reads_snapshots_in_a_few_queries(client, evaluated, django_assert_max_num_queries):
    login(client, evaluated["province"], "regulator")
    client.get("/cockpit/", {"month": "2026-11"})
    with django_assert_max_num_queries(25):
        assert client.get("/cockpit/", {"month": "2026-11", "kpi": "on_time_rate", "area": "530100"}).status_code == 200


def test_a_viewed_board_is_kept_until_the_snapshots_change(client, evaluated, settings):
    from django.core.cache import cache

    settings.GETPOWER_COCKPIT_CACHE_SECONDS = 300
    cache.clear()
    login(client, evaluated["province"], "regulator")
    first = client.get("/cockpit/", {"month": "2026-11", "area": "530102"})
    assert first.context["board"] is not None
    again = client.get("/cockpit/", {"month": "2026-11", "area": "530102"})
    assert "board" not in again.context and again.context["board_html"] == first.context["board_html"]
    GovernanceItem.objects.update(status=GovernanceItem.Status.CLOSED)  # the month is recomputed: a new board
    fresh = client.get("/cockpit/", {"month": "2026-11", "area": "530102"})
    assert fresh.context["board"].cards["open_governance"].value == 0
    # another reader's region is another board
    login(client, evaluated["province"], "wh_authority")
    assert client.get("/cockpit/", {"month": "2026-11"}).context["board"].area.code == "530102"
