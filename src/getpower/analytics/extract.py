"""Moving data from the operational database into the engine as Arrow.

One query per table through Django's own connection (so it sees the same transaction and works on
SQLite and PostgreSQL alike); timestamps leave the database as integer epoch seconds, computed by
the database itself, and the rows travel as CSV text read by Arrow, so no Python object is built
per value."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Sequence

import pyarrow as pa
from django.db import connection
from pyarrow import csv

FETCH = 200_000


def epoch(column: str) -> str:
    """SQL for a timestamp column as integer epoch seconds (NULL stays NULL)."""
    if connection.vendor == "postgresql":
        # date_part gives a double (EXTRACT a numeric, a quarter slower); whole seconds are exact in a double
        return f"CAST(FLOOR(date_part('epoch', {column})) AS BIGINT)"
    if connection.vendor == "sqlite":
        if sqlite3.sqlite_version_info >= (3, 38):  # unixepoch() parses about twice as fast
            return f"unixepoch({column})"
        # '%%' because the query always goes through the DB-API with parameters
        return f"CAST(strftime('%%s', {column}) AS INTEGER)"
    raise NotImplementedError(connection.vendor)


def day_number(column: str) -> str:
    """SQL for a DATE column as days since 1970-01-01."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def query_arrow(sql: str, params: Sequence, schema: pa.Schema) -> pa.Table:
    """Run ``sql`` and return its rows as an Arrow table with ``schema`` (columns in select order).

    The rows travel as CSV text parsed by Arrow's C++ reader, so no Python object is made per
    value: on PostgreSQL one ``COPY (query) TO STDOUT`` stream; on SQLite one text line per row,
    built by SQLite itself. Both run on Django's own connection, inside the current transaction."""
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY takes no server-side parameters: they are bound client-side
            query = cursor.cursor.mogrify(sql, list(params))
            with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
        else:
            cursor.execute(csv_lines_sql(sql, schema), params)
            while rows := cursor.fetchmany(FETCH):
                buffer.write("\n".join([row[0] for row in rows]).encode())
                buffer.write(b"\n")
    return read_csv(buffer, schema)


def csv_lines_sql(sql: str, schema: pa.Schema) -> str:
    """``sql`` wrapped so that each row comes back as one CSV line: strings quoted (so '' stays
    apart from NULL, which is an empty unquoted field), everything else as the database prints it."""
    names = [f"c{i}" for i in range(len(schema))]
    fields = []
    for name, field in zip(names, schema, strict=True):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            fields.append(f"""COALESCE('"' || REPLACE({name}, '"', '""') || '"', '')""")
        else:
            fields.append(f"COALESCE(CAST({name} AS TEXT), '')")
    line = " || ',' || ".join(fields)
    return f"WITH q({', '.join(names)}) AS ({sql}) SELECT {line} FROM q"


def read_csv(buffer: io.BytesIO, schema: pa.Schema) -> pa.Table:
    """CSV rows (no header, the columns of ``schema`` in order) as an Arrow table with ``schema``."""
    if buffer.tell() == 0:
        return schema.empty_table()
    buffer.seek(0)
    # booleans arrive as 0/1 (SQLite) or t/f (PostgreSQL); NULL is an empty unquoted field
    convert = csv.ConvertOptions(
        column_types={f.name: f.type for f in schema}, strings_can_be_null=True, quoted_strings_can_be_null=False,
        true_values=["1", "t", "true"], false_values=["0", "f", "false"])
    table = csv.read_csv(buffer, read_options=csv.ReadOptions(column_names=schema.names, block_size=1 << 24),
                         parse_options=csv.ParseOptions(newlines_in_values=True), convert_options=convert)
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema)
