"""Write a large assets workbook to measure the workbook limits (docs/security.md, "Workbook uploads").

The synthetic Yunnan assets (``getpower.synthetic.province``: 20,000 lines × ~15 台区 = 320,513 rows by
default), their 10 ledger columns and 5 extra columns (ignored by the importer with a warning) — 15
columns, written by xlsxwriter with shared strings as Excel does. ``--text`` fills the name and the extra
columns with long random Chinese text instead (the text-heavy case). Also writes the organisations CSV
next to the workbook. Then, for example::

    getpower --db sqlite:////tmp/w/db.sqlite3 migrate
    getpower --db sqlite:////tmp/w/db.sqlite3 import organisations /tmp/w/orgs.csv
    /usr/bin/time -v getpower --db sqlite:////tmp/w/db.sqlite3 import assets /tmp/w/big.xlsx --dry-run

Usage: python scripts/make_big_workbook.py OUT.xlsx [--lines N] [--max-rows N] [--text]
(province-scale: defaults; the largest the defaults allow: --lines 43000 --max-rows 666665;
text-heavy: --text --max-rows 160000).
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=20_000, help="10 kV lines (about 16 rows each)")
    parser.add_argument("--max-rows", type=int, default=None, help="stop after this many data rows")
    parser.add_argument("--text", action="store_true", help="long random Chinese text in 6 columns")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "getpower.settings")
    import django

    django.setup()
    import xlsxwriter

    from getpower.synthetic.province import (
        ASSET_COLUMNS,
        ORG_COLUMNS,
        build_structure,
        generate_assets,
        to_csv,
    )

    structure = build_structure()
    (args.out.parent / "orgs.csv").write_bytes(to_csv(structure.organisations, ORG_COLUMNS))
    rng = random.Random(7)
    words = "供电线路台区巡视检修计划改造运行正常用户报装负荷电压质量投诉处理完成情况良好需要关注昆明五华盘龙官渡西山呈贡"

    def text(n: int) -> str:
        return "".join(rng.choice(words) for _ in range(n))

    book = xlsxwriter.Workbook(str(args.out))
    sheet = book.add_worksheet("assets")
    sheet.write_row(0, 0, ASSET_COLUMNS + ["备注", "巡视班组", "投运日期", "经度", "纬度"])
    rows = 0
    for row in generate_assets(structure, lines_total=args.lines, tq_per_line=15):
        if args.max_rows is not None and rows >= args.max_rows:
            break
        rows += 1
        for c, column in enumerate(ASSET_COLUMNS):
            value = row.get(column)
            if column in ("rated_kva", "users") and value not in ("", None):
                sheet.write_number(rows, c, float(value))
            elif column == "name" and args.text:
                sheet.write_string(rows, c, f"{value}{text(40)}")
            else:
                sheet.write_string(rows, c, "" if value is None else str(value))
        if args.text:
            for c in range(10, 15):
                sheet.write_string(rows, c, text(150))
        else:
            sheet.write_string(rows, 10, f"{row['name']}运行正常，{rng.choice(['已巡视', '待巡视', '计划改造'])}")
            sheet.write_string(rows, 11, f"班组{rng.randint(1, 400):03d}")
            sheet.write_string(rows, 12, f"20{rng.randint(0, 25):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
            sheet.write_number(rows, 13, round(rng.uniform(97.5, 106.2), 6))
            sheet.write_number(rows, 14, round(rng.uniform(21.1, 29.2), 6))
    book.close()
    print(f"{args.out}: {rows + 1} rows × 15 columns, {args.out.stat().st_size / 1048576:.1f} MiB")


if __name__ == "__main__":
    main()
