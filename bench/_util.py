"""Helpers shared by the benchmarks: child processes, fresh databases, the machine, the doc."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_BENCH = PROJECT_DIR / "var" / "bench"
DOC_PATH = PROJECT_DIR / "docs" / "benchmarks.md"
DOC_PREAMBLE = """# Benchmarks

Measured figures, each against a baseline measured in the same run. Every section is written by
its benchmark: `make bench` (or `.venv/bin/python -m bench [name ...]`, `--list` to see them)
refreshes the sections of the benchmarks it ran and leaves the others as they are.
"""
PG_DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/getpower_bench"


class BenchError(RuntimeError):
    pass


# -- the machine ---------------------------------------------------------------------------------
def machine_info() -> dict:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gb": round(mem_kb / 1048576, 1),
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": " ".join([".venv/bin/python -m bench", *sys.argv[1:]]),
    }


def machine_line(m: dict) -> str:
    return (f"{m['nproc']} CPU cores ({m['cpu']}), {m['memory_gb']:g} GB memory, {m['os']}, "
            f"Python {m['python']}, SQLite {m['sqlite']}")


# -- child processes -----------------------------------------------------------------------------
def run_child(target: str, kwargs: dict | None = None, *, database_url: str, timeout: float = 3600) -> dict:
    """Run ``module:function(**kwargs)`` in a fresh Python process with Django set up on
    ``database_url``; returns the function's dict plus ``peak_mb`` (the child's maximum resident
    set), ``rss_start_mb`` (after django.setup()) and ``process_seconds`` (the whole child)."""
    env = dict(os.environ, GETPOWER_DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="getpower.settings",
               PYTHONUNBUFFERED="1")
    with tempfile.NamedTemporaryFile(prefix="bench-", suffix=".json", dir=VAR_BENCH, delete=False) as handle:
        out = Path(handle.name)
    try:
        command = [sys.executable, "-m", "bench._child", target, str(out), json.dumps(kwargs or {})]
        completed = subprocess.run(command, cwd=PROJECT_DIR, env=env, timeout=timeout, check=False)
        if completed.returncode != 0:
            raise BenchError(f"{target} failed in its child process (exit {completed.returncode})")
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


# -- fresh databases -----------------------------------------------------------------------------
def fresh_sqlite(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres(url: str) -> tuple[str | None, str]:
    """Drop and create the database named in ``url`` (only names starting with getpower_bench).
    Returns (url, server version) or (None, why it was skipped)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"getpower_bench\w*", name):
        raise BenchError(f"refusing to drop database “{name}”: benchmark databases must be named getpower_bench*")
    try:
        import psycopg
    except ImportError:
        return None, "psycopg is not installed"
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        detail = (str(exc).strip().splitlines() or [""])[0]
        print(f"PostgreSQL: {detail}", file=sys.stderr)
        return None, f"PostgreSQL unreachable at {parts.hostname}:{parts.port or 5432}"
    return url, version


def drop_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- tables and the doc --------------------------------------------------------------------------
def text_table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(c + " " * (w - _width(c)) if i == 0 else " " * (w - _width(c)) + c
                         for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths), *map(line, cells[1:])])


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def markdown_table(headers: list[str], rows: list[list], align: str = "") -> str:
    align = align or "l" + "r" * (len(headers) - 1)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def update_doc_section(title: str, body: str, path: Path = DOC_PATH) -> None:
    """Replace the ``## title`` section of docs/benchmarks.md (or append it), keeping the rest."""
    text = path.read_text(encoding="utf-8") if path.exists() else DOC_PREAMBLE
    heading = f"## {title}"
    section = f"{heading}\n\n{body.strip()}\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip("\n") == heading), None)
    if start is None:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        rest = "".join(lines[end:])
        text = "".join(lines[:start]) + section + ("\n" + rest if rest else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def fmt_int(n: float | int | None) -> str:
    return "—" if n is None else f"{round(n):,}"


def fmt_s(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.1f}"
