"""Moving data from the operational database into the engine as Arrow.

One query per table through Django's own connection (so it sees the same transaction and works on
SQLite and PostgreSQL alike); timestamps leave the database as integer epoch seconds, computed by
the database itself, so no per-row datetime objects are built in Python."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
from django.db import connection

FETCH = 200_000


def epoch(column: str) -> str:
    """SQL for a timestamp column as integer epoch seconds (NULL stays NULL)."""
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
    if connection.vendor == "sqlite":
        # '%%' because the query always goes through the DB-API with parameters
        return f"CAST(strftime('%%s', {column}) AS INTEGER)"
    raise NotImplementedError(connection.vendor)


def day_number(column: str) -> str:
    """SQL for a DATE column as days since 1970-01-01."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def to_array(values, arrow_type: pa.DataType) -> pa.Array:
    if pa.types.is_boolean(arrow_type):  # SQLite answers 0/1
        return pa.array([None if v is None else bool(v) for v in values], type=arrow_type)
    return pa.array(values, type=arrow_type)


def query_arrow(sql: str, params: Sequence, schema: pa.Schema) -> pa.Table:
    """Run ``sql`` and return its rows as an Arrow table with ``schema`` (columns in select order).

    On PostgreSQL the rows leave the server as one CSV stream (``COPY … TO STDOUT``, inside the
    same transaction) parsed by Arrow's C++ CSV reader: no Python object per value. Elsewhere they
    are fetched through the DB-API in batches."""
    if connection.vendor == "postgresql":
        return _copy_arrow(sql, params, schema)
    batches = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(FETCH)
            if not rows:
                break
            columns = list(zip(*rows, strict=True))
            arrays = [to_array(col, field.type) for col, field in zip(columns, schema, strict=True)]
            batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
    if not batches:
        return schema.empty_table()
    return pa.Table.from_batches(batches, schema=schema)


def _copy_arrow(sql: str, params: Sequence, schema: pa.Schema) -> pa.Table:
    import io

    from pyarrow import csv

    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        # the parameters are bound client-side: COPY takes no server-side parameters
        query = cursor.cursor.mogrify(sql, list(params))
        with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
            for chunk in copy:
                buffer.write(chunk)
    if buffer.tell() == 0:
        return schema.empty_table()
    buffer.seek(0)
    # NULL leaves as an empty unquoted field and '' as a quoted one: keep them apart
    convert = csv.ConvertOptions(column_types={f.name: (pa.int64() if pa.types.is_boolean(f.type) else f.type)
                                               for f in schema},
                                 strings_can_be_null=True, quoted_strings_can_be_null=False)
    table = csv.read_csv(buffer, read_options=csv.ReadOptions(column_names=schema.names, block_size=1 << 24),
                         parse_options=csv.ParseOptions(newlines_in_values=True), convert_options=convert)
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema)
