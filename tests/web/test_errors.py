"""Error pages and malformed parameters: every 400, 403, 404 and 500 is a Chinese page in the site's
layout (JSON under /api/), a bad query parameter is a 400 naming it (a 422 in the API, in the shape
the API declares), never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from getpower.web import errors
from tests.factories import build_province

pytestmark = pytest.mark.shared_data(build=build_province)  # one province for the module (tests/conftest.py)

LAYOUT = '<header class="top">'
BRAND = "云南“获得电力”监管平台"
CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def login(client, province, username):
    assert client.login(username=username, password=province.password)
    return client


def page_of(response) -> str:
    text = response.content.decode()
    assert LAYOUT in text and BRAND in text, text[:500]
    return text


# -- the four error pages -------------------------------------------------------------------------

@pytest.mark.django_db
def test_404_is_a_chinese_page_in_the_layout(client, province):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = page_of(response)
    assert "页面不存在（404）" in text and "/no-such-page/" in text and "返回首页" in text
    login(client, province, "whpg")
    other = client.get("/assets/999999/")  # get_object_or_404's English message is not shown
    assert other.status_code == 404
    assert "页面不存在" in page_of(other) and "matches the given query" not in other.content.decode()


@pytest.mark.django_db
def test_403_says_why_in_chinese(client, province):
    login(client, province, "whpg")
    response = client.get("/audit/")
    assert response.status_code == 403
    text = page_of(response)
    assert "无权访问（403）" in text and "审计日志仅对监管和主管部门开放" in text


@pytest.mark.django_db
def test_csrf_failure_is_a_chinese_403(province):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "whpg", "password": province.password})
    assert response.status_code == 403
    assert "CSRF" in page_of(response) and "无权访问" in response.content.decode()


@pytest.mark.django_db
def test_400_names_the_parameter_the_value_and_why(client, province):
    login(client, province, "admin")
    response = client.get("/calendar/", {"year": "abc"})
    assert response.status_code == 400
    text = page_of(response)
    assert "请求有误（400）" in text and "year" in text and "abc" in text and "应为整数" in text
    assert "不带参数重新打开本页" in text


@pytest.mark.django_db
def test_500_is_a_chinese_page_without_the_database(rf, django_assert_num_queries, monkeypatch, province):
    request = rf.get("/somewhere/")
    with django_assert_num_queries(0):
        response = errors.server_error(request)
    assert response.status_code == 500
    text = page_of(response)
    assert "服务器内部错误（500）" in text and "请稍后重试" in text

    # through the URLconf: a view that fails answers with the same page
    from getpower.web.views import health

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(health, "JsonResponse", broken)
    failing = Client(raise_request_exception=False).get("/healthz")
    assert failing.status_code == 500 and "服务器内部错误（500）" in page_of(failing)


def test_handlers_are_installed():
    from getpower import urls

    assert (urls.handler400, urls.handler403, urls.handler404, urls.handler500) == (
        errors.bad_request, errors.permission_denied, errors.page_not_found, errors.server_error)


@pytest.mark.django_db
def test_api_errors_stay_json(client, province):
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}


@pytest.mark.django_db
def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00" and len(body) < 10_000  # an ICO file, small


# -- malformed parameters on pages: 400, never 500 ------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("user,url,parameter,value", [
    ("admin", "/calendar/?year=abc", "year", "abc"),
    ("admin", "/calendar/?year=99999", "year", "99999"),
    ("regulator", "/audit/?since=bad", "since", "bad"),
    ("regulator", "/audit/?since=2026-02-30", "since", "2026-02-30"),
    ("regulator", "/outages/records/?asset=x", "asset", "x"),
    ("regulator", "/outages/findings/?run=%C2%B2", "run", "²"),
    ("regulator", "/outages/units/{asset}/?as_of=yesterday", "as_of", "yesterday"),
    ("regulator", "/cockpit/report/?month=11/2026", "month", "11/2026"),
    ("regulator", "/cockpit/?month=2026-13", "month", "2026-13"),
    ("regulator", "/filings/summary.xlsx?month=abc", "month", "abc"),
    ("regulator", "/arrears/?view=everything", "view", "everything"),
    ("whpg", "/assets/?type=pole", "type", "pole"),
])
def test_bad_page_parameters_answer_400_in_chinese(client, province, user, url, parameter, value):
    from getpower.grid.models import Asset

    login(client, province, user)
    response = client.get(url.format(asset=Asset.objects.get(asset_id="WH-T1").pk))
    assert response.status_code == 400, url
    text = page_of(response)
    assert f"<code>{parameter}</code>" in text and value in text


@pytest.mark.django_db
def test_bad_filing_version_parameter_answers_400(client, province, settings):
    from getpower.filings import services
    from getpower.filings.models import Filing

    settings.GETPOWER_FILINGS_FIRST_MONTH = "2026-01"
    services.tick(dt.datetime(2026, 3, 15, 12, tzinfo=CHINA))
    filing = Filing.objects.filter(filer__org_code="WHPG").first()
    login(client, province, "whpg")
    assert client.get(f"/filings/{filing.pk}/").status_code == 200
    response = client.get(f"/filings/{filing.pk}/", {"a": "x"})
    assert response.status_code == 400
    assert "<code>a</code>" in page_of(response) and "应为整数" in response.content.decode()


@pytest.mark.django_db
def test_report_without_month_opens_on_the_latest_month(client, province):
    """Without runs the latest month is the present one; the page and the workbook name it."""
    from django.utils import timezone

    from getpower.cockpit.services import month_of

    login(client, province, "regulator")
    month = month_of(timezone.now())
    response = client.get("/cockpit/report/")
    assert response.status_code == 200 and f"监管月报（{month}）" in response.content.decode()
    workbook = client.get("/cockpit/report.xlsx")
    assert workbook.status_code == 200 and workbook["Content-Disposition"].endswith(f'_{month}.xlsx"')


# -- the API: bounded paging, 422 in the declared shape, in Chinese --------------------------------

API_LISTS = ["/api/assets", "/api/outages/findings", "/api/filings", "/api/arrears/cases"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", API_LISTS)
@pytest.mark.parametrize("query,field,words", [
    ({"offset": "-1"}, "offset", "不能小于 0"),
    ({"offset": str(10**20)}, "offset", "不能大于"),
    ({"limit": "-5"}, "limit", "不能小于 1"),
    ({"limit": "0"}, "limit", "不能小于 1"),
    ({"limit": "1000000"}, "limit", "不能大于 1000"),
    ({"limit": "abc"}, "limit", "应为整数"),
])
def test_api_paging_is_bounded(client, province, url, query, field, words):
    login(client, province, "regulator")
    response = client.get(url, query)
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"detail"}
    [error] = body["detail"]
    assert set(error) == {"type", "loc", "msg"}
    assert error["loc"] == ["query", field] and words in error["msg"] and field in error["msg"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", API_LISTS)
def test_api_paging_within_bounds_answers(client, province, url):
    login(client, province, "regulator")
    everything = client.get(url, {"limit": "1000", "offset": "0"})
    assert everything.status_code == 200
    body = everything.json()
    assert len(body["items"]) == body["count"]
    one = client.get(url, {"limit": "1", "offset": "5"})
    assert one.status_code == 200
    assert one.json()["items"] == body["items"][5:6]


@pytest.mark.django_db
def test_every_operation_declares_the_422_shape(client):
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    assert components["ValidationErrorOut"]["properties"]["detail"]["items"] == {
        "$ref": "#/components/schemas/ValidationErrorItem"}
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 25
    for path, method, op in operations:
        declared = op["responses"]["422"]["content"]["application/json"]["schema"]
        refs = [declared.get("$ref")] + [s.get("$ref") for s in declared.get("anyOf", [])]
        assert "#/components/schemas/ValidationErrorOut" in refs, (method, path, declared)
        for parameter in op.get("parameters", []):
            if parameter["name"] in ("limit", "offset"):
                assert parameter["schema"]["minimum"] >= 0 and "maximum" in parameter["schema"], (path, parameter)


@pytest.mark.django_db
def test_import_422s_match_their_declared_union(client, province):
    """A malformed import request and a rejected file both answer 422, each in one of the declared shapes."""
    login(client, province, "whpg")
    malformed = client.post("/api/ledgers/assets/rows?dry_run=maybe", data=[], content_type="application/json")
    assert malformed.status_code == 422
    assert set(malformed.json()) == {"detail"} and "true 或 false" in malformed.json()["detail"][0]["msg"]
    wrong_rows = client.post("/api/ledgers/assets/rows", data=[{"users": "many"}], content_type="application/json")
    assert wrong_rows.status_code == 422 and set(wrong_rows.json()) == {"detail"}
    rejected = client.post("/api/ledgers/assets/rows", data=[{"asset_id": "X"}], content_type="application/json")
    assert rejected.status_code == 422 and {"job", "ok", "errors"} <= set(rejected.json())
