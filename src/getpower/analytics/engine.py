"""Backends for the rule engine.

Rules are written once as Ibis expressions over tables. Tables arrive as Arrow (from the
operational database, see ``getpower.analytics.extract``) and are registered with a backend:
DuckDB embedded by default, Apache Spark (local mode in tests, a cluster at scale) unchanged.
Timestamps travel as integer epoch seconds and days as integer day numbers in China time,
so that range windows are plain integer ranges on every backend (see docs/architecture.md).
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any

import ibis
import pyarrow as pa

BACKENDS = ("duckdb", "spark")
CHINA_OFFSET_SECONDS = 8 * 3600
SECONDS_PER_DAY = 86400

_spark_lock = threading.Lock()
_spark_session = None


def spark_session():
    """One local Spark session per process (starting Spark costs seconds)."""
    global _spark_session
    with _spark_lock:
        if _spark_session is None:
            # pyspark is optional (the "spark" extra) and slow to import: loaded only when Spark runs
            from pyspark.sql import SparkSession

            warehouse = tempfile.mkdtemp(prefix="getpower-spark-")
            master = os.environ.get("GETPOWER_SPARK_MASTER", "local[2]")
            _spark_session = (
                SparkSession.builder.master(master)
                .appName("getpower")
                .config("spark.sql.session.timeZone", "Asia/Shanghai")
                .config("spark.sql.warehouse.dir", warehouse)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", os.environ.get("GETPOWER_SPARK_PARTITIONS", "4"))
                .config("spark.driver.memory", os.environ.get("GETPOWER_SPARK_DRIVER_MEMORY", "2g"))
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .getOrCreate()
            )
            _spark_session.sparkContext.setLogLevel("ERROR")
        return _spark_session


def connect(backend: str = "duckdb"):
    """An Ibis connection to the named backend."""
    if backend == "duckdb":
        # results that need an order say so (ORDER BY); the rest may come back in any order, which
        # spares DuckDB the bookkeeping of keeping insertion order through large intermediates
        return ibis.duckdb.connect(preserve_insertion_order=False)
    if backend == "spark":
        return ibis.pyspark.connect(spark_session())
    raise ValueError(f"unknown analytics backend {backend!r}; choose one of {BACKENDS}")


_counter = 0
_counter_lock = threading.Lock()


def register(con, name: str, table: pa.Table) -> ibis.Table:
    """Register an Arrow table under a unique name and return it as an Ibis table."""
    global _counter
    with _counter_lock:
        _counter += 1
        unique = f"{name}_{_counter}"
    if con.name == "pyspark":
        session = con._session
        # straight from Arrow (one chunk per column: the form Spark's Arrow path takes); through pandas,
        # a null in an integer column would become NaN and be refused
        frame = session.createDataFrame(table.combine_chunks(), schema=_spark_schema(table.schema))
        frame.createOrReplaceTempView(unique)
        return con.table(unique)
    return con.create_table(unique, table, temp=True)


def _spark_schema(schema: pa.Schema):
    # pyspark is optional (the "spark" extra): loaded only when Spark runs
    from pyspark.sql import types as T

    mapping: dict[Any, Any] = {
        pa.int64(): T.LongType(),
        pa.int32(): T.IntegerType(),
        pa.float64(): T.DoubleType(),
        pa.string(): T.StringType(),
        pa.large_string(): T.StringType(),
        pa.bool_(): T.BooleanType(),
    }
    fields = []
    for f in schema:
        spark_type = mapping.get(f.type)
        if spark_type is None:
            raise TypeError(f"column {f.name}: Arrow type {f.type} has no Spark mapping here")
        fields.append(T.StructField(f.name, spark_type, True))
    return T.StructType(fields)


def to_arrow(expr: ibis.Expr) -> pa.Table:
    return expr.to_pyarrow()
