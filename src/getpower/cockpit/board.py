"""Reading the snapshots into what the cockpit page and the monthly report show: the cards of an
area, its map (its prefectures, or the counties of its prefecture), the rankings of those areas
and of the companies inside it, and the month-by-month trend. Nothing here computes a KPI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import mark_safe

from getpower.core.models import EvaluationRun

from . import services
from .kpis import Area, Geography, Kpi, all_kpis, by_code


@dataclass
class Cell:
    """One number on the page: the value, how it changed since last month, the list behind it."""

    kpi: Kpi
    value: float | None
    text: str
    url: str | None = None
    previous: float | None = None
    delta: float | None = None
    delta_text: str = ""
    direction: str = ""  # better | worse | same
    numerator: float | None = None
    denominator: float | None = None
    parts: list[dict] = field(default_factory=list)  # {code, label, n, url}
    scores: dict = field(default_factory=dict)  # composite: the KPIs' scores

    @property
    def parts_by_code(self) -> dict[str, dict]:
        return {p["code"]: p for p in self.parts}

    @property
    def html(self) -> str:
        """The number, linked to the list behind it (built here: a template include per cell is slow)."""
        title = "；".join(f"{label} {score}" for label, score in self.scores.items())
        title_attr = f' title="{escape(title)}"' if title else ""
        if self.url:
            return mark_safe(f'<a href="{escape(self.url)}" class="num-link" data-kpi="{self.kpi.code}"{title_attr}>'
                             f"{escape(self.text)}</a>")
        return mark_safe(f'<span data-kpi="{self.kpi.code}"{title_attr}>{escape(self.text)}</span>')


@dataclass
class Row:
    area: Area
    cells: dict[str, Cell]
    rank: int | None = None
    composite_rank: int | None = None
    url: str | None = None  # drill down into the area (regions)
    current: Cell | None = None  # the cell of the chosen KPI
    html: str = ""  # the KPI cells as <td>s (``tds``)

    @property
    def ordered(self) -> list[Cell]:
        return [self.cells[k.code] for k in all_kpis()]

    def tds(self, current: str) -> str:
        """The row's KPI cells as table cells, the chosen KPI's column marked."""
        return mark_safe("".join(
            f'<td class="num{" current" if c.kpi.code == current else ""}">{c.html}</td>' for c in self.ordered))


@dataclass
class Board:
    month: str
    previous_month: str
    kpi: Kpi
    area: Area
    crumbs: list[Area]
    cards: dict[str, Cell]
    map_name: str  # "yunnan" or the prefecture code whose county map is shown
    map_prefecture: Area | None
    areas: list[Row]
    companies: list[Row]
    trend: list[tuple[str, float | None]]
    runs: dict[str, EvaluationRun | None]
    child_label: str

    @property
    def kpis(self) -> tuple[Kpi, ...]:
        return all_kpis()


def signed(value: float, decimals: int) -> str:
    text = f"{value:+.{decimals}f}"
    return "±0" if float(text) == 0 else text


def make_cell(kpi: Kpi, level: str, code: str, snap: services.Snap | None, before: services.Snap | None,
              runs: dict[str, int | None], area_url: str | None = None) -> Cell:
    """``runs``: the month's run of each rule (the run behind every snapshot of the month)."""
    value = snap.value if snap else None
    cell = Cell(kpi, value, kpi.format(value), numerator=snap.numerator if snap else None,
                denominator=snap.denominator if snap else None)
    if kpi.list_url is not None and snap is not None and (value is not None or snap.numerator is not None):
        cell.url = kpi.list_url(level, code, runs, None)
    elif kpi.code == "composite":
        cell.url = area_url
        scores = (snap.parts or {}).get("scores", {}) if snap else {}
        labels = {k.code: k.label for k in all_kpis()}
        cell.scores = {labels[k]: s for k, s in scores.items() if k in labels}
    if snap is not None:
        for part, label in kpi.parts:
            n = (snap.parts or {}).get(part)  # parts are read for the cards only
            if n is not None:
                cell.parts.append({"code": part, "label": label, "n": n,
                                   "url": kpi.list_url(level, code, runs, part) if kpi.list_url else None})
    cell.previous = before.value if before else None
    if value is not None and cell.previous is not None:
        cell.delta = round(value - cell.previous, kpi.decimals)
        cell.delta_text = signed(cell.delta, kpi.decimals)
        if cell.delta == 0:
            cell.direction = "same"
        else:
            cell.direction = "better" if (cell.delta > 0) == kpi.higher_is_better else "worse"
    return cell


def rank(rows: list[Row], kpi: Kpi) -> list[Row]:
    """Best first by ``kpi`` (ties share a rank); areas without a value last."""
    def key(row: Row) -> float:
        value = row.cells[kpi.code].value
        return -value if kpi.higher_is_better else value

    valued = sorted([r for r in rows if r.cells[kpi.code].value is not None], key=lambda r: (key(r), r.area.code))
    for row in rows:
        row.rank = None
    previous, position = None, 0
    for index, row in enumerate(valued, start=1):
        if row.cells[kpi.code].value != previous:
            position, previous = index, row.cells[kpi.code].value
        row.rank = position
    return valued + sorted([r for r in rows if r.cells[kpi.code].value is None], key=lambda r: r.area.code)


def has_data(cells: dict[str, Cell]) -> bool:
    """A company shows in the ranking when anything was counted for it (台区, applications, cases…)."""
    return any(c.numerator or c.denominator for c in cells.values()) or cells["filings_on_time"].value is not None


def build(*, month: str, area: Area, kpi_code: str, geo: Geography, covers: Callable[[str], bool],
          root: Area, page_url: Callable[..., str] | None = None,
          runs: dict[str, EvaluationRun | None] | None = None) -> Board:
    """Everything the page shows for ``area`` in ``month``; ``covers(region_code)`` tells which
    regions the reader may see (``Scope.covers_region``), ``root`` is the top of their view."""
    kpi = by_code()[kpi_code]
    previous_month = services.shift_month(month, -1)
    crumbs = [a for a in (geo.province, geo.prefectures.get(area.parent) if area.level == "county" else None, area)
              if a is not None and covers(a.code) and a.code.startswith(root.prefix)]
    crumbs = list(dict.fromkeys(crumbs))
    if area.level == "province":
        map_name, map_prefecture = "yunnan", None
        children = list(geo.prefectures.values())
        child_label = "州市"
    else:
        map_prefecture = area if area.level == "prefecture" else geo.prefectures.get(area.parent)
        map_name = map_prefecture.code if map_prefecture else area.code
        children = [c for c in geo.counties.values() if map_prefecture and c.parent == map_prefecture.code]
        child_label = "县区"
    children = sorted([c for c in children if covers(c.code)], key=lambda a: a.code)
    companies = sorted([c for c in geo.companies.values() if c.parent.startswith(area.prefix) and covers(c.parent)],
                       key=lambda a: a.code)
    keys = [(area.level, area.code)] + [(a.level, a.code) for a in children + companies]
    runs = runs if runs is not None else services.month_runs(month)
    run_ids = {rule: run.pk if run else None for rule, run in runs.items()}
    now_snaps = services.snapshots(month, keys[1:])
    now_snaps.update(services.snapshots(month, keys[:1], parts=True))
    # last month: every KPI of the area (its cards), the chosen KPI of the rows (their change column)
    before_snaps = services.snapshots(previous_month, keys[1:], [kpi.code])
    before_snaps.update(services.snapshots(previous_month, keys[:1]))

    def url_of(a: Area) -> str | None:
        return page_url(area=a.code) if page_url and a.level != "company" else None

    def cells_of(a: Area) -> dict[str, Cell]:
        key = (a.level, a.code)
        return {k.code: make_cell(k, a.level, a.code, now_snaps.get(key, {}).get(k.code),
                                  before_snaps.get(key, {}).get(k.code), run_ids, url_of(a)) for k in all_kpis()}

    area_rows = [Row(a, cells_of(a), url=url_of(a)) for a in children]
    company_rows = [row for row in (Row(a, cells_of(a)) for a in companies) if has_data(row.cells)]
    for row in area_rows + company_rows:
        row.current = row.cells[kpi.code]
        row.html = row.tds(kpi.code)
    composite = by_code()["composite"]
    for rows in (area_rows, company_rows):
        for row in rank(list(rows), composite):
            row.composite_rank = row.rank
    return Board(
        month=month, previous_month=previous_month, kpi=kpi, area=area, crumbs=crumbs, cards=cells_of(area),
        map_name=map_name, map_prefecture=map_prefecture, areas=rank(area_rows, kpi),
        companies=rank(company_rows, kpi), trend=services.trend(area.level, area.code, kpi.code),
        runs=runs, child_label=child_label)
