"""Imports as background jobs: the web page stores the uploaded file and queues an ``import`` job; the
worker reads it back and runs the two-phase importer. Registered in ``LedgersConfig.ready()``."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from getpower.core import audit
from getpower.core.models import ImportJob
from getpower.core.scope import organisation_of
from getpower.jobs.models import Job
from getpower.jobs.registry import JobRejected
from getpower.jobs.services import enqueue

from .importer import run_import
from .registry import get_ledger

UPLOADS = "uploads"  # under MEDIA_ROOT; a file is removed once its job has ended


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / UPLOADS
    path.mkdir(parents=True, exist_ok=True)
    return path


def queue_import(ledger_name: str, data: bytes, file_name: str, *, user=None, dry_run: bool = False,
                 channel: str = "web") -> tuple[ImportJob, Job]:
    """Record the import (``ImportJob``, shown at once as queued), keep the file, queue the job. Without
    a signed-in ``user`` the import acts as the platform (as ``getpower import`` does)."""
    ledger = get_ledger(ledger_name)
    digest = hashlib.sha256(data).hexdigest()
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    record = ImportJob.objects.create(
        ledger=ledger.name, channel=channel, user=user if signed_in else None,
        actor=audit.actor_name(user) if signed_in else channel,
        organisation=organisation_of(user) if signed_in else None, file_name=file_name[:255], file_sha256=digest,
        file_bytes=len(data), dry_run=dry_run)
    suffix = re.sub(r"[^A-Za-z0-9.]", "", Path(file_name).suffix)[:8] or ".csv"
    path = upload_dir() / f"import-{record.pk}-{digest[:16]}{suffix}"
    path.write_bytes(data)
    job = enqueue("import", label=f"{ledger.label}：{file_name}"[:200], user=user, actor=record.actor,
                  subject=f"import:{record.pk}",
                  args={"ledger": ledger.name, "file_name": file_name, "path": str(path), "dry_run": dry_run,
                        "channel": channel, "import_job": record.pk, "user": user.pk if signed_in else None})
    return record, job


def import_task(job: Job, progress) -> dict:
    """The import job: the file validated and (if clean) written in one transaction, as ``run_import``."""
    a = job.args
    path = Path(a["path"])
    if not path.is_file():
        raise JobRejected(f"上传的文件已不存在：{path.name}")
    user = get_user_model().objects.filter(pk=a.get("user")).first() if a.get("user") else None
    record = ImportJob.objects.filter(pk=a.get("import_job")).first()
    if record is not None and job.attempts > 1:
        # an earlier attempt was interrupted: its transaction left nothing; start the record afresh
        record.status, record.progress, record.errors, record.warnings = ImportJob.Status.RUNNING, 0.0, [], []
        record.save(update_fields=["status", "progress", "errors", "warnings"])
    result = run_import(a["ledger"], path.read_bytes(), a["file_name"], user=user, dry_run=a.get("dry_run", False),
                        channel=a.get("channel", "web"), job=record, progress=progress)
    summary = {"import_job": result.job.pk, "ok": result.ok, "added": result.added, "updated": result.updated,
               "unchanged": result.unchanged, "errors": len(result.errors)}
    if not result.ok:
        raise JobRejected(f"校验未通过：{len(result.errors)} 处错误，未写入任何数据（导入记录 {result.job.pk}）")
    return summary


def import_finished(job: Job) -> None:
    """The job has ended for good: remove the stored file; an import record left running (the job was
    abandoned after its last attempt) is marked failed with the job's reason."""
    if job.args.get("path"):
        Path(job.args["path"]).unlink(missing_ok=True)
    if job.status != Job.Status.SUCCEEDED and job.args.get("import_job"):
        ImportJob.objects.filter(pk=job.args["import_job"], status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.FAILED, errors=[{"row": 0, "column": "", "label": "", "value": "",
                                                     "reason": f"导入失败：{job.error}"}])
