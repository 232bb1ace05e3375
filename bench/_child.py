"""The child-process side of :func:`bench._util.run_child`:
``python -m bench._child module:function OUT.json '{"kw": ...}'``.

Sets Django up on ``GETPOWER_DATABASE_URL`` (given by the parent), calls the function and writes
its dict to OUT.json, with the process's peak resident memory."""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
from pathlib import Path

STARTED = time.monotonic()


def rss_mb() -> float:
    """The current resident set (not the peak), from /proc; 0 when unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / 1048576 if sys.platform == "darwin" else peak / 1024


def main() -> None:
    target, out, kwargs = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "getpower.settings")
    import django

    django.setup()
    rss_start = rss_mb()
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    result = dict(function(**kwargs) or {})
    result["rss_start_mb"] = round(rss_start, 1)
    result["peak_mb"] = round(peak_mb(), 1)
    result["loadavg_1m"] = round(os.getloadavg()[0], 2)
    result["process_seconds"] = round(time.monotonic() - STARTED, 2)
    out.write_text(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
