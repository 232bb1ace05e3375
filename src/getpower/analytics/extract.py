"""Moving data from the operational database into the engine as Arrow.

Timestamps leave the database as integer epoch seconds, computed by the database itself, and no
Python object is built per value:

- large reads (:func:`bulk_read`) on PostgreSQL outside a transaction: the ADBC PostgreSQL driver,
  on a connection of its own with the same parameters as Django's, fetches the rows straight into
  Arrow (binary COPY, decoded in C), every query of the block in one snapshot;
- otherwise on PostgreSQL (a few rows, or inside an ``atomic`` block, whose writes only Django's
  own connection sees): ``COPY (query) TO STDOUT`` as CSV on Django's connection, read by Arrow;
- on SQLite: one CSV text line per row, built by SQLite itself, read by Arrow.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import sqlite3
import threading
from collections.abc import Iterator, Sequence

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


_local = threading.local()


def _adbc_connect():
    """An ADBC connection to the PostgreSQL database Django's connection is on (its parameters and password)."""
    # the ADBC driver takes seconds to import and serves PostgreSQL only: not loaded on the SQLite default
    import adbc_driver_postgresql.dbapi
    from psycopg.conninfo import make_conninfo

    connection.ensure_connection()
    info = connection.connection.info
    conninfo = make_conninfo(info.dsn, password=info.password) if info.password else info.dsn
    return adbc_driver_postgresql.dbapi.connect(conninfo, autocommit=True)


@functools.cache
def _adbc_installed() -> bool:
    return importlib.util.find_spec("adbc_driver_postgresql") is not None


def _adbc_usable() -> bool:
    # inside a transaction only Django's own connection sees what it has written
    return connection.vendor == "postgresql" and not connection.in_atomic_block and _adbc_installed()


@contextlib.contextmanager
def bulk_read(enabled: bool = True) -> Iterator[None]:
    """Large reads: the :func:`query_arrow` calls inside go through ADBC on PostgreSQL outside a
    transaction, in one snapshot (a read-only REPEATABLE READ transaction on one ADBC
    connection). Elsewhere — SQLite, inside an ``atomic`` block, or not ``enabled`` (a few rows,
    where opening a connection would cost more than it saves) — they use Django's connection."""
    if not enabled or getattr(_local, "cursor", None) is not None or not _adbc_usable():
        yield
        return
    with contextlib.closing(_adbc_connect()) as adbc, contextlib.closing(adbc.cursor()) as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        _local.cursor = cursor
        try:
            yield
        finally:
            _local.cursor = None
            cursor.execute("COMMIT")


def query_arrow(sql: str, params: Sequence, schema: pa.Schema, *, via: str = "auto") -> pa.Table:
    """Run ``sql`` and return its rows as an Arrow table with ``schema`` (columns in select order).

    ``via``: "auto" (ADBC inside :func:`bulk_read`, else Django's connection), "adbc" or "django"
    (Django's connection: COPY on PostgreSQL, CSV lines on SQLite)."""
    cursor = getattr(_local, "cursor", None)
    if via == "adbc" or (via == "auto" and cursor is not None and _adbc_usable()):
        with connection.cursor() as django_cursor:  # parameters are bound client-side, as psycopg does for COPY
            query = django_cursor.cursor.mogrify(sql, list(params))
        with contextlib.ExitStack() as stack:
            if cursor is None:
                adbc = stack.enter_context(contextlib.closing(_adbc_connect()))
                cursor = stack.enter_context(contextlib.closing(adbc.cursor()))
            cursor.execute(query)
            table = cursor.fetch_arrow_table()
        return pa.Table.from_arrays([column.cast(f.type) for column, f in zip(table.columns, schema, strict=True)],
                                    schema=schema)
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
