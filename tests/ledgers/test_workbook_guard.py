"""Workbook uploads are checked before they are parsed (issue 12): zip bombs, sheets of absurd size,
archives that lie about their sizes and damaged files are refused in Chinese, naming the file."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
import xlsxwriter
from typer.testing import CliRunner

from getpower.cli import app
from getpower.core.models import ImportJob
from getpower.grid.models import Asset
from getpower.ledgers.reader import FileError, WorkbookLimits, read_table, read_xlsx
from tests.factories import ORGANISATIONS

runner = CliRunner()
SHEET = "xl/worksheets/sheet1.xml"
HEADER = ["asset_id", "asset_type", "name", "company", "county_code", "township_code", "line_id", "rated_kva",
          "users", "area_type"]
ROWS = [["WH-L1", "line", "五华10kV一回线", "WHPG", "530102", "", "", "", 0, "urban"],
        ["WH-T1", "tq", "五华一号台区", "WHPG", "530102", "", "WH-L1", 400, 120, "urban"]]


def workbook(cells=None) -> bytes:
    """A small, valid assets workbook (xlsxwriter), plus any extra cells {(row, col): value}."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("assets")
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(ROWS, start=1):
        sheet.write_row(r, 0, row)
    for (r, c), value in (cells or {}).items():
        sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def with_sheet(data: bytes, transform) -> bytes:
    """The same workbook with its sheet XML replaced by ``transform(xml)``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info.filename, transform(body) if info.filename == SHEET else body)
    return out.getvalue()


def bomb(payload_mb: int = 8) -> bytes:
    """A sheet padded with megabytes of one repeated byte: a few KB packed, ~1,000 × unpacked."""
    return with_sheet(workbook(), lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * (payload_mb << 20)))


def cli_import(tmp_path, name: str, data: bytes, *extra):
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(app, ["import", "assets", str(path), *extra])


@pytest.fixture
def orgs(db, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(ORGANISATIONS, encoding="utf-8")
    assert runner.invoke(app, ["import", "organisations", str(path)]).exit_code == 0


def refused(result, name: str, *words: str) -> str:
    assert result.exit_code == 1, result.output
    assert f"文件“{name}”已拒绝" in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert Asset.objects.count() == 0  # nothing written
    assert ImportJob.objects.filter(ledger="assets").latest("id").status == "rejected"
    return result.stderr


def test_a_normal_workbook_still_imports(orgs, tmp_path):
    result = cli_import(tmp_path, "assets.xlsx", workbook())
    assert result.exit_code == 0, result.output
    assert Asset.objects.get(asset_id="WH-T1").rated_kva == 400


def test_zip_bomb_is_refused_by_its_unpacked_size(orgs, tmp_path, settings):
    settings.GETPOWER_IMPORT_MAX_UNPACKED_BYTES = 4 << 20
    settings.GETPOWER_IMPORT_MAX_COMPRESSION_RATIO = 10_000
    data = bomb()
    assert len(data) < 64 * 1024
    refused(cli_import(tmp_path, "bomb.xlsx", data), "bomb.xlsx", "解压后共 8 MB", "超过上限 4 MB",
            "GETPOWER_IMPORT_MAX_UNPACKED_BYTES")


def test_zip_bomb_is_refused_by_its_compression_ratio(orgs, tmp_path):
    stderr = refused(cli_import(tmp_path, "bomb.xlsx", bomb()), "bomb.xlsx", "压缩比", SHEET, "疑似压缩炸弹")
    assert "GETPOWER_IMPORT_MAX_COMPRESSION_RATIO" in stderr


def test_a_part_that_unpacks_to_more_than_it_declares_is_refused(orgs, tmp_path):
    """The directory says 1,000 bytes; the deflate stream holds 8 MB. Only the directory was checked before."""
    data = bytearray(bomb())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(SHEET)
    struct.pack_into("<I", data, info.header_offset + 22, 1000)  # local header: uncompressed size
    entry = data.find(b"PK\x01\x02")
    while bytes(data[entry + 46:entry + 46 + len(SHEET)]) != SHEET.encode():  # the central directory entry
        entry = data.find(b"PK\x01\x02", entry + 1)
    struct.pack_into("<I", data, entry + 24, 1000)  # central directory: uncompressed size
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(SHEET).file_size == 1000
    stderr = refused(cli_import(tmp_path, "liar.xlsx", bytes(data)), "liar.xlsx", "超过其声明的 1,000 字节")
    assert "疑似压缩炸弹" in stderr


def test_too_many_columns_is_refused(orgs, tmp_path):
    refused(cli_import(tmp_path, "wide.xlsx", workbook({(1, 250): "x"})), "wide.xlsx",
            "工作表“assets”", "251 列", "超过上限 200 列")


def test_a_far_away_cell_is_refused_before_the_parser_fills_the_range(orgs, tmp_path):
    # 150,001 rows × 151 columns = 22.7 million cells from a 6 KB file (a cell at XFD1048576 makes
    # calamine ask for 549 GB and abort the whole process)
    stderr = refused(cli_import(tmp_path, "sparse.xlsx", workbook({(150_000, 150): "x"})), "sparse.xlsx",
                     "150,001 行 × 151 列", "GETPOWER_IMPORT_MAX_CELLS")
    assert "声明的范围" in stderr  # the <dimension> xlsxwriter wrote already says so


def test_the_sheet_is_checked_even_when_its_declared_dimension_lies(orgs, tmp_path, settings):
    settings.GETPOWER_IMPORT_MAX_ROWS = 100
    far = workbook({(500, 0): "x"})
    lying = with_sheet(far, lambda xml: xml.replace(b'<dimension ref="A1:J501"/>', b'<dimension ref="A1"/>'))
    assert b'<dimension ref="A1"/>' in zipfile.ZipFile(io.BytesIO(lying)).read(SHEET)
    stderr = refused(cli_import(tmp_path, "lying.xlsx", lying), "lying.xlsx", "501 行", "超过上限 100 行")
    assert "声明的范围" not in stderr


def test_cells_without_references_are_counted_row_by_row(orgs, tmp_path, settings):
    settings.GETPOWER_IMPORT_MAX_COLUMNS = 12

    def positional(cells: int):
        row = b"<row>" + b"<c><v>1</v></c>" * cells + b"</row>"
        return lambda xml: xml.replace(b"</sheetData>", row * 3 + b"</sheetData>")

    refused(cli_import(tmp_path, "wide.xlsx", with_sheet(workbook(), positional(13))), "wide.xlsx", "13 列")
    rows = read_xlsx(with_sheet(workbook(), positional(12)), "assets", "ok.xlsx", WorkbookLimits(columns=12))
    assert len(rows) == 6 and rows[-1][:12] == [1.0] * 12


@pytest.mark.parametrize("name, data, words", [
    ("notzip.xlsx", b"asset_id,name\nA,B\n", ["不是有效的 .xlsx 工作簿", "另存为 .xlsx"]),
    ("garbage.xlsx", b"PK\x03\x04" + b"\x00" * 200, ["不是有效的 .xlsx 工作簿"]),
    ("half.xlsx", workbook()[: len(workbook()) // 2], ["不是有效的 .xlsx 工作簿"]),
    ("empty.xlsx", b"", ["不是有效的 .xlsx 工作簿"]),
])
def test_damaged_or_foreign_files_get_a_chinese_error(orgs, tmp_path, name, data, words):
    stderr = refused(cli_import(tmp_path, name, data), name, *words)
    assert "Cannot detect" not in stderr and "file format" not in stderr


def test_a_zip_that_is_not_a_workbook_is_refused(orgs, tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("content.xml", "<office:document/>")
    refused(cli_import(tmp_path, "calc.xlsx", out.getvalue()), "calc.xlsx", "缺少 xl/workbook.xml")


def test_a_damaged_sheet_inside_a_valid_zip_gets_a_chinese_error(orgs, tmp_path):
    broken = with_sheet(workbook(), lambda xml: xml.replace(b"</sheetData>", b"<row r='9'><c r=\"A9\"><v>"))
    result = cli_import(tmp_path, "broken.xlsx", broken)
    assert result.exit_code == 1 and "已拒绝" in result.stderr, result.output
    assert Asset.objects.count() == 0


def test_the_web_upload_is_guarded_the_same_way(client, province, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = Asset.objects.count()
    assert client.login(username="admin", password=province.password)
    upload = SimpleUploadedFile("bomb.xlsx", bomb(), content_type="application/octet-stream")
    response = client.post("/imports/", {"ledger": "assets", "file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.latest("id")
    assert job.status == "rejected" and "bomb.xlsx" in job.errors[0]["reason"]
    assert "压缩比" in job.errors[0]["reason"]
    assert Asset.objects.count() == before


def test_read_table_raises_file_error_for_the_importer():
    with pytest.raises(FileError, match="已拒绝"):
        read_table(bomb(), "x.xlsx", "assets")
