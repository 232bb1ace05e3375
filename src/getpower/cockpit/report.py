"""The monthly supervision report (月度监管报告) of a region: the KPI summary and rankings from the
snapshots, and the lists behind them from the month's runs — as an xlsx workbook, a printable
HTML page (with the charts) and, where headless Chromium is installed, a PDF made from that page.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone

from getpower.arrears import kpis as arrears_kpis
from getpower.arrears.models import ArrearsFinding
from getpower.arrears.services import CHECK_LABELS
from getpower.connections import kpis as connection_kpis
from getpower.connections.models import TimeLimitFinding
from getpower.connections.services import CLASS_LABELS
from getpower.core import exports
from getpower.filings.producers import cell as xlsx_cell
from getpower.outages import kpis as outage_kpis
from getpower.outages.models import Finding, GovernanceItem

from . import board, services
from .kpis import Area, Context, Geography, all_kpis

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
LIST_LIMIT_HTML = 100  # rows per list in the printable page; the workbook has them all


class ReportError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class Listing:
    code: str
    title: str  # sheet name / section heading
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    note: str = ""
    url: str = ""  # the same list on the platform


@dataclass
class ReportData:
    month: str
    area: Area
    board: board.Board
    generated_at: dt.datetime
    listings: list[Listing] = field(default_factory=list)
    has_runs: bool = True

    @property
    def title(self) -> str:
        return f"{self.area.name}“获得电力”监管月报（{self.month}）"


def area_of(code: str, geo: Geography) -> Area:
    area = geo.region(code)
    if area is None:
        raise ReportError("unknown_region", f"未知的行政区划代码：{code}（应为省、州市或县区代码）")
    return area


def build(month: str, region: str | None = None, *, covers: Callable[[str], bool] | None = None) -> ReportData:
    """Everything the report shows; the snapshots of the month are refreshed first if behind.
    ``covers`` (``Scope.covers_region`` of the reader) keeps neighbouring areas out of the rankings;
    the command line, acting for the platform, sees everything."""
    month = services.parse_month(month)
    geo = Geography.load()
    area = area_of(region or geo.province.code, geo)
    state = services.ensure_fresh(month)
    b = board.build(month=month, area=area, kpi_code="composite", geo=geo, covers=covers or (lambda _code: True),
                    root=area)
    data = ReportData(month=month, area=area, board=b, generated_at=timezone.now(), has_runs=state is not None)
    data.listings = listings(month, area, b, geo)
    return data


def listings(month: str, area: Area, b: board.Board, geo: Geography) -> list[Listing]:
    inside = {"county__code__startswith": area.prefix}
    runs = b.runs
    ids = {rule: (run.pk if run else None) for rule, run in runs.items()}
    level, code = area.level, area.code
    out = []
    findings = Finding.objects.none() if runs["R3"] is None else Finding.objects.filter(run=runs["R3"], **inside)
    out.append(Listing("outages", "频繁停电", [
        ("status", "状态"), ("asset_type", "类型"), ("asset_id", "设备编号"), ("name", "设备名称"), ("company", "供电单位"),
        ("county", "县区"), ("year_count", "年内停电次数"), ("max_60d_count", "60天内最多次数"),
        ("first_breach_date", "首次越限日")], [
        {"status": f.get_status_display(), "asset_type": f.asset.get_asset_type_display(), "asset_id": f.asset.asset_id,
         "name": f.asset.name, "company": f.company.name, "county": f.county.name, "year_count": f.year_count,
         "max_60d_count": f.max_60d_count, "first_breach_date": f.first_breach_date}
        for f in findings.select_related("asset", "company", "county").order_by(
            "status", "-max_60d_count", "-year_count", "asset__asset_id")],
        note=_run_note(runs["R3"], "R3"), url=outage_kpis.findings_list(level, code, ids)))
    late = TimeLimitFinding.objects.none() if runs["R2"] is None else TimeLimitFinding.objects.filter(
        run=runs["R2"], check_name="total", status__in=("late", "overdue"), **inside)
    out.append(Listing("late", "超时报装", [
        ("status", "状态"), ("app_id", "申请编号"), ("company", "供电单位"), ("county", "县区"), ("user_class", "用户类型"),
        ("elapsed", "已用工作日"), ("limit", "时限(工作日)"), ("deadline", "截止日")], [
        {"status": "超时办结" if f.status == "late" else "已超期", "app_id": f.application.app_id,
         "company": f.company.name, "county": f.county.name, "user_class": CLASS_LABELS.get(f.user_class, f.user_class),
         "elapsed": f.elapsed_workdays, "limit": f.limit_workdays, "deadline": f.deadline}
        for f in late.select_related("application", "company", "county").order_by("status", "-elapsed_workdays")],
        note=_run_note(runs["R2"], "R2") + "（全过程时限）", url=connection_kpis.late_list(level, code, ids)))
    violations = ArrearsFinding.objects.none() if runs["R4"] is None else ArrearsFinding.objects.filter(
        run=runs["R4"], status="violation", **inside)
    out.append(Listing("arrears", "欠费停电违规", [
        ("case_id", "案件编号"), ("community", "小区"), ("company", "供电单位"), ("county", "县区"),
        ("planned_cut_at", "计划停电时间"), ("check", "违规项"), ("reason", "说明")], [
        {"case_id": f.case.case_id, "community": f.case.community, "company": f.company.name, "county": f.county.name,
         "planned_cut_at": f.case.planned_cut_at, "check": CHECK_LABELS.get(f.check_name, f.check_name),
         "reason": f.reason}
        for f in violations.select_related("case", "company", "county").order_by("case__case_id", "id")],
        note=_run_note(runs["R4"], "R4"), url=arrears_kpis.arrears_list(level, code, ids)))
    start, stop = services.month_bounds(month)
    ctx = Context(month=month, runs=runs, geo=geo, now=services.now(), month_stop=stop)
    open_ids = set(outage_kpis.open_items(ctx).filter(**inside).values_list("id", flat=True))
    closed_in_month = GovernanceItem.objects.filter(closed_at__gte=start, closed_at__lt=stop, **inside)
    items = GovernanceItem.objects.filter(pk__in=open_ids | set(closed_in_month.values_list("id", flat=True)))
    out.append(Listing("governance", "停电治理", [
        ("item", "事项"), ("state", "月末状态"), ("asset_id", "设备编号"), ("name", "设备名称"), ("company", "供电单位"),
        ("county", "县区"), ("opened_at", "识别时间"), ("planned_completion", "计划完成"), ("closed_at", "销号时间"),
        ("cycle", "轮次")], [
        {"item": i.pk, "state": "未销号" if i.pk in open_ids else "本月销号", "asset_id": i.asset.asset_id,
         "name": i.asset.name, "company": i.company.name, "county": i.county.name, "opened_at": i.opened_at,
         "planned_completion": i.planned_completion, "closed_at": i.closed_at, "cycle": i.cycle}
        for i in items.select_related("asset", "company", "county").order_by("closed_at", "opened_at", "id")],
        note="未销号事项（往月为月末时点）及本月销号事项", url=outage_kpis.governance_list(level, code, ids)))
    return out


def _run_note(run, rule: str) -> str:
    if run is None:
        return f"本月无 {rule} 评估"
    as_of = run.as_of.astimezone(services.CHINA).strftime("%Y-%m-%d %H:%M")
    return f"{rule} 评估批次 {run.pk}，评估时点 {as_of}，规则版本 v{run.rulebook_version}" + ("（暂定）" if run.provisional
                                                                                     else "")


# -- xlsx ------------------------------------------------------------------------------------------

def rounded(value: float | None, decimals: int) -> float | int | str:
    if value is None:
        return ""
    return round(value, decimals) if decimals else round(value)


def summary_rows(data: ReportData) -> list[dict]:
    rows = []
    for kpi in all_kpis():
        c = data.board.cards[kpi.code]
        rows.append({"kpi": kpi.label, "value": rounded(c.value, kpi.decimals), "unit": kpi.unit,
                     "previous": rounded(c.previous, kpi.decimals),
                     "delta": c.delta_text, "direction": {"better": "改善", "worse": "变差", "same": "持平"}.get(c.direction, ""),
                     "numerator": c.numerator, "denominator": c.denominator,
                     "parts": "；".join(f"{p['label']} {p['n']}" for p in c.parts),
                     "formula": kpi.formula + ("（越高越好）" if kpi.higher_is_better else "（越低越好）")})
    return rows


SUMMARY_COLUMNS = [("kpi", "指标"), ("value", "本月"), ("unit", "单位"), ("previous", "上月"), ("delta", "变化"),
                   ("direction", "趋势"), ("numerator", "分子"), ("denominator", "分母"), ("parts", "构成"),
                   ("formula", "口径")]


def ranking_columns() -> list[tuple[str, str]]:
    return [("rank", "综合排名"), ("name", "名称"), ("code", "代码")] + [
        (k.code, f"{k.label}（{k.unit}）") for k in all_kpis()]


def ranking_rows(rows: list[board.Row]) -> list[dict]:
    ordered = sorted(rows, key=lambda r: (r.composite_rank is None, r.composite_rank or 0, r.area.code))
    return [{"rank": r.composite_rank, "name": r.area.name, "code": r.area.code,
             **{k.code: rounded(r.cells[k.code].value, k.decimals) for k in all_kpis()}} for r in ordered]


class Workbook:
    """The deliverables' xlsx look (deliverables.to_xlsx): a title, a line of facts, a framed table."""

    def __init__(self):
        self.book = exports.workbook()  # text stays text: names and notes never become formulas
        b = self.book
        self.f_title = b.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
        self.f_meta = b.add_format({"font_size": 10})
        self.f_head = b.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True,
                                    "align": "center", "valign": "vcenter"})
        self.f_body = b.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        self.f_sub = b.add_format({"bold": True, "font_size": 12})

    def sheet(self, name: str, title: str, meta: str, blocks: list[tuple[str, list[tuple[str, str]], list[dict]]],
              notes: list[str] = ()) -> None:
        sheet = self.book.add_worksheet(name)
        width = max(len(cols) for _, cols, _ in blocks) + 1
        sheet.merge_range(0, 0, 0, width - 1, title, self.f_title)
        sheet.set_row(0, 30)
        sheet.merge_range(1, 0, 1, width - 1, meta, self.f_meta)
        r = 2
        for index, (heading, columns, rows) in enumerate(blocks):
            if heading:
                r += 1 if index else 0
                sheet.write(r, 0, heading, self.f_sub)
                r += 1
            header_row = r
            sheet.write(r, 0, "序号", self.f_head)
            for c, (_, label) in enumerate(columns, start=1):
                sheet.write(r, c, label, self.f_head)
                sheet.set_column(c, c, max(10, min(36, len(label) * 2 + 2)))
            r += 1
            for n, row in enumerate(rows, start=1):
                exports.write(sheet, r, 0, n, self.f_body)
                for c, (key, _) in enumerate(columns, start=1):
                    exports.write(sheet, r, c, xlsx_cell(row.get(key)), self.f_body)
                r += 1
            if not rows:
                sheet.merge_range(r, 0, r, len(columns), "无", self.f_body)
                r += 1
            if index == 0:
                sheet.freeze_panes(header_row + 1, 0)
                sheet.repeat_rows(header_row)
        for note in notes:
            r += 1
            sheet.merge_range(r, 0, r, width - 1, note, self.f_meta)
        sheet.set_column(0, 0, 6)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)

    def close(self) -> bytes:
        return exports.workbook_bytes(self.book)


def to_xlsx(data: ReportData) -> bytes:
    book = Workbook()
    generated = data.generated_at.astimezone(services.CHINA).strftime("%Y-%m-%d %H:%M")
    meta = f"区域：{data.area.name}（{data.area.code}）    月份：{data.month}    生成时间：{generated}"
    runs = "；".join(_run_note(run, rule) for rule, run in data.board.runs.items())
    book.sheet("指标汇总", data.title, meta, [("", SUMMARY_COLUMNS, summary_rows(data))],
               notes=[f"数据来源：{runs}", "综合评分权重见规则参数 cockpit_weight_*；口径见 docs/cockpit.md。"])
    book.sheet("排名", f"{data.area.name}排名（{data.month}）", meta, [
        (f"各{data.board.child_label}", ranking_columns(), ranking_rows(data.board.areas)),
        ("各供电单位", ranking_columns(), ranking_rows(data.board.companies))])
    for listing in data.listings:
        book.sheet(listing.title, f"{data.area.name}{listing.title}清单（{data.month}）", meta,
                   [("", listing.columns, listing.rows)], notes=[listing.note, f"共 {len(listing.rows)} 条"])
    return book.close()


# -- HTML and PDF ------------------------------------------------------------------------------------

def chart_data(data: ReportData) -> dict:
    b = data.board
    map_name = b.map_name
    trend = {k.code: services.trend(data.area.level, data.area.code, k.code) for k in all_kpis()}
    return {
        "mapName": map_name, "selected": data.area.code,
        "mapData": [{"name": r.area.name, "code": r.area.code, "value": r.cells["composite"].value,
                     "text": r.cells["composite"].text} for r in b.areas],
        "bars": [{"name": r.area.name, "value": r.cells["composite"].value}
                 for r in sorted(b.areas, key=lambda r: (r.composite_rank is None, r.composite_rank or 0))],
        "trends": [{"code": k.code, "label": k.label, "unit": k.unit, "months": [m for m, _ in trend[k.code]],
                    "values": [None if v is None else round(v, k.decimals) for _, v in trend[k.code]]} for k in all_kpis()],
    }


def render_html(data: ReportData, *, standalone: bool = True, links: dict | None = None) -> str:
    """The printable report. ``standalone`` inlines ECharts and the map, so the file opens (and
    prints) with no server and no network."""
    charts = chart_data(data)
    geo_path = "vendor/maps/yunnan.json" if charts["mapName"] == "yunnan" else f"vendor/maps/counties/{charts['mapName']}.json"
    context = {
        "data": data, "board": data.board, "charts": charts, "standalone": standalone, "links": links or {},
        "summary": summary_rows(data), "limit": LIST_LIMIT_HTML,
        "lists": [{"listing": li, "number": "五六七八九十"[i], "more": len(li.rows) > LIST_LIMIT_HTML,
                   "cells": [[xlsx_cell(row.get(k)) for k, _ in li.columns] for row in li.rows[:LIST_LIMIT_HTML]]}
                  for i, li in enumerate(data.listings)],
        "runs": [_run_note(run, rule) for rule, run in data.board.runs.items()],
        "generated": data.generated_at.astimezone(services.CHINA).strftime("%Y-%m-%d %H:%M"),
    }
    if standalone:
        context["echarts_js"] = (STATIC_DIR / "vendor/echarts/echarts.min.js").read_text(encoding="utf-8")
        context["report_js"] = (STATIC_DIR / "js/cockpit-report.js").read_text(encoding="utf-8")
        context["geo_json"] = json.loads((STATIC_DIR / geo_path).read_text(encoding="utf-8"))
    else:
        context["geo_url"] = static(geo_path)
    return render_to_string("cockpit/report.html", context)


def chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def to_pdf(data: ReportData, out: Path) -> None:
    """Print the standalone page to PDF with headless Chromium (no network, no server)."""
    browser = chromium()
    if browser is None:
        raise ReportError("no_pdf", "无法离线生成 PDF：未找到 Chromium（/usr/bin/chromium）。请改为输出 .html 后用浏览器打印，"
                                    "或输出 .xlsx")
    with tempfile.TemporaryDirectory(prefix="getpower-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(render_html(data, standalone=True), encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={Path(tmp) / 'profile'}", "--virtual-time-budget=10000",
                   "--no-pdf-header-footer", f"--print-to-pdf={target}", page.as_uri()]
        try:
            subprocess.run(command, check=False, capture_output=True, timeout=180)
        except subprocess.TimeoutExpired:
            raise ReportError("pdf_failed", "Chromium 生成 PDF 超时") from None
        if not target.exists() or target.stat().st_size == 0:
            raise ReportError("pdf_failed", "Chromium 未能生成 PDF")
        shutil.copyfile(target, out)


def write(data: ReportData, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        out.write_bytes(to_xlsx(data))
    elif suffix == ".html":
        out.write_text(render_html(data, standalone=True), encoding="utf-8")
    elif suffix == ".pdf":
        to_pdf(data, out)
    else:
        raise ReportError("bad_output", f"输出文件须为 .xlsx、.html 或 .pdf：{out}")
