"""Reading a ledger file (CSV in UTF-8 or GB18030, XLSX) into a header and raw rows.

An XLSX file is a zip archive, and the 200 MB upload limit (``GETPOWER_IMPORT_MAX_BYTES``) counts its
compressed bytes only: a few MB can unpack to gigabytes (a zip bomb), and one far-away cell
(``XFD1048576``) makes the parser build a table of seventeen billion cells. So before the parser
sees a workbook, :class:`WorkbookGuard` checks it (docs/security.md, "Workbook uploads"):

- the zip directory: the number of parts, the total unpacked size
  (``GETPOWER_IMPORT_MAX_UNPACKED_BYTES``), each part's compression ratio
  (``GETPOWER_IMPORT_MAX_COMPRESSION_RATIO``), no encryption, deflate or stored only;
- every part is inflated once as a stream, in bounded chunks, and must yield exactly the size its
  directory entry declares (a part that lies about its size is refused, never parsed);
- the shared strings may not outnumber the cells allowed, and the sheet that will be read — its declared
  ``<dimension>``, then every row and cell reference in it — must stay within
  ``GETPOWER_IMPORT_MAX_ROWS`` rows, ``GETPOWER_IMPORT_MAX_COLUMNS`` columns and
  ``GETPOWER_IMPORT_MAX_CELLS`` cells (rows × columns of the range the parser will fill).

A refused workbook is a :class:`FileError` with a Chinese message that names the file and the reason;
nothing is written.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from django.conf import settings
from python_calamine import CalamineWorkbook

log = logging.getLogger(__name__)


class FileError(ValueError):
    """The file as a whole cannot be read; the message is in Chinese."""


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 — what Chinese Excel writes by default."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileError("无法识别文件编码：CSV 须为 UTF-8 或 GB18030/GBK 编码") from exc


def read_csv(data: bytes) -> list[list]:
    text = decode_csv(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
        delimiter = dialect.delimiter if dialect.delimiter in ",\t" else ","
    except csv.Error:
        delimiter = ","
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


# -- workbook limits ----------------------------------------------------------------------------

MB = 1024 * 1024


@dataclass(frozen=True)
class WorkbookLimits:
    """What a workbook may unpack to. The defaults and the measurements behind them: docs/security.md."""

    # The province-scale ledger (320,000 rows × 15 columns) unpacks to 216 MiB and holds 4.8 million cells.
    unpacked_bytes: int = 512 * MB  # all parts together, 2.4 × the province-scale ledger
    compression_ratio: int = 100  # per part over 1 MB; real sheets stay under ~15, a zip bomb is ~1,000
    rows: int = 1_048_576  # Excel's own maximum (and OOXML's): no spreadsheet program writes more
    columns: int = 200  # the widest ledger has 23 columns: room for many extra (ignored) ones
    cells: int = 10_000_000  # rows × columns of the range the parser fills: ~2 × the province-scale ledger
    parts: int = 10_000  # zip entries; a workbook has a dozen plus one per sheet, image or comment

    @classmethod
    def from_settings(cls) -> WorkbookLimits:
        base = cls()
        return cls(
            unpacked_bytes=int(getattr(settings, "GETPOWER_IMPORT_MAX_UNPACKED_BYTES", base.unpacked_bytes)),
            compression_ratio=int(getattr(settings, "GETPOWER_IMPORT_MAX_COMPRESSION_RATIO", base.compression_ratio)),
            rows=int(getattr(settings, "GETPOWER_IMPORT_MAX_ROWS", base.rows)),
            columns=int(getattr(settings, "GETPOWER_IMPORT_MAX_COLUMNS", base.columns)),
            cells=int(getattr(settings, "GETPOWER_IMPORT_MAX_CELLS", base.cells)),
        )


RATIO_FLOOR = MB  # parts smaller than this unpack to little whatever their ratio
CHUNK = 4 * MB  # inflated bytes handed to a scanner at a time, at most
INPUT = 256 * 1024  # compressed bytes fed to the inflater at a time
STRUCTURE_BYTES = 16 * MB  # xl/workbook.xml and its relationships: a few KB in real workbooks
NOT_XLSX = "若为 .xls、.xlsb、.ods 等其他格式，请在 Excel 中另存为 .xlsx 后再上传"
ROOT = re.compile(rb"<(\w+:)?(?:worksheet|sst)[\s>]")
A1 = re.compile(r"\$?([A-Za-z]{1,4})\$?(\d+)")


class Tags:
    """Byte patterns for the SpreadsheetML elements of one part, with its namespace prefix (usually none).

    The literal forms (``<c r="A1"``, as Excel, xlsxwriter and openpyxl write them) are fast; the
    general ones (any attribute order) are used only where a chunk has tags the literal forms miss."""

    def __init__(self, prefix: bytes = b""):
        p = b"<" + prefix
        q = re.escape(p)
        self.cell_starts = (p + b"c ", p + b"c>", p + b"c/")
        self.row_starts = (p + b"row ", p + b"row>", p + b"row/")
        self.si_starts = (p + b"si>", p + b"si ")
        self.cell_column = re.compile(q + rb'c r="([A-Za-z]+)\d')
        self.cell_row = re.compile(q + rb'c r="[A-Za-z]+(\d+)"')
        self.row_ref = re.compile(q + rb'row r="(\d+)"')
        self.any_cell_ref = re.compile(q + rb'c\b[^>]*?\sr="([A-Za-z]{1,4})(\d+)"')
        self.any_row_ref = re.compile(q + rb'row\b[^>]*?\sr="(\d+)"')
        self.row_split = re.compile(q + rb"row[\s>/]")
        self.odd_row = re.compile(q + rb'row(?:[>/]|\s(?!r="))')  # a row tag not of the usual form
        self.odd_cell = re.compile(q + rb'c(?:[>/]|\s(?!r="))')  # a cell tag not of the usual form
        self.dimension = re.compile(q + rb'dimension\b[^>]*?\sref="([^"]*)"')
        self.sheet_data = p + b"sheetData"

    @staticmethod
    def count(text: bytes, starts: tuple[bytes, ...]) -> int:
        return sum(text.count(start) for start in starts)

    @classmethod
    def of(cls, first_chunk: bytes) -> Tags:
        match = ROOT.search(first_chunk[:65536])
        return cls(match.group(1) or b"") if match else cls()


def greatest(values: list[bytes]) -> bytes:
    """The greatest column letters or row digits: the longer first, then in order (no int() per cell)."""
    shortest, longest_ = min(values, key=len), max(values, key=len)
    if len(shortest) == len(longest_):
        return max(values).upper()  # the usual case: all of one length, compared as they are
    return max(set(values), key=lambda v: (len(v), v.upper()))


def is_worksheet(part: str) -> bool:
    return part.startswith("xl/worksheets/") and part.endswith(".xml")


def column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        n = n * 26 + ord(ch) - 64
    return n


class WorkbookGuard:
    """Checks one XLSX archive before it is parsed; every refusal is a :class:`FileError`."""

    def __init__(self, data: bytes, file_name: str, limits: WorkbookLimits):
        self.data, self.name, self.limits = data, file_name or "工作簿", limits
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            self.parts = {info.filename: info for info in self.archive.infolist()}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise self.refuse(f"不是有效的 .xlsx 工作簿（无法按 zip 格式打开）。{NOT_XLSX}") from exc

    def refuse(self, reason: str) -> FileError:
        return FileError(f"文件“{self.name}”已拒绝：{reason}")

    # -- the zip directory and the parts --------------------------------------------------------
    def check_archive(self) -> None:
        limits, parts = self.limits, list(self.parts.values())
        if len(parts) > limits.parts:
            raise self.refuse(f"压缩包内有 {len(parts):,} 个部件，超过上限 {limits.parts:,} 个")
        if "xl/workbook.xml" not in self.parts:
            raise self.refuse(f"不是有效的 .xlsx 工作簿（缺少 xl/workbook.xml）。{NOT_XLSX}")
        total = sum(info.file_size for info in parts)
        if total > limits.unpacked_bytes:
            raise self.refuse(
                f"解压后共 {total / MB:,.0f} MB，超过上限 {limits.unpacked_bytes / MB:,.0f} MB"
                "（GETPOWER_IMPORT_MAX_UNPACKED_BYTES）。文件可能是压缩炸弹，或表格过大，请分批导入")
        for info in parts:
            if info.flag_bits & 0x1:
                raise self.refuse(f"部件“{info.filename}”已加密，请先在 Excel 中取消密码保护后另存为 .xlsx")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self.refuse(f"部件“{info.filename}”使用了不支持的压缩方式（{info.compress_type}）。{NOT_XLSX}")
            if info.file_size > RATIO_FLOOR:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > limits.compression_ratio:
                    raise self.refuse(
                        f"部件“{info.filename}”的压缩比为 {ratio:,.0f} 倍（{info.compress_size:,} 字节解压为 "
                        f"{info.file_size:,} 字节），超过上限 {limits.compression_ratio} 倍"
                        "（GETPOWER_IMPORT_MAX_COMPRESSION_RATIO），疑似压缩炸弹")

    def inflate(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The part's bytes in chunks of at most CHUNK, never more than its directory entry declares."""
        offset = info.header_offset
        header = self.data[offset:offset + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise self.refuse(f"部件“{info.filename}”的文件头已损坏")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        start = offset + 30 + name_length + extra_length
        raw = memoryview(self.data)[start:start + info.compress_size]
        if len(raw) < info.compress_size:
            raise self.refuse(f"部件“{info.filename}”的数据不完整（文件被截断）")
        produced = 0
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != info.file_size:
                raise self.refuse(f"部件“{info.filename}”声明的大小与实际不符")
            for at in range(0, len(raw), CHUNK):
                yield bytes(raw[at:at + CHUNK])
            return
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            for at in range(0, len(raw), INPUT):
                pending = raw[at:at + INPUT]
                while pending and not inflater.eof:
                    chunk = inflater.decompress(pending, CHUNK)
                    pending = inflater.unconsumed_tail
                    produced += len(chunk)
                    if produced > info.file_size:
                        raise self.refuse(f"部件“{info.filename}”解压后超过其声明的 {info.file_size:,} 字节"
                                          "（压缩包目录与内容不符），疑似压缩炸弹")
                    if chunk:
                        yield chunk
                if inflater.eof:
                    break
        except zlib.error as exc:
            raise self.refuse(f"部件“{info.filename}”已损坏，无法解压") from exc
        if not inflater.eof or produced != info.file_size:
            raise self.refuse(f"部件“{info.filename}”已损坏（解压后的大小与声明不符）")

    def check_parts(self) -> None:
        """Inflate every part the parser opens with the workbook, once, in bounded memory: each must be
        what its directory entry says. Worksheets are parsed one at a time, on demand: the one that
        will be read is inflated and scanned by :meth:`check_sheet`."""
        for info in self.parts.values():
            if info.filename == "xl/sharedStrings.xml":
                self.check_shared_strings(info)
            elif not is_worksheet(info.filename):
                for _ in self.inflate(info):
                    pass

    def scan(self, info: zipfile.ZipInfo, tokens: Callable[[bytes], None]) -> None:
        """Feed the part's XML to ``tokens`` cut at tag boundaries (a tag never spans two calls)."""
        carry = b""
        for chunk in self.inflate(info):
            text = carry + chunk
            cut = text.rfind(b"<")
            if cut > 0:
                tokens(text[:cut])
                carry = text[cut:]
            else:
                carry = text
            if len(carry) > CHUNK:  # megabytes without a tag: not a spreadsheet (a cell holds ≤ 32,767 characters)
                raise self.refuse(f"部件“{info.filename}”的 XML 结构异常")
        if carry:
            tokens(carry)

    def check_shared_strings(self, info: zipfile.ZipInfo) -> None:
        count, tags = 0, None

        def tokens(text: bytes) -> None:
            nonlocal count, tags
            tags = tags or Tags.of(text)
            count += tags.count(text, tags.si_starts)
            if count > self.limits.cells:
                raise self.refuse(f"共享字符串超过 {self.limits.cells:,} 个（GETPOWER_IMPORT_MAX_CELLS），请分批导入")

        self.scan(info, tokens)

    # -- the sheet that will be read --------------------------------------------------------------
    def sheet_parts(self) -> dict[str, str]:
        """Sheet name → the part that holds it, from xl/workbook.xml and its relationships."""
        for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            if part in self.parts and self.parts[part].file_size > STRUCTURE_BYTES:
                raise self.refuse(f"部件“{part}”过大（{self.parts[part].file_size / MB:,.0f} MB），不是正常的工作簿结构")
        try:
            book = ElementTree.fromstring(b"".join(self.inflate(self.parts["xl/workbook.xml"])))
            rels_info = self.parts.get("xl/_rels/workbook.xml.rels")
            rels = ElementTree.fromstring(b"".join(self.inflate(rels_info))) if rels_info else None
        except ElementTree.ParseError as exc:
            raise self.refuse(f"不是有效的 .xlsx 工作簿（xl/workbook.xml 无法解析）。{NOT_XLSX}") from exc
        targets = {}
        for rel in rels.iter() if rels is not None else ():
            if rel.tag.endswith("Relationship") and rel.get("Id") and rel.get("Target"):
                target = rel.get("Target")
                path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
                targets[rel.get("Id")] = path
        found = {}
        for sheet in book.iter():
            if sheet.tag.endswith("}sheet") or sheet.tag == "sheet":
                rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
                if sheet.get("name") is not None and targets.get(rid) in self.parts:
                    found[sheet.get("name")] = targets[rid]
        return found

    def check_sheet(self, sheet_name: str, part: str) -> None:
        limits, info = self.limits, self.parts[part]
        where = f"工作表“{sheet_name}”"
        max_row = max_col = rows_seen = open_row = 0
        dimension_checked, tags = False, None

        def over(rows: int, cols: int, what: str) -> None:
            if rows > limits.rows:
                raise self.refuse(f"{where}{what}有 {rows:,} 行，超过上限 {limits.rows:,} 行"
                                  "（GETPOWER_IMPORT_MAX_ROWS），请分批导入")
            if cols > limits.columns:
                raise self.refuse(f"{where}{what}有 {cols:,} 列，超过上限 {limits.columns:,} 列"
                                  "（GETPOWER_IMPORT_MAX_COLUMNS）")
            if rows * cols > limits.cells:
                raise self.refuse(f"{where}{what}为 {rows:,} 行 × {cols:,} 列 = {rows * cols:,} 个单元格，"
                                  f"超过上限 {limits.cells:,} 个（GETPOWER_IMPORT_MAX_CELLS），请分批导入")

        def tokens(text: bytes) -> None:
            nonlocal max_row, max_col, rows_seen, open_row, dimension_checked, tags
            tags = tags or Tags.of(text)
            if not dimension_checked:
                match = tags.dimension.search(text)
                if match or tags.sheet_data in text:
                    dimension_checked = True
                if match:  # what the file says of itself: enough to refuse, never enough to accept
                    refs = A1.findall(match.group(1).decode("ascii", "replace"))
                    if refs:
                        over(max(int(r) for _, r in refs), max(column_number(c) for c, _ in refs), "（声明的范围）")
            # rows: <row r="N">, or one after another where r is missing
            if tags.odd_row.search(text):
                rows_seen += tags.count(text, tags.row_starts)
                refs = tags.any_row_ref.findall(text)
            else:  # the usual form, as Excel, xlsxwriter and openpyxl write it
                refs = tags.row_ref.findall(text)
                rows_seen += len(refs)
            if refs:
                max_row = max(max_row, int(greatest(refs)))
            # cells: <c r="XN"> places a cell at column X, row N, whatever row it sits in
            if not tags.odd_cell.search(text):  # the usual form: every cell starts <c r="…"
                columns = tags.cell_column.findall(text)
                if columns:
                    max_col = max(max_col, column_number(greatest(columns)))
                    max_row = max(max_row, int(greatest(tags.cell_row.findall(text))))
            else:
                cells = tags.any_cell_ref.findall(text)
                if cells:
                    max_col = max(max_col, column_number(greatest([c for c, _ in cells])))
                    max_row = max(max_row, int(greatest([r for _, r in cells])))
                if len(cells) != tags.count(text, tags.cell_starts):
                    # cells without a reference sit one after another in their row: count them row by row
                    segments = tags.row_split.split(text)
                    open_row += tags.count(segments[0], tags.cell_starts)
                    for segment in segments[1:]:
                        max_col, open_row = max(max_col, open_row), tags.count(segment, tags.cell_starts)
                    max_col = max(max_col, open_row)
            over(max(max_row, rows_seen), max_col, "")

        self.scan(info, tokens)


def workbook_guard(data: bytes, file_name: str, limits: WorkbookLimits | None = None) -> WorkbookGuard:
    """The archive-level checks done: returns the guard, for the sheet check once the sheet is chosen."""
    guard = WorkbookGuard(data, file_name, limits or WorkbookLimits.from_settings())
    guard.check_archive()
    guard.check_parts()
    return guard


def read_xlsx(data: bytes, ledger_name: str, file_name: str = "", limits: WorkbookLimits | None = None) -> list[list]:
    guard = workbook_guard(data, file_name, limits)
    parts = guard.sheet_parts()
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = book.sheet_names
    except Exception as exc:  # calamine raises its own (English) error types for damaged files
        log.info("calamine could not open %s: %s", file_name, exc)
        raise guard.refuse(f"Excel 文件已损坏或格式不受支持，无法读取。{NOT_XLSX}") from exc
    if not names:
        raise guard.refuse("Excel 文件中没有工作表")
    wanted = next((n for n in names if n.strip().lower() == ledger_name.lower()), names[0])
    if wanted in parts:
        guard.check_sheet(wanted, parts[wanted])
    else:  # the sheet could not be told from the relationships: check every worksheet part instead
        for part in (p for p in guard.parts if is_worksheet(p)):
            guard.check_sheet(wanted, part)
    try:
        return book.get_sheet_by_name(wanted).to_python(skip_empty_area=False)
    except Exception as exc:
        log.info("calamine could not read sheet %s of %s: %s", wanted, file_name, exc)
        raise guard.refuse(f"工作表“{wanted}”已损坏，无法读取") from exc


def read_table(data: bytes, file_name: str, ledger_name: str) -> list[list]:
    suffix = Path(file_name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = read_xlsx(data, ledger_name, file_name)
    elif suffix in (".csv", ".txt", ""):
        rows = read_csv(data)
    else:
        raise FileError(f"不支持的文件类型“{suffix}”：请上传 .csv 或 .xlsx 文件")
    # drop fully empty trailing rows (Excel often keeps formatted empty rows)
    while rows and all(c is None or (isinstance(c, str) and c.strip() == "") for c in rows[-1]):
        rows.pop()
    if not rows:
        raise FileError("文件为空：缺少表头行")
    return rows
