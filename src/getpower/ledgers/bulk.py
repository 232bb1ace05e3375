"""Writing many rows at once: :func:`fast_insert` (COPY on PostgreSQL, executemany elsewhere) for new
records, :func:`upsert` for a ledger import (create, update with an audit row, leave equal ones) and
:func:`stored_values` to compare against. Used by the ledgers' ``write`` and by the evaluation runs
that store their findings."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from django.db import connection
from django.utils import timezone
from pyarrow import csv

from getpower.core import audit
from getpower.core.models import AuditLog

if TYPE_CHECKING:
    from .importer import ImportContext


class RawJSON(str):
    """JSON text encoded already: :func:`fast_insert` stores it as it is in a JSONField."""


def _same_value(value):
    return value


_INTEGER_TYPES = ("IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
                  "PositiveSmallIntegerField", "PositiveBigIntegerField", "AutoField", "BigAutoField")


@dataclass(frozen=True)
class _Single:
    """One value for every record of a :func:`fast_insert` (a default may itself be a list)."""

    value: Any


def _csv_column(field, given, count: int):
    """One column for PostgreSQL's COPY in CSV format, as an Arrow array (``None`` is NULL; Arrow
    writes it as an empty unquoted field and quotes every string, so '' stays apart from NULL).

    ``given``: an Arrow array, a list with one value per record, or a :class:`_Single`.
    Values Arrow takes as they are (integers, dates, aware times, text) are converted in C++; the
    rest go through their text form, which PostgreSQL's own input functions parse."""
    internal = (field.target_field if field.is_relation else field).get_internal_type()
    arrow_type = (pa.int64() if internal in _INTEGER_TYPES else pa.float64() if internal == "FloatField"
                  else pa.bool_() if internal == "BooleanField" else pa.date32() if internal == "DateField"
                  else pa.timestamp("us", tz="UTC") if internal == "DateTimeField"
                  else None if internal in ("JSONField", "DecimalField") else pa.string())
    if isinstance(given, pa.ChunkedArray | pa.Array):
        return given.cast(arrow_type or pa.string())
    single = isinstance(given, _Single)
    values = [given.value] if single else given
    column = None
    if arrow_type is not None:
        try:
            column = pa.array(values, arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            column = None
    if column is None:
        if internal == "JSONField":
            encoder = field.encoder

            def text(v):
                return str(v) if isinstance(v, RawJSON) else json.dumps(v, cls=encoder)
        elif internal == "BooleanField":
            def text(v):
                return "t" if v else "f"
        elif internal in ("DateField", "DateTimeField", "TimeField"):
            def text(v):
                return v.isoformat() if hasattr(v, "isoformat") else str(v)
        else:
            text = str
        column = pa.array([None if v is None else text(v) for v in values], pa.string())
    return pa.repeat(column[0], count) if single else column


def _db_value(field, connection):
    """A converter from a Python value to what the database driver takes, decided once per field."""
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        if connection.vendor == "sqlite":
            # what Django's SQLite adapter stores for an aware time (USE_TZ): naive UTC text
            return lambda v: None if v is None else str(v.astimezone(dt.UTC).replace(tzinfo=None))
        return _same_value
    if internal == "DateField" and connection.vendor == "sqlite":
        return lambda v: None if v is None else v.isoformat()
    if internal == "JSONField":
        return lambda v: str(v) if isinstance(v, RawJSON) else field.get_db_prep_save(v, connection)
    return _same_value


def fast_insert(model, rows: list[dict[str, Any]] | None = None, *, columns: dict[str, Any] | None = None,
                batch_size: int = 5000) -> None:
    """Insert many new records without building a model instance per row: COPY on PostgreSQL,
    executemany elsewhere.

    A ledger import or an evaluation run of hundreds of thousands of rows spends most of its time
    in the ORM's per-instance and per-field machinery; here each field's converter runs once per
    column. Give either ``rows`` (dicts by field name or attname, e.g. ``company`` or
    ``company_id``) or ``columns`` (field name or attname → a list or an Arrow array with one value
    per record, or one value for every record). Missing fields take their defaults; a ``RawJSON`` value,
    or any value of an Arrow column, goes into a JSONField as it is (JSON text)."""
    if columns is None:
        columns = _columns_of(model, rows or [])
    lengths = {len(v) for v in columns.values() if isinstance(v, list | pa.Array | pa.ChunkedArray)}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    count = lengths.pop() if lengths else 0
    if count == 0:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    given_by_field = []  # per field: a list or an Arrow array (one value per record), or a _Single
    for f in fields:
        if f.attname in columns or f.name in columns:
            given = columns[f.attname] if f.attname in columns else columns[f.name]
            if not isinstance(given, list | pa.Array | pa.ChunkedArray):
                given = _Single(given)
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            given = _Single(now)
        else:
            given = _Single(f.get_default())  # '' for a text field without a default; a default may be a list
        if f.is_relation and isinstance(given, _Single):  # a model instance stands for its key
            given = _Single(getattr(given.value, "pk", given.value))
        elif f.is_relation and isinstance(given, list):
            given = [getattr(v, "pk", v) for v in given]
        given_by_field.append(given)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    if connection.vendor == "postgresql":
        # COPY in CSV format written by Arrow's C++ writer: one stream instead of one statement per
        # row, and no Python call per value
        data = pa.Table.from_arrays([_csv_column(f, given, count) for f, given in zip(fields, given_by_field,
                                                                                        strict=True)],
                                    names=[f.attname for f in fields])
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
            for start in range(0, count, batch_size):
                sink = io.BytesIO()
                csv.write_csv(data.slice(start, batch_size), sink, csv.WriteOptions(include_header=False))
                copy.write(sink.getbuffer())
        return
    values = []
    for f, given in zip(fields, given_by_field, strict=True):
        convert = _db_value(f, connection)
        if isinstance(given, pa.ChunkedArray | pa.Array):
            given = given.to_pylist()
            if f.get_internal_type() == "JSONField":  # an Arrow column for a JSONField holds JSON text
                given = [None if v is None else RawJSON(v) for v in given]
        if isinstance(given, _Single):  # one value for every record: converted once
            values.append([convert(given.value)] * count)
        else:
            values.append(given if convert is _same_value else [convert(v) for v in given])
    records = list(zip(*values, strict=True))
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        for start in range(0, count, batch_size):
            cursor.executemany(sql, records[start:start + batch_size])


def _columns_of(model, rows: list[dict[str, Any]]) -> dict[str, list]:
    """Rows (dicts by field name or attname) as columns by attname, a missing key as the default."""
    names = set().union(*(row.keys() for row in rows)) if rows else set()
    out = {}
    for f in model._meta.concrete_fields:
        key = f.attname if f.attname in names else f.name if f.name in names else None
        if key is None or f.primary_key:
            continue
        missing = object()
        column = [row.get(key, missing) for row in rows]
        if any(v is missing for v in column):
            default = f.get_default()
            column = [default if v is missing else v for v in column]
        out[key] = column
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9
    return a == b


def stored_values(model, **filters) -> list[dict[str, Any]]:
    """Stored records as plain dicts by attname (cheaper than model instances for comparing)."""
    names = [f.attname for f in model._meta.concrete_fields]
    return list(model.objects.filter(**filters).values(*names))


def upsert(
    model,
    items: Iterable[tuple[tuple, dict[str, Any], int | None]],
    existing: dict[tuple, Any],
    ctx: ImportContext,
    *,
    object_type: str,
    batch_size: int = 5000,
) -> tuple[int, int, int]:
    """Create new records, update changed ones (audited with before/after), leave equal ones.

    ``items``: (business key, model field values by field name — a relation given by its key or as a
    record — and the owning organisation's key); ``existing``: business key → the stored record, as a
    model instance or as a dict of its values by attname (with "id").
    Creations are audited once per import and owning organisation (the job records the file and its
    hash; the organisation puts the audit row in the jurisdiction of the authorities over it, as the
    audit page filters by it); each update gets its own audit row."""
    to_create, to_update, logs = [], [], []
    created_by_org: dict[int | None, int] = {}
    changed_fields: set[str] = set()
    unchanged = 0
    job_id = ctx.job.pk if ctx.job else None
    for key, fields, org_id in items:
        current = existing.get(key)
        if current is None:
            to_create.append(fields)
            created_by_org[org_id] = created_by_org.get(org_id, 0) + 1
            continue
        if isinstance(current, dict):
            current = model(**current)
        diff = {}
        for name, value in fields.items():
            attname = model._meta.get_field(name).attname
            old = getattr(current, attname)
            new = value.pk if hasattr(value, "pk") else value
            if not _same(old, new):
                diff[name] = (old, new)
        if not diff:
            unchanged += 1
            continue
        for name, value in fields.items():  # a relation by its key (``county``: a code) or as a record
            setattr(current, model._meta.get_field(name).attname, value.pk if hasattr(value, "pk") else value)
        changed_fields.update(diff)
        to_update.append(current)
        logs.append(
            audit.build(
                user=ctx.user,
                action="update",
                object_type=object_type,
                object_id="/".join(map(str, key)),
                before={k: v[0] for k, v in diff.items()},
                after={k: v[1] for k, v in diff.items()},
                reason=f"台账导入（任务 {job_id}）",
                organisation_id=org_id,
                job_id=job_id,
            )
        )
    if to_create:
        fast_insert(model, to_create, batch_size=batch_size)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields), batch_size=batch_size)
    for org_id, created in sorted(created_by_org.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        logs.append(
            audit.build(
                user=ctx.user,
                action="import",
                object_type=object_type,
                object_id=f"job:{job_id}",
                after={"created": created},
                reason=f"台账导入（任务 {job_id}）新增 {created} 条",
                organisation_id=org_id,
                job_id=job_id,
            )
        )
    AuditLog.objects.bulk_create(logs, batch_size=batch_size)
    return len(to_create), len(to_update), unchanged
