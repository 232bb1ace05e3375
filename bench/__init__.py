"""Province-scale benchmarks, each measured against a baseline in the same run.

Run them with ``.venv/bin/python -m bench [name ...]`` (``make bench`` runs them all); ``--list``
shows what there is.

Adding a benchmark: create ``bench/<name>.py`` (names starting with ``_`` are helpers, not
benchmarks) with

- ``TITLE``: the heading of its section in ``docs/benchmarks.md`` (without ``## ``);
- ``run(args) -> dict``: does the measuring and prints its own table; the dict it returns is
  saved as ``var/bench/<name>.json`` and may carry ``"markdown"`` (the section body written under
  ``## TITLE``, replacing that section only; leave it out or set it to None to keep the doc as it
  is) and ``"passed"`` (True/False against the benchmark's targets; None when it has none);
- optionally ``add_arguments(group)``: options of its own on an ``argparse`` argument group
  (prefix them with the benchmark's name to keep clear of the others).

Django settings are per process: a benchmark that needs a database runs each measurement in a
child process with ``GETPOWER_DATABASE_URL`` set (see :func:`bench._util.run_child`).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent


def available() -> list[str]:
    """Every benchmark module's name, in alphabetical order."""
    return sorted(
        info.name for info in pkgutil.iter_modules([str(PACKAGE_DIR)])
        if not info.name.startswith("_") and not info.ispkg
    )


def load(name: str) -> ModuleType:
    if name not in available():
        raise KeyError(name)
    module = importlib.import_module(f"bench.{name}")
    if not callable(getattr(module, "run", None)):
        raise TypeError(f"bench/{name}.py has no run(args) function")
    return module
