"""Formula injection (issue 12): names typed or imported by a company reach spreadsheets as text."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from typer.testing import CliRunner

from getpower.cli import app
from tests.factories import build_province, import_text

pytestmark = pytest.mark.shared_data(build=build_province)  # one province for the module (tests/conftest.py)

runner = CliRunner()
HOSTILE = ['=HYPERLINK("http://x/","点我")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(1+1)", "-1+2"]


def csv_text(header: str, rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def hostile_assets(province):
    rows = [[f"X-T{i}", "tq", name, "WHPG", "530102", "", "WH-L1", "400", "12", "urban"]
            for i, name in enumerate(HOSTILE)]
    import_text("assets", csv_text("asset_id,asset_type,name,company,county_code,township_code,line_id,"
                                   "rated_kva,users,area_type", rows))
    return province


def test_assets_csv_export_writes_hostile_names_as_text(client, hostile_assets):
    assert client.login(username="admin", password=hostile_assets.password)
    response = client.get("/assets/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"), newline="")))
    header = rows[0]
    got = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    for i, name in enumerate(HOSTILE):
        row = got[f"X-T{i}"]
        assert row["name"] == "'" + name  # shown as text by Excel/WPS, never evaluated
        assert row["rated_kva"] == "400" and row["users"] == "12"  # numbers stay numbers
    assert got["WH-T1"]["name"] == "五华一号台区"  # ordinary text untouched


CASES_HEADER = ("case_id,company,county_code,community,households,arrears_yuan,bill_due_date,demand_at,approved_by,"
                "notice_served_at,final_notice_at,reported_at,authority,authority_level,planned_cut_at,cut_at,"
                "cancelled_at")


@pytest.fixture
def hostile_cases(province):
    rows = [[f"H{i}", "WHPG", "530102", name, "10", "1000", "2026-08-01", "2026-09-01 09:00", name,
             "2026-09-05 09:00", "", "", "", "", "2026-09-10 09:00", "", ""] for i, name in enumerate(HOSTILE)]
    import_text("arrears_cases", csv_text(CASES_HEADER, rows))
    return province


def community_cells(path):
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[3]]
    column = header.index("小区名称") + 1
    return [sheet.cell(r, column) for r in range(4, 4 + len(HOSTILE))], sheet


def test_f2_xlsx_stores_hostile_community_names_as_text(hostile_cases, tmp_path):
    out = tmp_path / "f2.xlsx"
    result = runner.invoke(app, ["ledger", "F2", "--period", "2026-09", "--company", "WHPG", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cells, sheet = community_cells(out)
    assert sorted(c.value for c in cells) == sorted(HOSTILE)  # unchanged
    assert all(c.data_type == "s" for c in cells)  # text, not a formula ('f') or a number
    assert not any(cell.data_type == "f" or cell.hyperlink for row in sheet.iter_rows() for cell in row)


def test_f2_web_download_and_csv_ledger_are_guarded_too(hostile_cases, client, tmp_path):
    assert client.login(username="whpg", password=hostile_cases.password)
    response = client.get("/arrears/f2/?company=WHPG&period=2026-09")
    assert response.status_code == 200
    path = tmp_path / "web.xlsx"
    path.write_bytes(response.content)
    cells, _ = community_cells(path)
    assert all(c.data_type == "s" for c in cells) and sorted(c.value for c in cells) == sorted(HOSTILE)

    out = tmp_path / "f2.csv"
    result = runner.invoke(app, ["ledger", "F2", "--period", "2026-09", "--company", "WHPG", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    column = rows[0].index("小区名称")
    assert sorted(r[column] for r in rows[1:]) == sorted("'" + name for name in HOSTILE)
    households = rows[0].index("涉及户数")
    assert {r[households] for r in rows[1:]} == {"10"}
