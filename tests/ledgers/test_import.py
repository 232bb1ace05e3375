"""The ledger importer through the command line, as cli.md describes it."""

from __future__ import annotations

import io

import pytest
import xlsxwriter
from typer.testing import CliRunner

from getpower.cli import app
from getpower.core.models import AuditLog, ImportJob, Organisation
from getpower.grid.models import Asset
from tests.factories import ASSETS, ORGANISATIONS

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def orgs(db, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(ORGANISATIONS, encoding="utf-8")
    result = run("import", "organisations", path)
    assert result.exit_code == 0, result.output
    return path


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_organisations_import_then_same_file_changes_nothing(orgs):
    assert Organisation.objects.count() == 11
    assert Organisation.objects.get(org_code="WHPG").parent.org_code == "KMPG"
    audit_rows = AuditLog.objects.count()
    again = run("import", "organisations", orgs)
    assert again.exit_code == 0
    assert "新增 0，更新 0，未变 11" in again.stdout
    assert AuditLog.objects.count() == audit_rows


def test_assets_import_twice_is_idempotent(orgs, tmp_path):
    path = write(tmp_path, "assets.csv", ASSETS)
    first = run("import", "assets", path)
    assert first.exit_code == 0, first.output
    assert "新增 7" in first.stdout
    snapshot = list(Asset.objects.order_by("id").values())
    second = run("import", "assets", path)
    assert "新增 0，更新 0，未变 7" in second.stdout
    assert list(Asset.objects.order_by("id").values()) == snapshot
    tq = Asset.objects.get(asset_id="WH-T1")
    assert tq.line.asset_id == "WH-L1" and tq.rated_kva == 400 and tq.users == 120


def test_changed_row_updates_and_is_audited(orgs, tmp_path):
    run("import", "assets", write(tmp_path, "a.csv", ASSETS))
    changed = ASSETS.replace("WH-T1,tq,五华一号台区,WHPG,530102,,WH-L1,400,120", "WH-T1,tq,五华一号台区,WHPG,530102,,WH-L1,500,130")
    result = run("import", "assets", write(tmp_path, "b.csv", changed))
    assert "新增 0，更新 1，未变 6" in result.stdout
    log = AuditLog.objects.get(object_type="grid.asset", action="update")
    assert log.before == {"rated_kva": 400.0, "users": 120}
    assert log.after == {"rated_kva": 500.0, "users": 130}
    assert Asset.objects.get(asset_id="WH-T1").users == 130


BAD_ASSETS = """asset_id,asset_type,name,company,county_code,township_code,line_id,rated_kva,users,area_type
X-L1,line,好线路,WHPG,530102,,,,0,urban
X-T1,tq,坏台区,WHPG,530102,,NO-SUCH-LINE,400,-3,urban
X-T2,台变,坏类型,WHPG,530102,,X-L1,abc,10,urban
X-T3,tq,越界,WHPG,530502,,X-L1,400,10,urban
X-T4,tq,无单位,NOBODY,530102,,X-L1,400,10,suburb
X-L1,line,重复,WHPG,530102,,,,0,urban
"""


def test_bad_file_reports_every_error_exits_1_and_writes_nothing(orgs, tmp_path):
    before = Asset.objects.count()
    result = run("import", "assets", write(tmp_path, "bad.csv", BAD_ASSETS))
    assert result.exit_code == 1
    err = result.stderr
    expected = [
        ("第 3 行", "line_id", "NO-SUCH-LINE"),
        ("第 3 行", "users", "-3"),
        ("第 4 行", "asset_type", "台变"),
        ("第 4 行", "rated_kva", "abc"),
        ("第 5 行", "county_code", "530502"),
        ("第 6 行", "company", "NOBODY"),
        ("第 6 行", "area_type", "suburb"),
        ("第 7 行", "asset_id", "X-L1"),
    ]
    for row, column, value in expected:
        assert any(row in line and column in line and value in line for line in err.splitlines()), (row, column, err)
    assert Asset.objects.count() == before
    job = ImportJob.objects.filter(ledger="assets").latest("id")
    assert job.status == "rejected" and len(job.errors) >= len(expected)


def test_missing_required_column_rejects_file(orgs, tmp_path):
    text = "asset_id,asset_type,name,company\nA,line,x,WHPG\n"
    result = run("import", "assets", write(tmp_path, "m.csv", text))
    assert result.exit_code == 1
    assert "county_code" in result.stderr and "users" in result.stderr


def test_gb18030_csv_with_chinese_headers(orgs, tmp_path):
    text = ("设备编号,设备类型,设备名称,供电单位编码,所属县区代码,所属线路编号,额定容量(kVA),用户数,区域类型,备注列\n"
            "GB-L1,中压线路,国标线路,WHPG,530102,,,0,市区,x\n"
            "GB-T1,台区,国标台区,WHPG,530102,GB-L1,315,88,农村,y\n")
    path = write(tmp_path, "gb.csv", text, encoding="gb18030")
    result = run("import", "assets", path)
    assert result.exit_code == 0, result.output
    assert "未知列“备注列”" in result.stderr
    tq = Asset.objects.get(asset_id="GB-T1")
    assert tq.name == "国标台区" and tq.area_type == "rural" and tq.line.asset_id == "GB-L1"


def test_xlsx_import(orgs, tmp_path):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("assets")
    rows = [line.split(",") for line in ASSETS.strip().splitlines()]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if r and c in (7, 8) and value:
                sheet.write_number(r, c, float(value))
            else:
                sheet.write(r, c, value)
    book.close()
    path = tmp_path / "assets.xlsx"
    path.write_bytes(buffer.getvalue())
    result = run("import", "assets", path)
    assert result.exit_code == 0, result.output
    assert Asset.objects.get(asset_id="WH-T2").rated_kva == 630


def test_dry_run_writes_nothing(orgs, tmp_path):
    result = run("import", "assets", write(tmp_path, "a.csv", ASSETS), "--dry-run")
    assert result.exit_code == 0 and "校验通过" in result.stdout
    assert Asset.objects.count() == 0


def test_size_limit_has_a_clear_message(orgs, tmp_path, settings):
    settings.GETPOWER_IMPORT_MAX_BYTES = 100
    result = run("import", "assets", write(tmp_path, "a.csv", ASSETS))
    assert result.exit_code == 1 and "文件过大" in result.stderr


def test_unknown_ledger_and_missing_file_exit_2(db, tmp_path):
    assert run("import", "nonsense", tmp_path / "x.csv").exit_code == 2
    assert run("import", "assets", tmp_path / "missing.csv").exit_code == 2


def test_import_job_records_file_hash_and_counts(orgs, tmp_path):
    import hashlib

    path = write(tmp_path, "a.csv", ASSETS)
    run("import", "assets", path)
    job = ImportJob.objects.filter(ledger="assets").latest("id")
    assert job.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (job.rows_added, job.status, job.file_name) == (7, "succeeded", "a.csv")
    assert job.duration_seconds is not None


def test_template_and_dictionary_come_from_the_declaration(client, province):
    from python_calamine import CalamineWorkbook

    client.login(username="whpg", password=province.password)
    response = client.get("/ledgers/assets/template.xlsx")
    assert response.status_code == 200
    header = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("assets").to_python()[0]
    from getpower.ledgers.registry import get_ledger

    assert header == [c.label for c in get_ledger("assets").columns]
    page = client.get("/dictionary/").content.decode()
    for col in get_ledger("outages").columns:
        assert col.code in page and col.label in page


def test_characters_no_database_can_store_are_cell_errors():
    """A NUL (PostgreSQL refuses it in text and JSON) or a lone surrogate (JSON API input) in a cell is a
    cell error, and the error report shows it escaped so that the report itself can be stored — found by
    API fuzzing as a server error on PostgreSQL."""
    from getpower.ledgers.columns import CellError, Column, RowError

    column = Column("name", "text", "名称")
    for bad in ("五\x00华", "五\ud800华"):
        with pytest.raises(CellError, match="无法保存的字符"):
            column.parse(bad)
        shown = RowError(2, "name", bad, "x").as_dict({"name": "名称"})["value"]
        assert shown.encode("utf-8") and "\\u" in shown
    assert column.parse(" 五华 ") == "五华"
