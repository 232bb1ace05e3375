"""The filing centre's producer registry: a filing ledger (F1–F3, and F4–F6 as they come) as a file.

One producer per ledger builds a ``Deliverable`` (title, columns, rows, metadata) for a company and a
month; one writer lays it out as a regulator-ready xlsx or a plain CSV (through ``core.exports``).
Each domain registers its producer in its own ``AppConfig.ready()``
(``register_producer("F1", f1.produce)``), so the filing centre imports no domain. A filing type
(``FilingType.producer``, data) names the producer that fills its filings by this code; the web
downloads (``filings/downloads.py``), ``getpower ledger F1|F2|F3`` and the filings' frozen versions all
go through :func:`producer`."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from getpower.core import exports
from getpower.core.models import Organisation

CHINA = ZoneInfo("Asia/Shanghai")


class DeliverableError(ValueError):
    """A wrong period or company (the command line exits 2)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise DeliverableError("bad_period", f"期间“{text}”格式应为 YYYY-MM")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def end(self) -> dt.datetime:
        """The end of the month: 23:59:59 China time on its last day (R5)."""
        last = self.last_day
        return dt.datetime(last.year, last.month, last.day, 23, 59, 59, tzinfo=CHINA)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, self.month, 1, tzinfo=CHINA)

    def next(self) -> Period:
        return Period(self.year + (self.month == 12), self.month % 12 + 1)


@dataclass
class Deliverable:
    code: str  # F1, F2, F3
    title: str
    company_name: str
    company_code: str
    period: Period
    columns: list[tuple[str, str]]  # (code, Chinese label)
    rows: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return "；".join(str(cell(v)) for v in value)
    return value


def to_csv(d: Deliverable) -> bytes:
    """The ledger as CSV for a spreadsheet: text that could start a formula is quoted (core.exports)."""
    return exports.csv_bytes([label for _, label in d.columns],
                             ([cell(row.get(code)) for code, _ in d.columns] for row in d.rows))


def to_xlsx(d: Deliverable) -> bytes:
    """The ledger as a regulator-ready workbook; text is stored as text, never as a formula (core.exports)."""
    book = exports.workbook()
    sheet = book.add_worksheet(d.code)
    title = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    meta = book.add_format({"font_size": 10})
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "align": "center",
                            "valign": "vcenter"})
    body = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    n = len(d.columns) + 1
    sheet.merge_range(0, 0, 0, n - 1, d.title, title)
    sheet.set_row(0, 30)
    info = [f"报送单位：{d.company_name}（{d.company_code}）", f"统计期间：{d.period.label}"]
    info += [f"{k}：{cell(v)}" for k, v in d.meta.items()]
    sheet.merge_range(1, 0, 1, n - 1, "    ".join(info), meta)
    sheet.write(2, 0, "序号", head)
    for index, (_, label) in enumerate(d.columns, start=1):
        sheet.write(2, index, label, head)
        sheet.set_column(index, index, max(10, min(40, len(label) * 2 + 2)))
    sheet.set_column(0, 0, 6)
    for r, row in enumerate(d.rows, start=3):
        exports.write(sheet, r, 0, r - 2, body)
        for c, (code, _) in enumerate(d.columns, start=1):
            exports.write(sheet, r, c, cell(row.get(code)), body)
    last = 3 + len(d.rows)
    if not d.rows:
        sheet.merge_range(last, 0, last, n - 1, "本期无应报送事项", body)
        last += 1
    for note in d.notes:
        last += 1
        sheet.merge_range(last, 0, last, n - 1, note, meta)
    sheet.write(last + 2, 0, "填报人：", meta)
    sheet.write(last + 2, 4, "审核人：", meta)
    sheet.write(last + 2, 8, "报送日期：", meta)
    sheet.freeze_panes(3, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(2)
    return exports.workbook_bytes(book)


Producer = Callable[..., Deliverable]  # (company, period) → the ledger
_PRODUCERS: dict[str, Producer] = {}


def register_producer(code: str, produce: Producer) -> Producer:
    """Called by the domain that owns the ledger, in its ``AppConfig.ready()``."""
    _PRODUCERS[code] = produce
    return produce


def producer_codes() -> list[str]:
    return sorted(_PRODUCERS)


def producer(code: str) -> Producer:
    try:
        return _PRODUCERS[code]
    except KeyError:
        raise DeliverableError("unknown_filing",
                               f"未知的报备台账“{code}”，可选：{', '.join(producer_codes())}") from None


def resolve_company(org_code: str):
    company = Organisation.objects.filter(org_code=org_code).first()
    if company is None:
        raise DeliverableError("unknown_company", f"未知的单位编码“{org_code}”")
    if company.kind != Organisation.Kind.SUPPLIER:
        raise DeliverableError("not_a_supplier", f"“{company.name}”不是供电企业")
    return company


def produce(code: str, period_text: str, org_code: str) -> Deliverable:
    period = Period.parse(period_text)
    company = resolve_company(org_code)
    return producer(code)(company, period)
