#!/usr/bin/env python3
"""Backups of the getpower database that are known to restore (docs/operations.md, "备份与恢复演练").

    restore-check.py dump   SOURCE_URL FILE        pg_dump (custom format) + FILE.counts.json
    restore-check.py verify FILE SERVER_URL        restore FILE into a scratch database on SERVER_URL's
                                                   server and compare every table's row count
    restore-check.py check  SOURCE_URL FILE        both, in one go (the nightly job)

``dump`` takes the row count of every table of the source *in the same snapshot* as the dump
(``pg_export_snapshot()`` + ``pg_dump --snapshot``), so the comparison is exact even while the platform
keeps writing, and stores them beside the dump (``FILE.counts.json``). ``verify`` creates the database
``<name>_restore_check`` (``--scratch NAME`` to choose; an existing one is dropped only if its name ends
in ``_restore_check``), runs ``pg_restore --exit-on-error`` into it, counts every table and compares with
the stored counts — or, for a dump made by plain ``pg_dump`` without counts, with ``--source URL`` (exact
only while nobody writes to the source) — then drops it (``--keep`` keeps it for a look).

Exit status: 0 the restore is complete and every count matches; 1 a table is missing, extra or has a
different count, or pg_restore failed; 2 wrong usage or a tool is missing. Needs ``pg_dump`` and
``pg_restore`` of the server's major version (Debian: postgresql-client-15) and psycopg (in getpower's
virtual environment). URLs are libpq URIs: ``postgresql://user@host:5432/dbname`` (a password from
``~/.pgpass`` or ``PGPASSWORD``; ``postgresql:///getpower?host=/var/run/postgresql`` for the local socket).
The role creating the scratch database needs CREATEDB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

try:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
except ImportError:  # pragma: no cover - run with getpower's python
    sys.exit("restore-check: psycopg is missing: run it with getpower's python (e.g. /opt/getpower/venv/bin/python)")

# shown first in the report: the tables an operator recognises (every table is compared)
MAIN_TABLES = [
    "core_organisation", "core_region", "auth_user", "core_apitoken", "grid_asset", "outages_outage",
    "outages_finding", "outages_governanceitem", "connections_application", "arrears_arrearscase",
    "filings_filing", "filings_filingversion", "core_importjob", "jobs_job", "core_auditlog", "core_evaluationrun",
]
SUFFIX = "_restore_check"


class Failure(Exception):
    """The check failed (exit 1)."""


def counts_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".counts.json")


def table_counts(conn) -> dict[str, int]:
    """Row count of every table of the public schema, in the connection's current transaction."""
    names = [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name")]
    return {name: conn.execute(sql.SQL("SELECT count(*) FROM public.{}").format(sql.Identifier(name))).fetchone()[0]
            for name in names}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        print(f"restore-check: {name} not found (Debian: apt-get install postgresql-client-15)", file=sys.stderr)
        sys.exit(2)
    return path


def dump(source: str, file: Path) -> dict[str, int]:
    """pg_dump in one exported snapshot, the row counts read in the same snapshot."""
    pg_dump = tool("pg_dump")
    started = time.monotonic()
    with psycopg.connect(source) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = table_counts(conn)
        version = conn.execute("SHOW server_version").fetchone()[0]
        done = subprocess.run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={file}",
                               f"--dbname={source}"], capture_output=True, text=True)
        conn.rollback()
    if done.returncode != 0:
        raise Failure(f"pg_dump failed: {done.stderr.strip()}")
    manifest = {"database": conninfo_to_dict(source).get("dbname"), "server_version": version,
                "made_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "tables": counts}
    counts_path(file).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"dump: {file} ({file.stat().st_size / 1048576:.1f} MiB, {len(counts)} tables, "
          f"{sum(counts.values()):,} rows, {time.monotonic() - started:.1f} s)")
    return counts


def expected_counts(file: Path, source: str | None) -> tuple[dict[str, int], str]:
    manifest = counts_path(file)
    if manifest.exists():
        return json.loads(manifest.read_text(encoding="utf-8"))["tables"], f"{manifest.name} (the dump's snapshot)"
    if source is None:
        print(f"restore-check: {manifest} not found; give --source URL to compare with the live database",
              file=sys.stderr)
        sys.exit(2)
    with psycopg.connect(source) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return table_counts(conn), "the live source (exact only if nobody wrote since the dump)"


def verify(file: Path, server: str, *, scratch: str | None = None, source: str | None = None,
           keep: bool = False) -> None:
    pg_restore = tool("pg_restore")
    if not file.exists():
        raise Failure(f"{file} does not exist")
    expected, against = expected_counts(file, source)
    params = conninfo_to_dict(server)
    scratch = scratch or f"{params.get('dbname') or 'getpower'}{SUFFIX}"
    admin = make_conninfo(server, dbname="postgres")
    target = make_conninfo(server, dbname=scratch)
    started = time.monotonic()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch]).fetchone()
        if exists and not scratch.endswith(SUFFIX):
            raise Failure(f"the scratch database {scratch} exists and its name does not end in {SUFFIX}: "
                          "not touching it")
        if exists:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(scratch)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        done = subprocess.run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
                               f"--dbname={target}", str(file)], capture_output=True, text=True)
        if done.returncode != 0:
            raise Failure(f"pg_restore failed: {done.stderr.strip()}")
        with psycopg.connect(target) as conn:
            restored = table_counts(conn)
        report(expected, restored, against, time.monotonic() - started, scratch)
    finally:
        if not keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))


def report(expected: dict[str, int], restored: dict[str, int], against: str, seconds: float, scratch: str) -> None:
    problems = []
    for name in sorted(set(expected) | set(restored)):
        if name not in restored:
            problems.append(f"{name}: missing from the restore ({expected[name]:,} rows in the source)")
        elif name not in expected:
            problems.append(f"{name}: in the restore but not in the source")
        elif expected[name] != restored[name]:
            problems.append(f"{name}: {restored[name]:,} rows restored, {expected[name]:,} in the source")
    print(f"restore into {scratch}: {len(restored)} tables, {sum(restored.values()):,} rows, {seconds:.1f} s; "
          f"compared with {against}")
    width = max(len(n) for n in MAIN_TABLES)
    for name in MAIN_TABLES:
        if name in expected or name in restored:
            mark = "ok" if expected.get(name) == restored.get(name) else "MISMATCH"
            print(f"  {name:<{width}}  {restored.get(name, 0):>12,}  {mark}")
    if problems:
        raise Failure("row counts differ:\n  " + "\n  ".join(problems))
    print(f"OK: every table ({len(restored)}) has the source's row count")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="restore-check.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("dump", help="pg_dump SOURCE_URL into FILE, with the row counts of its snapshot")
    p.add_argument("source")
    p.add_argument("file", type=Path)
    p = sub.add_parser("verify", help="restore FILE into a scratch database on SERVER_URL and compare")
    p.add_argument("file", type=Path)
    p.add_argument("server")
    p.add_argument("--source", help="compare with this live database when FILE has no .counts.json")
    p.add_argument("--scratch", help=f"the scratch database's name (default: <SERVER_URL's database>{SUFFIX})")
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    p = sub.add_parser("check", help="dump SOURCE_URL into FILE, then verify it on the same server")
    p.add_argument("source")
    p.add_argument("file", type=Path)
    p.add_argument("--scratch")
    p.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.command in ("dump", "check"):
            dump(args.source, args.file)
        if args.command == "verify":
            verify(args.file, args.server, scratch=args.scratch, source=args.source, keep=args.keep)
        if args.command == "check":
            verify(args.file, args.source, scratch=args.scratch, keep=args.keep)
    except Failure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as exc:
        print(f"FAILED: cannot connect: {str(exc).strip()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
