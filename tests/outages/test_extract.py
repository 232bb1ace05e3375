"""Extraction outside a transaction (committed data, so these tests are transactional and live in a
module of their own, apart from the shared province of test_services.py)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from getpower.analytics import extract
from getpower.grid.models import Asset
from getpower.outages import services
from getpower.outages.models import Outage
from tests.factories import import_text

from .fixtures import OUTAGES

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def outages(province):
    return import_text("outages", OUTAGES, name="outages.csv")


def test_extraction_outside_a_transaction_reads_the_same_tables(outages, monkeypatch):
    """Outside a transaction, a province's extraction on PostgreSQL goes through ADBC on a connection of
    its own (one, in one snapshot); it must give exactly what Django's own connection gives. A few
    units' extraction stays on Django's connection."""
    from django.db import connection

    opened = []
    adbc_connect = extract._adbc_connect
    monkeypatch.setattr(extract, "_adbc_connect", lambda: opened.append(1) or adbc_connect())
    pg = connection.vendor == "postgresql"
    province_tables = services.extract_tables()
    assert len(opened) == (1 if pg else 0)
    unit = Asset.objects.get(asset_id="WH-T2").pk
    some = services.extract_tables([unit])
    assert len(opened) == (1 if pg else 0)
    monkeypatch.setattr(extract, "_adbc_usable", lambda: False)
    assert all(a.equals(d) for a, d in zip(province_tables, services.extract_tables(), strict=True))
    assert province_tables[1].num_rows == Outage.objects.count() and some[1].num_rows < province_tables[1].num_rows


@pytest.mark.postgres
def test_adbc_binds_parameters_client_side(outages):
    unit = Asset.objects.get(asset_id="WH-T2").pk
    sql = "SELECT o.id, o.event_id FROM outages_outage o WHERE o.asset_id = %s AND o.event_id <> %s ORDER BY o.id"
    schema = pa.schema([("outage_pk", pa.int64()), ("event_id", pa.string())])
    via_adbc = extract.query_arrow(sql, [unit, "E'x"], schema, via="adbc")
    assert via_adbc.num_rows == Outage.objects.filter(asset_id=unit).count() > 0
    assert via_adbc.equals(extract.query_arrow(sql, [unit, "E'x"], schema, via="django"))
