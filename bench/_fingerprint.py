"""Which code a benchmark measured: short SHA-256 and modification time of the source files it
exercises (the tree changes while benchmarks run; git is not consulted)."""

from __future__ import annotations

import datetime as dt
import hashlib

from ._util import PROJECT_DIR


def fingerprint(*paths: str) -> dict[str, str]:
    out = {}
    for rel in paths:
        path = PROJECT_DIR / rel
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        except OSError:
            out[rel] = "missing"
            continue
        out[rel] = f"{digest} ({modified})"
    return out


def fingerprint_line(prints: dict[str, str]) -> str:
    return "; ".join(f"`{rel.removeprefix('src/getpower/')}` {value}" for rel, value in prints.items())
