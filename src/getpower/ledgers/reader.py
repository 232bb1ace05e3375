"""Reading a ledger file (CSV in UTF-8 or GB18030, XLSX) into a header and raw rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path


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


def read_xlsx(data: bytes, ledger_name: str) -> list[list]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise FileError(f"无法读取 Excel 文件：{exc}") from exc
    names = book.sheet_names
    if not names:
        raise FileError("Excel 文件中没有工作表")
    wanted = next((n for n in names if n.strip().lower() == ledger_name.lower()), names[0])
    return book.get_sheet_by_name(wanted).to_python(skip_empty_area=False)


def read_table(data: bytes, file_name: str, ledger_name: str) -> list[list]:
    suffix = Path(file_name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = read_xlsx(data, ledger_name)
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
