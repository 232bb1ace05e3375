"""The monthly supervision report: `getpower report` as xlsx, html and pdf; misuse exits 2; the
printable page and the workbook download on the web."""

from __future__ import annotations

import io

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from getpower.cli import app
from getpower.cockpit import report

from .conftest import build_evaluated

pytestmark = pytest.mark.shared_data(build=build_evaluated)
runner = CliRunner()
SHEETS = ["指标汇总", "排名", "频繁停电", "超时报装", "欠费停电违规", "停电治理"]


def sheet(path, name) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes())).get_sheet_by_name(name).to_python()


def flat(rows) -> list:
    return [c for row in rows for c in row]


def test_report_xlsx_for_the_province(evaluated, tmp_path):
    out = tmp_path / "report.xlsx"
    result = runner.invoke(app, ["report", "--month", "2026-11", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "云南省“获得电力”监管月报（2026-11）" in result.stdout
    assert CalamineWorkbook.from_filelike(io.BytesIO(out.read_bytes())).sheet_names == SHEETS
    summary = sheet(out, "指标汇总")
    assert summary[0][0] == "云南省“获得电力”监管月报（2026-11）"
    rows = {r[1]: r for r in summary[3:9]}
    assert rows["频繁停电及预警（每千台区）"][2] == 500 and "频繁停电 1；预警 1" in rows["频繁停电及预警（每千台区）"]
    assert rows["报装按时办结率"][2] == 50 and rows["报装按时办结率"][4] == 50  # October: 50 too
    assert rows["欠费停电违规案件"][2] == 1 and rows["报备及时率"][2] == ""
    ranking = sheet(out, "排名")
    names = [r[2] for r in ranking[4:20]]
    assert names[:2] == ["昆明市", "保山市"] and len(names) == 16  # by composite: 50.0 before 33.3
    assert "五华供电局" in flat(ranking) and "保山电力股份有限公司" in flat(ranking)
    outages = flat(sheet(out, "频繁停电"))
    assert "WH-T1" in outages and "BS-T1" in outages and "频繁停电" in outages and "预警" in outages
    late = flat(sheet(out, "超时报装"))
    assert "A1" in late and "A2" in late and "超时办结" in late and "已超期" in late and "A3" not in late
    arrears = flat(sheet(out, "欠费停电违规"))
    assert "C2" in arrears and "C1" not in arrears and "负责人批准" in arrears
    governance = flat(sheet(out, "停电治理"))
    assert "WH-T1" in governance and "未销号" in governance


def test_report_for_a_county_lists_only_its_rows(evaluated, tmp_path):
    out = tmp_path / "baoshan.xlsx"
    result = runner.invoke(app, ["report", "--month", "2026-11", "--region", "530500", "--out", str(out)])
    assert result.exit_code == 0, result.output
    outages = flat(sheet(out, "频繁停电"))
    assert "BS-T1" in outages and "WH-T1" not in outages
    assert "C2" not in flat(sheet(out, "欠费停电违规"))
    ranking = flat(sheet(out, "排名"))
    assert "隆阳区" in ranking and "五华区" not in ranking


def test_report_html_is_printable_and_standalone(evaluated, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--month", "2026-11", "--region", "530100", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "昆明市“获得电力”监管月报（2026-11）" in html and "@media print" in html
    assert "echarts.registerMap" in html and '"features"' in html  # ECharts and the county map inlined
    assert "/static/" not in html
    assert "WH-T1" in html and "A1" in html and "C2" in html
    assert 'id="trend-composite"' in html


@pytest.mark.browser
def test_report_pdf_with_headless_chromium(evaluated, tmp_path):
    out = tmp_path / "report.pdf"
    result = runner.invoke(app, ["report", "--month", "2026-11", "--region", "530102", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"%PDF-" and out.stat().st_size > 10_000


def test_pdf_without_chromium_exits_2(evaluated, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "chromium", lambda: None)
    result = runner.invoke(app, ["report", "--month", "2026-11", "--out", str(tmp_path / "r.pdf")])
    assert result.exit_code == 2
    assert "no_pdf" in result.stderr and "Chromium" in result.stderr and not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize("args,code", [
    (["--month", "2026-13"], "bad_month"),
    (["--month", "202611"], "bad_month"),
    (["--month", "2026-11", "--region", "999999"], "unknown_region"),
    (["--month", "2026-11", "--region", "530102001"], "unknown_region"),  # a township is no report region
])
def test_misuse_exits_2(province, tmp_path, args, code):
    out = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["report", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert code in result.stderr and not out.exists()


def test_bad_output_suffix_exits_2(province, tmp_path):
    result = runner.invoke(app, ["report", "--month", "2026-11", "--out", str(tmp_path / "r.docx")])
    assert result.exit_code == 2 and "bad_output" in result.stderr


def test_a_month_without_runs_still_reports(province, tmp_path):
    out = tmp_path / "empty.xlsx"
    result = runner.invoke(app, ["report", "--month", "2025-01", "--out", str(out)])
    assert result.exit_code == 0 and "没有评估数据" in result.stderr
    assert sheet(out, "频繁停电")[2][0] == "序号" and sheet(out, "频繁停电")[3][0] == "无"


def test_web_report_and_workbook(client, evaluated):
    assert client.login(username="km_authority", password=evaluated["province"].password)
    page = client.get("/cockpit/report/", {"month": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "昆明市“获得电力”监管月报（2026-11）" in html and "/static/vendor/echarts/echarts.min.js" in html
    assert "打印" in html and "BS-T1" not in html
    workbook = client.get("/cockpit/report.xlsx", {"month": "2026-11", "region": "530102"})
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    names = CalamineWorkbook.from_filelike(io.BytesIO(workbook.content)).sheet_names
    assert names == SHEETS
    assert client.get("/cockpit/report/", {"month": "11/2026"}).status_code == 400


def test_an_authoritys_report_holds_its_region_only(client, evaluated):
    assert client.login(username="wh_authority", password=evaluated["province"].password)
    html = client.get("/cockpit/report/", {"month": "2026-11"}).content.decode()
    assert "五华区“获得电力”监管月报（2026-11）" in html
    assert "盘龙区" not in html and "盘龙供电局" not in html and "A3" not in html
    workbook = client.get("/cockpit/report.xlsx", {"month": "2026-11"})
    cells = [c for name in SHEETS for row in CalamineWorkbook.from_filelike(io.BytesIO(workbook.content))
             .get_sheet_by_name(name).to_python() for c in row]
    assert "五华区" in cells and "盘龙区" not in cells and "盘龙供电局" not in cells
