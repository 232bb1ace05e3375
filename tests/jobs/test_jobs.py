"""Durable jobs (issue 13): queueing, inline runs, coalescing, periodic keys, recovery, scope, freshness."""

from __future__ import annotations

import datetime as dt
import os
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.models import OrmQ

from getpower.core.models import EvaluationRun, ImportJob
from getpower.domains import registry as domains
from getpower.domains.signals import ledger_changed
from getpower.jobs import evaluations, services
from getpower.jobs.models import Job
from getpower.outages.models import Finding, GovernanceItem
from tests.factories import PASSWORD, build_province

# one province for the module (tests/conftest.py)
pytestmark = [pytest.mark.django_db, pytest.mark.shared_data(build=build_province)]


@pytest.fixture(autouse=True)
def _findings_follow_the_data(settings):
    settings.GETPOWER_REEVALUATE_ON_IMPORT = True  # as in production (tests/conftest.py turns it off)


def login(client, username: str) -> None:
    assert client.login(username=username, password=PASSWORD)


def recent_outages(unit: str = "WH-T1", count: int = 4) -> str:
    """``count`` one-hour faults on a 台区 in the last weeks: more than 3 in 60 days is a breach today."""
    today = timezone.localdate()
    lines = ["event_id,company,asset_type,asset_id,start_time,end_time,kind"]
    for k in range(count):
        day = today - dt.timedelta(days=5 + 7 * k)
        lines.append(f"J{k},WHPG,tq,{unit},{day} 08:00,{day} 09:00,fault")
    return "\n".join(lines) + "\n"


def test_web_import_is_a_job_and_its_record_shows_it(client, province, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    login(client, "whpg")
    csv = "asset_id,asset_type,name,company,county_code,line_id,rated_kva,users\nWH-T7,tq,七号台区,WHPG,530102,WH-L1,400,10\n"
    response = client.post("/imports/", {"ledger": "assets", "file": SimpleUploadedFile("a.csv", csv.encode())})
    record = ImportJob.objects.latest("id")
    assert response.status_code == 302 and response["Location"] == f"/imports/{record.pk}/"
    job = Job.objects.get(kind="import", subject=f"import:{record.pk}")
    assert (job.status, job.progress, job.attempts, job.actor) == ("succeeded", 1.0, 1, "whpg")
    assert job.organisation.org_code == "WHPG" and job.user.username == "whpg"
    assert job.result["added"] == 1 and job.duration_seconds is not None
    assert "开始" in job.log and "完成" in job.log
    assert (record.status, record.rows_added, record.channel, record.actor) == ("succeeded", 1, "web", "whpg")
    assert list((tmp_path / "uploads").iterdir()) == []  # the stored upload is removed once the job ended
    page = client.get(f"/imports/{record.pk}/").content.decode()
    assert f"/jobs/{job.pk}/" in page
    # a rejected file: the job fails with the reason, and is not retried
    client.post("/imports/", {"ledger": "assets", "file": SimpleUploadedFile("b.csv", b"asset_id\nX\n")})
    rejected = Job.objects.filter(kind="import").latest("id")
    assert rejected.status == "failed" and rejected.error.startswith("校验未通过") and rejected.attempts == 1
    record = ImportJob.objects.latest("id")
    assert record.status == "rejected" and record.errors  # the row errors are kept for the page


def test_command_line_import_and_evaluation_record_jobs(province):
    from getpower.cli import invoke

    before = Job.objects.count()
    # build_province imported through run_import: each import recorded a job
    assert Job.objects.filter(kind="import", status="succeeded", actor="cli").count() >= 2
    assert invoke(["evaluate", "frequent-outages", "--as-of", "2026-03-01", "--format", "csv"]) == 0
    job = Job.objects.latest("id")
    assert Job.objects.count() == before + 1
    assert (job.kind, job.status, job.actor, job.subject) == ("evaluate", "succeeded", "cli", "rule:R3")
    assert job.result["run"] == EvaluationRun.objects.filter(rule="R3").latest("id").pk


def test_an_evaluation_job_runs_inline_and_stores_a_run():
    job = services.enqueue("evaluate", args={"domain": "frequent-outages"}, label="R3", actor="测试")
    assert job.status == "succeeded", job.error
    run = EvaluationRun.objects.get(pk=job.result["run"])
    assert run.rule == "R3" and run.as_of.astimezone(domains.CHINA).date() == timezone.localdate()
    assert job.result["as_of"] == timezone.localdate().isoformat()
    unknown = services.enqueue("evaluate", args={"domain": "no-such-rule"})
    assert unknown.status == "failed" and "未知的规则" in unknown.error


def test_ten_imports_in_a_row_queue_one_evaluation_per_rule(province, settings):
    settings.GETPOWER_JOBS_SYNC = False  # queued for a worker, as in production
    record = ImportJob.objects.filter(ledger="assets").first()
    readers = domains.reading("outages")
    assert [d.rule for d in readers] == ["R3"]
    for _ in range(10):
        ledger_changed.send(sender="outages", job=record)
    queued = Job.objects.filter(kind="evaluate", status="queued")
    assert [(j.subject, j.absorbed) for j in queued] == [("rule:R3", 9)]
    job = queued.get()
    assert job.not_before > job.created_at  # it waits a little for the imports that follow
    assert job.log.count("合并请求") == 9
    assert OrmQ.objects.count() == 1  # one delivery for the worker
    # assets are read by R3 too; an evaluation that already started does not absorb later requests
    Job.objects.filter(pk=job.pk).update(status="running", worker=services.identity())
    ledger_changed.send(sender="assets", job=record)
    assert Job.objects.filter(kind="evaluate", status="queued").count() == 1
    assert Job.objects.filter(kind="evaluate").count() == 2


def test_only_one_queued_job_per_coalescing_key_in_the_database():
    Job.objects.create(kind="evaluate", coalesce_key="evaluate:R3")
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind="evaluate", coalesce_key="evaluate:R3")
    Job.objects.create(kind="evaluate", coalesce_key="evaluate:R3", status="succeeded")  # finished ones: any number


def test_periodic_work_cannot_run_twice_for_one_period(province):
    first = evaluations.daily("2026-10-05")
    again = evaluations.daily("2026-10-05")
    assert first == again
    keys = sorted(Job.objects.filter(pk__in=first).values_list("period_key", flat=True))
    assert keys == sorted([f"evaluate:{d.rule}:2026-10-05" for d in domains.all_domains()] + ["tick:2026-10-05"])
    assert Job.objects.filter(period_key__endswith="2026-10-05").count() == len(first)
    assert all(s == "succeeded" for s in Job.objects.filter(pk__in=first).values_list("status", flat=True))
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind="tick", period_key="tick:2026-10-05")
    assert evaluations.daily("2026-10-06") != first  # the next day is its own period


def running_job(worker: str, *, attempts: int = 1, beat_age_s: float = 0) -> Job:
    at = timezone.now() - dt.timedelta(seconds=beat_age_s)
    return Job.objects.create(kind="evaluate", args={"domain": "frequent-outages"}, status="running", worker=worker,
                              attempts=attempts, max_attempts=3, started_at=at, heartbeat_at=at)


def test_a_running_job_whose_process_is_gone_is_retried_then_failed(settings):
    settings.GETPOWER_JOBS_SYNC = False
    here = socket.gethostname()
    dead = running_job(f"{here}:{2 ** 22 + 7}")  # above pid_max: no such process
    alive = running_job(f"{here}:{os.getpid()}", beat_age_s=3600)  # this process: alive whatever its heartbeat
    stale = running_job("other-host:42", beat_age_s=settings.GETPOWER_JOB_STALE_SECONDS + 60)
    fresh = running_job("other-host:43", beat_age_s=1)
    spent = running_job("other-host:44", attempts=3, beat_age_s=settings.GETPOWER_JOB_STALE_SECONDS + 60)
    counts = services.recover()
    assert counts == {"retried": 2, "failed": 1, "redelivered": 0}
    for job in (dead, alive, stale, fresh, spent):
        job.refresh_from_db()
    assert (dead.status, stale.status, alive.status, fresh.status, spent.status) == (
        "queued", "queued", "running", "running", "failed")
    assert "已不存在" in dead.log and "心跳已停止" in stale.log and "重新排队" in stale.log
    assert "心跳已停止" in spent.error and "不再重试" in spent.error and spent.finished_at is not None
    assert OrmQ.objects.count() == 2  # the retried ones are delivered again
    # a retried job runs again: the next attempt is counted
    services.run_job(dead.pk, inline=True)
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == ("succeeded", 2)
    services.run_job(dead.pk, inline=True)  # a duplicate delivery is a no-op
    dead.refresh_from_db()
    assert dead.attempts == 2


def test_an_abandoned_import_marks_its_record_failed(province, settings, tmp_path):
    settings.GETPOWER_JOBS_SYNC = False
    settings.MEDIA_ROOT = str(tmp_path)
    from getpower.ledgers.jobs import queue_import

    record, job = queue_import("assets", b"asset_id\n", "x.csv", user=province.users["whpg"])
    Job.objects.filter(pk=job.pk).update(status="running", attempts=3, worker="gone:1",
                                         heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    services.recover()
    job.refresh_from_db()
    record.refresh_from_db()
    assert job.status == "failed" and record.status == "failed"
    assert "心跳已停止" in record.errors[0]["reason"]
    assert not os.path.exists(job.args["path"])


def test_web_upload_of_outages_updates_findings_without_a_command(client, province, settings, tmp_path,
                                                                  django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path)
    login(client, "whpg")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/imports/", {"ledger": "outages",
                                  "file": SimpleUploadedFile("outages.csv", recent_outages().encode())})
    evaluation = Job.objects.get(kind="evaluate")
    assert (evaluation.status, evaluation.actor, evaluation.subject) == ("succeeded", "自动评估", "rule:R3"), \
        evaluation.error
    run = EvaluationRun.objects.get(pk=evaluation.result["run"])
    finding = Finding.objects.get(run=run, asset__asset_id="WH-T1")
    assert finding.status == "breach" and finding.max_60d_count == 4
    assert GovernanceItem.objects.filter(asset__asset_id="WH-T1").exists()
    # the company sees its import and the evaluation it caused; the pages say when they were computed
    page = client.get("/jobs/").content.decode()
    assert f"/jobs/{evaluation.pk}/" in page and "重新评估" in page
    findings = client.get("/outages/findings/").content.decode()
    assert "结果计算于" in findings and f"{timezone.localtime(run.started_at):%Y-%m-%d %H:%M}" in findings


def test_freshness_tells_a_pending_evaluation(province, settings, client):
    assert evaluations.freshness(["R3"])[0]["run"] is None
    services.enqueue("evaluate", args={"domain": "frequent-outages"})
    settings.GETPOWER_JOBS_SYNC = False
    pending = evaluations.request(domains.get("frequent-outages"), reason="测试")
    row = evaluations.freshness(["R3"])[0]
    assert row["run"] is not None and row["pending"] == pending
    login(client, "regulator")
    for url in ("/cockpit/", "/outages/findings/", "/connections/", "/arrears/"):
        html = client.get(url).content.decode()
        assert 'id="freshness"' in html, url
    html = client.get("/outages/findings/").content.decode()
    assert "新数据等待评估" in html and 'hx-get="/jobs/freshness/' in html
    partial = client.get(f"/jobs/freshness/?rules=R3&since={row['run'].pk}").content.decode()
    assert "新数据等待评估" in partial and "刷新页面" not in partial
    partial = client.get("/jobs/freshness/?rules=R3&since=0").content.decode()
    assert "刷新页面" in partial


def test_the_jobs_page_shows_each_user_their_scope(client, province, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    from getpower.ledgers.jobs import queue_import

    _, mine = queue_import("assets", b"asset_id\n", "w.csv", user=province.users["whpg"])
    _, theirs = queue_import("assets", b"asset_id\n", "p.csv", user=province.users["plpg"])
    system = services.enqueue("evaluate", args={"domain": "frequent-outages"}, actor="自动评估")
    login(client, "whpg")
    page = client.get("/jobs/").content.decode()
    assert f"/jobs/{mine.pk}/" in page and f"/jobs/{system.pk}/" in page and f"/jobs/{theirs.pk}/" not in page
    assert client.get(f"/jobs/{theirs.pk}/").status_code == 404
    detail = client.get(f"/jobs/{mine.pk}/").content.decode()
    assert "日志" in detail and "校验未通过" in detail
    client.logout()
    login(client, "kmpg")  # the prefecture company sees the units under it
    assert f"/jobs/{theirs.pk}/" in client.get("/jobs/").content.decode()
    client.logout()
    login(client, "wh_authority")  # a county authority: the companies of its county
    page = client.get("/jobs/").content.decode()
    assert f"/jobs/{mine.pk}/" in page and f"/jobs/{theirs.pk}/" not in page
    client.logout()
    login(client, "regulator")
    page = client.get("/jobs/").content.decode()
    assert f"/jobs/{mine.pk}/" in page and f"/jobs/{theirs.pk}/" in page
    assert "/jobs/" in client.get("/imports/").content.decode()
