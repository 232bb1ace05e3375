"""The one place where the platform writes spreadsheets and CSV files for people to open.

Every cell of an export may hold text that somebody typed or imported — a community's name, an asset's
name, a complaint's summary. Spreadsheet programs run text that looks like a formula (CSV/formula
injection): ``=HYPERLINK("http://x/","点我")`` becomes a live link, ``=cmd|' /C calc'!A0`` asks to start a
program. So every export goes through this module:

- **xlsx** — :func:`workbook` opens xlsxwriter workbooks with ``strings_to_formulas``,
  ``strings_to_numbers`` and ``strings_to_urls`` off, and :func:`write` / :func:`write_row` store a
  ``str`` with ``write_string``: text stays text and values are stored exactly as given;
- **CSV for spreadsheets** (web downloads, filing ledgers written as ``.csv``) — :func:`csv_writer`
  prefixes a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return with a
  single quote ``'`` (the OWASP rule), so that the program shows it as text. Numbers (``int``, ``float``,
  ``Decimal`` values) are never prefixed: a negative number stays a number.

The machine-readable CSV of ``getpower evaluate`` is the one deliberate exception
(``csv_writer(..., spreadsheet=False)``, see docs/decisions.md): its bytes are a public interface
(shared/spec/cli.md) and its cells are ids, codes and numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"  # Excel recognises UTF-8 CSV by it

#: what a spreadsheet program may take for the start of a formula (OWASP "CSV Injection")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: xlsxwriter options that keep text as text and values unaltered
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}


# -- CSV ---------------------------------------------------------------------------------------------

def neutralise(value: Any) -> Any:
    """A CSV cell as a spreadsheet should show it: text that could start a formula gets a leading ``'``.

    Only ``str`` values are touched; numbers (also negative ones), dates and ``None`` are returned as
    they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class _Line:
    """A file-like that hands back what is written: for streaming CSV one row at a time."""

    def write(self, value: str) -> str:
        return value


class SafeCSVWriter:
    """``csv.writer`` whose rows pass through :func:`neutralise` (unless ``spreadsheet=False``).

    For spreadsheets a field holding a line break of either kind is also always quoted: ``csv`` quotes
    only the characters of the chosen line terminator, so with ``"\n"`` a bare ``"\r"`` went out as is,
    and a spreadsheet program starts a new row there — whose first cell escaped the quote rule."""

    def __init__(self, stream: IO[str], *, spreadsheet: bool = True, **options: Any):
        self.stream, self.spreadsheet = stream, spreadsheet
        self.lineterminator = options.get("lineterminator", "\r\n")
        if spreadsheet:  # rows are made with CRLF (both characters quoted), then ended as asked
            self._writer = csv.writer(_Line(), **{**options, "lineterminator": "\r\n"})
        else:
            self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        if not self.spreadsheet:
            return self._writer.writerow(row)
        line = self._writer.writerow([neutralise(value) for value in row])
        return self.stream.write(line[:-2] + self.lineterminator)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: IO[str], *, spreadsheet: bool = True, **options: Any) -> SafeCSVWriter:
    """The CSV writer of every export. ``spreadsheet=False`` only for machine interfaces (see module doc)."""
    return SafeCSVWriter(stream, spreadsheet=spreadsheet, **options)


def csv_line_writer(**options: Any) -> SafeCSVWriter:
    """A writer whose ``writerow`` returns the CSV line (for ``StreamingHttpResponse``)."""
    return SafeCSVWriter(_Line(), **options)


def csv_bytes(header: Iterable[Any], rows: Iterable[Iterable[Any]], *, bom: bool = True,
              lineterminator: str = "\n") -> bytes:
    """A whole CSV file for spreadsheets, UTF-8 (with a BOM unless ``bom=False``)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator=lineterminator)
    writer.writerow(header)
    writer.writerows(rows)
    return ((BOM if bom else "") + buffer.getvalue()).encode("utf-8")


# -- xlsx --------------------------------------------------------------------------------------------

def workbook(target: Any = None, **options: Any) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook that stores text as text. ``target`` a path or a binary stream; by default
    an in-memory buffer (read it back with :func:`workbook_bytes` after ``close()``)."""
    if target is None:
        target = io.BytesIO()
    settings = {"in_memory": True, **options, **XLSX_OPTIONS}  # the text-as-text options cannot be undone
    book = xlsxwriter.Workbook(target, settings)
    book.getpower_target = target
    return book


def workbook_bytes(book: xlsxwriter.Workbook) -> bytes:
    """Close a workbook made by :func:`workbook` on its in-memory buffer and return the file's bytes."""
    book.close()
    return book.getpower_target.getvalue()


def write(sheet: Any, row: int, col: int, value: Any, cell_format: Any = None) -> Any:
    """One cell: ``str`` with ``write_string`` (empty text as a blank cell), numbers with
    ``write_number``, anything else by xlsxwriter's own mapping (with the options of :func:`workbook`)."""
    if isinstance(value, str):
        if value == "":
            return sheet.write_blank(row, col, None, cell_format)
        return sheet.write_string(row, col, value, cell_format)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return sheet.write_number(row, col, value, cell_format)
    return sheet.write(row, col, value, cell_format)


def write_row(sheet: Any, row: int, col: int, values: Iterable[Any], cell_format: Any = None) -> None:
    for offset, value in enumerate(values):
        write(sheet, row, col + offset, value, cell_format)
