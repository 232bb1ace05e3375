"""Database triggers: a submitted filing version cannot be changed even by SQL below the ORM.

PostgreSQL refuses UPDATE and DELETE of a version row. SQLite refuses UPDATE; DELETE is refused by the
model and its manager (and PROTECT from the filing) — a SQLite delete trigger would also block the test
runner's table flush, which PostgreSQL does with TRUNCATE, which row triggers do not see."""

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS filings_version_no_update BEFORE UPDATE ON filings_filingversion "
    "BEGIN SELECT RAISE(ABORT, 'filing versions are immutable'); END;",
]
POSTGRES = [
    "CREATE OR REPLACE FUNCTION filings_version_immutable() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'filing versions are immutable'; END; $$ LANGUAGE plpgsql;",
    "DROP TRIGGER IF EXISTS filings_version_no_change ON filings_filingversion;",
    "CREATE TRIGGER filings_version_no_change BEFORE UPDATE OR DELETE ON filings_filingversion "
    "FOR EACH ROW EXECUTE FUNCTION filings_version_immutable();",
]


def forwards(apps, schema_editor):
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS filings_version_no_update;")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS filings_version_no_change ON filings_filingversion;")


class Migration(migrations.Migration):
    dependencies = [("filings", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
