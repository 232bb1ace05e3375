"""``fast_insert``: what it stores is exactly what the ORM would store, on SQLite and PostgreSQL
(CSV COPY), whatever the values are given as — lists, Arrow arrays, one value for all."""

from __future__ import annotations

import datetime as dt
import decimal

import pyarrow as pa
import pytest
from django.contrib.auth import get_user_model

from getpower.core.models import ImportJob, Organisation
from getpower.ledgers.bulk import RawJSON, fast_insert
from getpower.workdays.calendar import CHINA

AWKWARD = ["", "a,b", 'say "hi"', "two\nlines", "back\\slash", "tab\there", "\\.", "\\N", "中文，全角", " "]


def _stored(ids=None):
    names = [f.attname for f in ImportJob._meta.concrete_fields if f.attname != "id"]
    return list(ImportJob.objects.order_by("id").values(*names))


@pytest.mark.django_db
def test_fast_insert_stores_what_the_orm_stores():
    user = get_user_model().objects.create(username="u1")
    org = Organisation.objects.first()  # may be None: the FK is nullable
    n = len(AWKWARD)
    started = [dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=CHINA) + dt.timedelta(hours=i) for i in range(n)]
    rows = [{
        "ledger": text, "user": user if i % 2 else None, "organisation": org, "actor": text[::-1],
        "file_name": f"f{i}.csv", "file_sha256": "x" * i, "file_bytes": 2**40 + i, "dry_run": bool(i % 3),
        "progress": i / 7, "rows_total": i, "errors": [{"row": i, "msg": text}] if i % 2 else [],
        "warnings": {"k": [1, None, 2.5]}, "started_at": started[i],
        "finished_at": None if i % 4 == 0 else started[i] + dt.timedelta(seconds=i),
        "duration_seconds": None if i == 3 else 0.1 * i,
    } for i, text in enumerate(AWKWARD)]
    for row in rows:
        ImportJob.objects.create(**row)
    expected = _stored()
    ImportJob.objects.all().delete()

    fast_insert(ImportJob, rows)
    got = _stored()
    # auto_now_add is the time of the insert in both cases; everything else must match exactly
    for record in expected + got:
        record.pop("started_at")
    assert got == expected


@pytest.mark.django_db
def test_fast_insert_takes_arrow_arrays_constants_and_raw_json():
    n = 4
    fast_insert(ImportJob, columns={
        "ledger": pa.chunked_array([pa.array(["a", ""]), pa.array(["c,d", None])]).fill_null("n"),
        "file_name": pa.array(["1", "2", "3", "4"]), "file_sha256": "same", "rows_total": pa.array([1, 2, 3, 4]),
        "file_bytes": [decimal.Decimal(5)] * n, "errors": [RawJSON('[{"a": "逗号,引号\\""}]'), [], RawJSON("[]"), [1]],
        "warnings": pa.array(['{"k": 1}', "[]", "null", '"text"']),
        "finished_at": pa.array([dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=dt.UTC)] * 3 + [None],
                                pa.timestamp("us", tz="UTC")),
    })
    got = list(ImportJob.objects.order_by("id").values("ledger", "file_name", "file_sha256", "rows_total",
                                                       "file_bytes", "errors", "warnings", "finished_at", "status",
                                                       "dry_run"))
    assert [g["ledger"] for g in got] == ["a", "", "c,d", "n"]
    assert [g["file_name"] for g in got] == ["1", "2", "3", "4"]
    assert {g["file_sha256"] for g in got} == {"same"}
    assert [g["rows_total"] for g in got] == [1, 2, 3, 4]
    assert {g["file_bytes"] for g in got} == {5}
    assert [g["errors"] for g in got] == [[{"a": '逗号,引号"'}], [], [], [1]]
    assert [g["warnings"] for g in got] == [{"k": 1}, [], None, "text"]  # an Arrow column holds JSON text
    assert [g["finished_at"] for g in got] == [dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=dt.UTC)] * 3 + [None]
    assert {g["status"] for g in got} == {ImportJob.Status.RUNNING}  # the field's default
    assert {g["dry_run"] for g in got} == {False}


@pytest.mark.django_db
def test_fast_insert_refuses_columns_of_different_lengths():
    with pytest.raises(ValueError, match="different lengths"):
        fast_insert(ImportJob, columns={"ledger": ["a", "b"], "file_name": pa.array(["x"])})
    assert not ImportJob.objects.exists()
