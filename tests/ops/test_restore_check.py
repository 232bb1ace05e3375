"""The tested restore of docs/operations.md: ``scripts/restore-check.py`` dumps a getpower database,
restores it into a scratch database and compares every table's row count — and notices when they differ.

PostgreSQL only (``postgres``: the PostgreSQL pass runs it, required under CI=1): it makes its own source
database on the test server (``getpower migrate`` and two small ledgers), outside the suite's test database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from tests.factories import ASSETS, ORGANISATIONS

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "restore-check.py"
GETPOWER = Path(sys.executable).with_name("getpower")


def server_url(dbname: str) -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture
def source(tmp_path):
    missing = [t for t in ("pg_dump", "pg_restore") if shutil.which(t) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (Debian: postgresql-client-15)"
        if os.environ.get("GETPOWER_REQUIRE_ALL"):
            pytest.fail(message + ", required under CI", pytrace=False)
        pytest.skip(message)
    name = f"getpower_rc_{os.getpid()}"
    admin = server_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = server_url(name)
    env = {**os.environ, "GETPOWER_DATABASE_URL": url, "GETPOWER_HOME": str(tmp_path)}
    try:
        assert run(GETPOWER, "migrate", env=env).returncode == 0
        for ledger, text in (("organisations", ORGANISATIONS), ("assets", ASSETS)):
            (tmp_path / f"{ledger}.csv").write_text(text, encoding="utf-8")
            done = run(GETPOWER, "import", ledger, tmp_path / f"{ledger}.csv", env=env)
            assert done.returncode == 0, done.stderr
        yield url, name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for db in (name, name + "_restore_check"):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))


def test_a_dump_restores_with_every_row_and_a_difference_is_reported(source, tmp_path):
    source, name = source
    dump = tmp_path / "getpower.dump"
    done = run(sys.executable, SCRIPT, "check", source, dump)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: every table" in done.stdout
    assert [line.split() for line in done.stdout.splitlines() if line.strip().startswith("grid_asset")] == [
        ["grid_asset", "7", "ok"]]
    counts = json.loads(dump.with_name("getpower.dump.counts.json").read_text(encoding="utf-8"))["tables"]
    assert counts["core_organisation"] == 11 and counts["grid_asset"] == 7 and counts["core_region"] > 1000
    with psycopg.connect(server_url("postgres")) as conn:  # the scratch database is gone again
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s",
                            [name + "_restore_check"]).fetchone()[0] == 0

    # a backup that lost rows (here: counts that say there were more) fails, naming the table
    manifest = dump.with_name("getpower.dump.counts.json")
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["tables"]["grid_asset"] += 1
    manifest.write_text(json.dumps(data), encoding="utf-8")
    done = run(sys.executable, SCRIPT, "verify", dump, source)
    assert done.returncode == 1
    assert "grid_asset: 7 rows restored, 8 in the source" in done.stderr

    # a damaged dump file fails in pg_restore
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    done = run(sys.executable, SCRIPT, "verify", dump, source)
    assert done.returncode == 1 and "pg_restore failed" in done.stderr
