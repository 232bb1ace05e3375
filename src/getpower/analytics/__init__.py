"""The portable analytics engine: rules as Ibis expressions over Arrow tables, on DuckDB or Spark."""
