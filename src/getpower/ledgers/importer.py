"""The two-phase ledger importer: validate the whole file and report every error, then commit
atomically. Idempotent by business key: the same file twice changes nothing."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from getpower.core import audit
from getpower.core.models import ImportJob
from getpower.core.scope import Scope, scope_for
from getpower.domains.signals import ledger_changed
from getpower.jobs.services import track

from .columns import CellError, LedgerRow, RowError
from .reader import FileError, read_table
from .registry import Ledger, get_ledger

ProgressFn = Callable[[float, str], None]
log = logging.getLogger("getpower.ledgers")

# PostgreSQL stores no NUL character in text nor in JSON: such a cell ended the import with a server error
# (found by the API fuzzing, docs/security.md). A file holding one is refused before its rows are read.
NUL_MESSAGE = ("第 {row} 行第 {column} 列含有空字符（0x00）：文件可能不是 UTF-8 或 GBK 编码的文本（如 UTF-16）或已损坏，"
               "请另存为 UTF-8 的 CSV 或 .xlsx 后重新上传")


def nul_cell(table: list[list]) -> tuple[int, int] | None:
    """The first cell (row, column; from 1) holding a NUL character."""
    for r, row in enumerate(table, start=1):
        for c, cell in enumerate(row, start=1):
            if isinstance(cell, str) and "\x00" in cell:
                return r, c
    return None


@dataclass
class ImportContext:
    user: Any
    scope: Scope
    job: ImportJob | None = None
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, row: int, column: str, value: Any, reason: str) -> None:
        self.errors.append(RowError(row, column, value, reason))


@dataclass
class ImportResult:
    job: ImportJob
    ledger: Ledger
    ok: bool
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


class SystemUser:
    """The command line acts as the platform (administrator rights); jobs record it as 'cli'."""

    is_authenticated = False
    is_superuser = True
    pk = None

    def get_username(self) -> str:
        return "cli"


def map_header(ledger: Ledger, header: list, ctx: ImportContext) -> dict[int, str] | None:
    """Column index → column code, by code or Chinese label, ignoring case and spaces."""
    lookup = {}
    for col in ledger.columns:
        lookup[col.code.lower()] = col.code
        lookup[col.label.strip().lower()] = col.code
    mapping: dict[int, str] = {}
    for index, name in enumerate(header):
        text = "" if name is None else str(name).strip()
        if not text:
            continue
        code = lookup.get(text.lower())
        if code is None:
            ctx.warnings.append(f"未知列“{text}”已忽略")
            continue
        if code in mapping.values():
            ctx.error(1, code, text, "列重复")
            continue
        mapping[index] = code
    present = set(mapping.values())
    for col in ledger.columns:
        if col.required and col.code not in present:
            ctx.error(1, col.code, "", f"缺少必填列“{col.code}”（{col.label}）")
    return None if ctx.errors else mapping


def parse_rows(ledger: Ledger, rows: list[list], mapping: dict[int, str], ctx: ImportContext,
               progress: ProgressFn | None = None) -> list[LedgerRow]:
    columns = {c.code: c for c in ledger.columns}
    parsed: list[LedgerRow] = []
    absent = [c for c in ledger.columns if c.code not in mapping.values()]
    items = list(mapping.items())
    total = max(len(rows) - 1, 1)
    for offset, raw_row in enumerate(rows[1:]):
        number = offset + 2
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in raw_row):
            continue  # blank lines are not rows
        values: dict[str, Any] = {}
        bad: set[str] = set()
        for index, code in items:
            raw = raw_row[index] if index < len(raw_row) else None
            col = columns[code]
            try:
                value = col.parse(raw)
            except CellError as exc:
                ctx.error(number, code, raw, str(exc))
                bad.add(code)
                values[code] = None
                continue
            if value is None and col.required:
                ctx.error(number, code, raw, "必填项为空")
                bad.add(code)
            values[code] = value
        for col in absent:
            values[col.code] = col.default
        parsed.append(LedgerRow(number, values, bad))
        if progress and offset % 20000 == 0:
            progress(0.1 + 0.4 * offset / total, "校验中")
    # business keys are unique within the file
    seen: dict[tuple, int] = {}
    for row in parsed:
        key = tuple(row.values.get(k) for k in ledger.key)
        if None in key:
            continue
        if key in seen:
            ctx.error(row.number, ledger.key[-1], "/".join(map(str, key)), f"与第 {seen[key]} 行的业务主键重复")
        else:
            seen[key] = row.number
    return parsed


def run_import(
    ledger_name: str,
    data: bytes,
    file_name: str,
    *,
    user=None,
    dry_run: bool = False,
    channel: str = "cli",
    progress: ProgressFn | None = None,
    job: ImportJob | None = None,
) -> ImportResult:
    """Validate and (unless dry_run or invalid) commit one ledger file. Always records a job."""
    started = time.monotonic()
    file_name = file_name.replace("\x00", "")
    ledger = get_ledger(ledger_name)
    actor = user if user is not None else SystemUser()
    scope = scope_for(actor) if getattr(actor, "is_authenticated", False) else Scope(role="admin", everything=True)
    if job is None:
        job = ImportJob.objects.create(
            ledger=ledger.name,
            user=actor if getattr(actor, "is_authenticated", False) else None,
            actor=audit.actor_name(actor) if getattr(actor, "is_authenticated", False) else actor.get_username(),
            channel=channel,
            file_name=file_name[:255],
            file_sha256=hashlib.sha256(data).hexdigest(),
            file_bytes=len(data),
            dry_run=dry_run,
        )
    # every import is a job row (getpower.jobs): the worker's import job itself, or one recorded here
    with track("import", label=f"{ledger.label}：{file_name}", user=actor, actor=job.actor, subject=f"import:{job.pk}",
               args={"ledger": ledger.name, "file_name": file_name, "dry_run": dry_run, "channel": channel,
                     "import_job": job.pk}) as tracked:
        if progress is None or tracked.nested:  # a job's task passes the job's own progress
            report = progress or tracked.progress
        else:
            report = both(progress, tracked.progress)
        result = validate_and_write(ledger, data, file_name, actor=actor, scope=scope, job=job, dry_run=dry_run,
                                    progress=report, started=started)
        tracked.result = {"import_job": job.pk, "ok": result.ok, "added": result.added, "updated": result.updated,
                          "unchanged": result.unchanged, "errors": len(result.errors)}
        if not result.ok:
            tracked.fail(f"校验未通过：{len(result.errors)} 处错误，未写入任何数据（导入记录 {job.pk}）")
    return result


def both(first: ProgressFn, second: ProgressFn) -> ProgressFn:
    def report(fraction: float, stage: str) -> None:
        first(fraction, stage)
        second(fraction, stage)

    return report


def validate_and_write(ledger: Ledger, data: bytes, file_name: str, *, actor, scope: Scope, job: ImportJob,
                       dry_run: bool, progress: ProgressFn | None, started: float) -> ImportResult:
    ctx = ImportContext(user=actor, scope=scope, job=job)
    result = ImportResult(job=job, ledger=ledger, ok=False)

    def report(fraction: float, stage: str) -> None:
        job.progress = fraction
        ImportJob.objects.filter(pk=job.pk).update(progress=fraction)
        if progress:
            progress(fraction, stage)

    limit = settings.GETPOWER_IMPORT_MAX_BYTES
    rows: list[LedgerRow] = []
    if len(data) > limit:
        ctx.error(0, "", file_name, f"文件过大：{len(data) / 1048576:.1f} MB，超过上限 {limit / 1048576:.0f} MB，请分批导入")
    else:
        try:
            table = read_table(data, file_name, ledger.name)
        except FileError as exc:
            ctx.error(0, "", file_name, str(exc))
        else:
            report(0.05, "读取完成")
            nul = nul_cell(table)
            mapping = map_header(ledger, table[0], ctx) if nul is None else None
            if nul is not None:
                ctx.error(nul[0], "", "", NUL_MESSAGE.format(row=nul[0], column=nul[1]))
            if mapping is not None:
                rows = parse_rows(ledger, table, mapping, ctx, report)
                report(0.5, "业务校验")
                # reference and cross-field checks run on every row too, so that the report is complete
                ledger.validate(rows, ctx)
    result.warnings = ctx.warnings + ledger.notes(rows, ctx) if not ctx.errors else ctx.warnings
    job.rows_total = len(rows)
    if ctx.errors:
        labels = {c.code: c.label for c in ledger.columns}
        ctx.errors.sort(key=lambda e: (e.row, ledger.column_order(e.column)))
        result.errors = [e.as_dict(labels) for e in ctx.errors]
        job.status = ImportJob.Status.REJECTED
        job.errors = result.errors[:5000]
    else:
        report(0.6, "写入中")
        try:
            with transaction.atomic():
                counts = ledger.write(rows, ctx)
                if dry_run:
                    transaction.set_rollback(True)
                elif counts[0] or counts[1]:
                    # the rules that read this ledger are re-evaluated once the rows are visible to others
                    transaction.on_commit(lambda: notify_changed(ledger.name, job))
        except Exception:
            job.status = ImportJob.Status.FAILED
            job.finished_at = timezone.now()
            job.duration_seconds = time.monotonic() - started
            job.save()
            raise
        result.added, result.updated, result.unchanged = counts
        result.ok = True
        job.status = ImportJob.Status.SUCCEEDED
    job.warnings = result.warnings[:1000]
    job.rows_added, job.rows_updated, job.rows_unchanged = result.added, result.updated, result.unchanged
    job.progress = 1.0
    job.finished_at = timezone.now()
    job.duration_seconds = time.monotonic() - started
    job.save()
    return result


def notify_changed(ledger_name: str, job: ImportJob) -> None:
    """``ledger_changed`` after the import's commit; a failing receiver is logged, the import stands."""
    for receiver, outcome in ledger_changed.send_robust(sender=ledger_name, job=job):
        if isinstance(outcome, Exception):
            log.error("ledger_changed receiver %r failed after import %s", receiver, job.pk, exc_info=outcome)
