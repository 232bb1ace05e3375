"""The cockpit before any evaluation, and an evaluation whose snapshot fails: the province and its
ledgers without runs (built per test, unlike the evaluated months the other cockpit modules share)."""

from __future__ import annotations

import datetime as dt

from getpower.cockpit import services
from getpower.cockpit.models import KpiSnapshot, MonthState
from getpower.core.models import EvaluationRun

from .conftest import CHINA


def test_no_runs_yet(client, province):
    assert client.login(username="regulator", password=province.password)
    response = client.get("/cockpit/")
    assert response.status_code == 200 and "尚无评估数据" in response.content.decode()
    assert not KpiSnapshot.objects.exists()


def test_a_failing_snapshot_never_loses_the_run(ledgers, monkeypatch, caplog):
    from getpower.outages import services as outages

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "recompute", broken)
    run = outages.evaluate(dt.date(2026, 11, 25)).run
    assert EvaluationRun.objects.filter(pk=run.pk).exists()
    assert "cockpit" in caplog.text and not MonthState.objects.exists()
    monkeypatch.undo()
    monkeypatch.setattr(services, "now", lambda: dt.datetime(2026, 11, 27, tzinfo=CHINA))
    assert services.ensure_months() == ["2026-11"]  # the page view catches up
    snapshot = KpiSnapshot.objects.get(month="2026-11", area_level="province", area_code="530000",
                                       kpi="outage_per_1000_tq")
    assert snapshot.value == 500.0
