"""``python -m bench [name ...]``: run the named benchmarks (all when none is named).

Exit status: 0 every target met; 1 a target was missed; 2 the command was used wrongly or a
benchmark failed to run."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback

from . import available, load
from ._util import DOC_PATH, VAR_BENCH, update_doc_section


def build_parser(modules: dict) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="name", help=f"benchmarks to run: {', '.join(modules)}")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--no-docs", action="store_true", help=f"do not update {DOC_PATH.name}")
    for name, module in modules.items():
        add = getattr(module, "add_arguments", None)
        if add:
            add(parser.add_argument_group(f"{name}", getattr(module, "TITLE", None)))
    return parser


def main(argv: list[str] | None = None) -> int:
    modules = {name: load(name) for name in available()}
    parser = build_parser(modules)
    args = parser.parse_args(argv)
    if args.list:
        for name, module in modules.items():
            print(f"{name:24} {getattr(module, 'TITLE', '')}")
        return 0
    unknown = [n for n in args.names if n not in modules]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(modules)}")
    names = args.names or list(modules)
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    status = 0
    verdicts = []
    for name in names:
        module = modules[name]
        print(f"=== {name}: {getattr(module, 'TITLE', '')}", flush=True)
        started = time.monotonic()
        try:
            result = module.run(args)
        except Exception:
            traceback.print_exc()
            verdicts.append((name, "ERROR"))
            status = 2
            continue
        result = dict(result or {})
        result.setdefault("benchmark", name)
        result.setdefault("bench_seconds", round(time.monotonic() - started, 1))
        (VAR_BENCH / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        markdown = result.get("markdown")
        if markdown and not args.no_docs:
            update_doc_section(getattr(module, "TITLE", name), markdown)
            print(f"{DOC_PATH.relative_to(DOC_PATH.parent.parent)}: section “{getattr(module, 'TITLE', name)}” updated")
        passed = result.get("passed")
        verdicts.append((name, {True: "targets met", False: "TARGET MISSED", None: "no targets"}[passed]))
        if passed is False:
            status = max(status, 1)
    print("=== summary")
    for name, verdict in verdicts:
        print(f"  {name:24} {verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main())
