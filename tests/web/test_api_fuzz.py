"""API fuzzing (issue 12, build 6; figures in docs/security.md): schemathesis generates requests from
``/api/openapi.json`` for every operation and sends them, with a supply company's API token, straight to
the WSGI application (no server). Every answer must be declared by the document: no server error, a
status code and content type the operation lists, a body matching its schema, malformed input refused
with a 4xx, the operations refusing a request without the token.

Deterministic (``derandomize``) and bounded: the coverage phase's boundary cases plus ``MAX_EXAMPLES``
generated ones per operation. Each operation is its own test, so ``-n`` spreads them.

Left out: schemathesis' ``positive_data_acceptance`` (a request valid by the schema must get a 2xx). The
ledger imports answer rows that are well-formed but wrong — an unknown company, another company's asset,
a date in the future — with 422 and the rows' errors (``ImportOut``, declared), which is the API working,
not failing; likewise ``/api/workdays`` with a start that is not a date (400, declared)."""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from tests.web.world import build_world

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data(build=build_world)]

MAX_EXAMPLES = 8
APP = WSGIHandler()
REQUESTS: Counter = Counter()


def counting_app(environ, start_response):
    REQUESTS[environ["PATH_INFO"]] += 1
    return APP(environ, start_response)


# the document as the application serves it (no database is needed for it)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", counting_app)


@pytest.fixture
def app(shared_data, settings):
    """The WSGI application, with Django's per-request connection handling off (as the test client
    does): the test's transaction must survive every request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    settings.MEDIA_ROOT = shared_data.media
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield counting_app
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


FIGURES = os.environ.get("GETPOWER_FUZZ_FIGURES")  # a file to append each operation's count to (docs)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, app, shared_data):
    token = shared_data.tokens["WHPG"]  # a county supply company's system
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"},
                           excluded_checks=[positive_data_acceptance])


@pytest.fixture(autouse=True)
def _figures(request):
    REQUESTS.clear()
    yield
    if FIGURES:
        with open(FIGURES, "a", encoding="utf-8") as out:
            out.write(json.dumps({"test": request.node.name, "requests": sum(REQUESTS.values())}) + "\n")


# -- what the fuzzing found (each failed before its fix) ------------------------------------------------

def bearer(world) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['WHPG']}"}


def test_a_body_that_is_not_json_gets_the_declared_422(client, shared_data):
    """ninja answered 400 {"detail": "Cannot parse request body"}: English, and a status and shape the
    operation does not declare."""
    response = client.post("/api/ledgers/assets/rows", data=b"\x1b\xff{", content_type="application/json",
                           **bearer(shared_data))
    assert response.status_code == 422
    assert response.json() == {"detail": [{"type": "json_invalid", "loc": ["body"], "msg": "参数 body：JSON 格式错误"}]}


@pytest.mark.parametrize("value", ["0", "1700000000", "2026-1-5", "2026-02-30", "today"])
def test_a_date_parameter_takes_only_a_date(client, shared_data, value):
    """``/api/rulebook?on=0`` answered the rulebook of 1970-01-01: pydantic read a number as seconds."""
    response = client.get("/api/rulebook", {"on": value}, **bearer(shared_data))
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "参数 on：应为日期（YYYY-MM-DD）"
    assert client.get("/api/rulebook", {"on": "2026-02-28"}, **bearer(shared_data)).status_code == 200


def test_json_rows_take_dates_as_dates_only(client, shared_data):
    row = {"case_id": "AR-X", "company": "WHPG", "county_code": "530102", "community": "测试小区", "households": 1,
           "arrears_yuan": 1, "bill_due_date": 0}
    response = client.post("/api/ledgers/arrears_cases/rows", data=[row], content_type="application/json",
                           **bearer(shared_data))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "rows", 0, "bill_due_date"]


@pytest.mark.parametrize("where", ["name", "header"])
def test_a_nul_character_is_refused_before_the_rows_are_read(client, shared_data, where):
    """On PostgreSQL a NUL character (text and JSON cannot hold one) ended an import — JSON rows, a file,
    the web upload, the command line — with a server error; SQLite stored it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from getpower.core.models import ImportJob
    from getpower.grid.models import Asset

    header = "asset_id,asset_type,name,company,county_code,line_id,rated_kva,users" + ("\x00" if where == "header" else "")
    name = "五华\x00一号台区" if where == "name" else "五华一号台区"
    data = f"{header}\nWH-T1,tq,{name},WHPG,530102,WH-L1,400,120\n".encode()
    response = client.post("/api/ledgers/assets/file", {"file": SimpleUploadedFile("x\x00.csv", data)},
                           **bearer(shared_data))
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert error["row"] == (1 if where == "header" else 2) and "含有空字符（0x00）" in error["reason"]
    assert ImportJob.objects.get(pk=response.json()["job"]).status == ImportJob.Status.REJECTED
    if where == "name":
        row = {"asset_id": "WH-T1", "asset_type": "tq", "name": name, "company": "WHPG", "county_code": "530102",
               "line_id": "WH-L1", "rated_kva": 400, "users": 120}
        response = client.post("/api/ledgers/assets/rows", data=[row], content_type="application/json",
                               **bearer(shared_data))
        assert response.status_code == 422 and "含有空字符" in response.json()["errors"][0]["reason"]
    assert Asset.objects.get(asset_id="WH-T1").name == "五华一号台区"
