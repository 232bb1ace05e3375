"""Model fields shared by the apps."""

from __future__ import annotations

from django.db import models


class TextJSONField(models.JSONField):
    """JSON kept as written: PostgreSQL's ``json`` type (checked on the way in, stored as text),
    not ``jsonb`` (parsed and rebuilt into a binary form on every insert).

    For documents written in bulk and only ever read whole, never searched inside: the outages
    behind a province run's 170,000 findings are stored in about 0.6 s less. Elsewhere (SQLite)
    it is a plain JSONField."""

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        if value is not None and not isinstance(value, str):  # psycopg parses ``json`` itself
            return value
        return super().from_db_value(value, expression, connection)
