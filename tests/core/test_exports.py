"""The shared export writer (core.exports): text stays text in every CSV and xlsx the platform writes."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from getpower.core import exports

HOSTILE = ['=HYPERLINK("http://x/","点我")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1+1)",
           "\t=1+1", "\r=1+1"]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_each_trigger_character_is_quoted(trigger):
    assert exports.neutralise(trigger + "1+1") == "'" + trigger + "1+1"
    rows = read_csv(exports.csv_bytes(["name"], [[trigger + "A1"]]))
    assert rows[1] == ["'" + trigger + "A1"]


def test_plain_text_and_non_text_values_are_left_alone():
    assert exports.neutralise("翠湖小区") == "翠湖小区"
    assert exports.neutralise("a=b") == "a=b"  # only the first character counts
    assert exports.neutralise("'=x") == "'=x"
    assert exports.neutralise("") == ""
    assert exports.neutralise(None) is None


@pytest.mark.parametrize("number", [-5, -2.5, Decimal("-3.10"), 0, 7, 1.5, Decimal("42")])
def test_numbers_are_never_prefixed_negative_ones_included(number):
    assert exports.neutralise(number) is number
    rows = read_csv(exports.csv_bytes(["n"], [[number]]))
    assert rows[1] == [str(number)]  # written as the number, no quote


def test_csv_bytes_has_bom_header_and_quotes_hostile_cells():
    data = exports.csv_bytes(["名称", "数量"], [[name, -1] for name in HOSTILE])
    assert data.startswith("\ufeff".encode())
    rows = read_csv(data)
    assert rows[0] == ["名称", "数量"]
    assert [r[0] for r in rows[1:]] == ["'" + name for name in HOSTILE]
    assert all(r[1] == "-1" for r in rows[1:])


def test_a_line_break_inside_a_field_cannot_start_a_new_row():
    # with "\n" line ends, csv left a bare "\r" unquoted: Excel starts a new row there, "=..." first
    data = exports.csv_bytes(["名称", "n"], [["翠湖\r=HYPERLINK(\"http://x/\")", 1], ["a\nb", 2]])
    rows = read_csv(data)
    assert rows[1:] == [["翠湖\r=HYPERLINK(\"http://x/\")", "1"], ["a\nb", "2"]]
    assert data.count(b"\n") == 4  # header, two rows, the quoted "\n" inside a field


def test_streaming_line_writer_returns_each_line_quoted():
    writer = exports.csv_line_writer()
    assert writer.writerow(["=1+1", 5, -5]) == "'=1+1,5,-5\r\n"


def test_machine_csv_opts_out_explicitly():
    buffer = io.StringIO()
    exports.csv_writer(buffer, spreadsheet=False, lineterminator="\n").writerow(["-1", "=x", 2])
    assert buffer.getvalue() == "-1,=x,2\n"


def test_xlsx_keeps_text_as_text_and_values_unaltered(tmp_path):
    book = exports.workbook()
    sheet = book.add_worksheet("t")
    # (xlsxwriter stores a "\r" as _x000D_, which openpyxl does not decode: left out of the round trip)
    values = [v for v in HOSTILE if "\r" not in v] + ["http://example.com/", "00123", "1e5", "{=SUM(A1:A2)}"]
    for r, value in enumerate(values):
        exports.write(sheet, r, 0, value)
        sheet.write(r, 1, value)  # plain xlsxwriter write() on an exports workbook is safe too
    sheet.merge_range(len(values), 0, len(values), 1, "=1+1")
    exports.write_row(sheet, len(values) + 1, 0, [-5, Decimal("2.5"), 3])
    path = tmp_path / "t.xlsx"
    path.write_bytes(exports.workbook_bytes(book))
    ws = openpyxl.load_workbook(path).active
    for r, value in enumerate(values, start=1):
        for c in (1, 2):
            got = ws.cell(r, c)
            assert got.data_type == "s" and got.value == value, (r, c, got.data_type, got.value)
    merged = ws.cell(len(values) + 1, 1)
    assert merged.data_type == "s" and merged.value == "=1+1"
    numbers = [ws.cell(len(values) + 2, c) for c in (1, 2, 3)]
    assert [n.data_type for n in numbers] == ["n", "n", "n"] and [n.value for n in numbers] == [-5, 2.5, 3]
    assert not ws.parent.defined_names and not any(
        cell.hyperlink for row in ws.iter_rows() for cell in row)


def test_workbook_options_cannot_be_switched_back_on():
    book = exports.workbook(strings_to_formulas=True, strings_to_urls=True)
    sheet = book.add_worksheet()
    assert sheet.strings_to_formulas is False and sheet.strings_to_urls is False
    assert sheet.strings_to_numbers is False
    book.close()


SOURCE = Path(__file__).resolve().parents[2] / "src" / "getpower"
# Writers that are not exports for people: the API's JSON rows are handed to the importer as CSV, and the
# synthetic generator writes import files. Anything else must go through core.exports.
NOT_EXPORTS = {"api.py", "synthetic/province.py"}


def test_every_writer_goes_through_core_exports():
    pattern = re.compile(r"xlsxwriter\.Workbook\(|csv\.writer\(|csv\.DictWriter\(|import xlsxwriter")
    offenders = []
    for path in SOURCE.rglob("*.py"):
        name = path.relative_to(SOURCE).as_posix()
        if name == "core/exports.py" or name in NOT_EXPORTS:
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(name)
    assert offenders == [], f"write spreadsheets and CSV through getpower.core.exports: {offenders}"
