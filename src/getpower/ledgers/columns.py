"""Column declarations: each ledger's columns are declared once, and the importer, the model write,
the CSV export, the Excel template, the API schema and the data-dictionary page are all made from the
declaration.

A column names the model field it is stored in (``field``: the column's own code by default, or a
lookup through a relation such as ``company__org_code``); its Chinese label is that field's
``verbose_name`` unless the column states its own (a code column of a relation: 供电单位编码 beside
the relation's 供电单位). Each label is written once."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")

TYPE_LABELS = {
    "text": "文本",
    "int": "整数",
    "number": "数值",
    "bool": "是/否",
    "date": "日期 YYYY-MM-DD",
    "time": "时间 YYYY-MM-DD HH:MM[:SS]",
    "enum": "枚举",
    "list": "列表（以 ; 分隔）",
    "region6": "6位县级行政区划代码",
    "region9": "9位乡镇统计代码",
}

TRUE_WORDS = {"是", "y", "yes", "true", "1", "t"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "f"}
_TIME_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class CellError(ValueError):
    """A cell's value cannot be read; the message is the reason, in Chinese."""


@dataclass(frozen=True)
class Column:
    code: str
    type: str
    label: str = ""  # "" → the verbose_name of the model field (Ledger.model, ``field``), set on registration
    field: str = ""  # the model field it is stored in, or a lookup through relations; "" → ``code``
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    key: bool = False
    note: str = ""
    min_value: float | None = None
    exclusive_min: bool = False
    allowed: tuple[Any, ...] = ()  # allowed numeric values (e.g. voltage levels)
    default: Any = None
    required_note: str = ""  # how a conditional requirement reads on the dictionary page

    @property
    def source(self) -> str:
        """The model field (or ``relation__field`` lookup) the column is stored in."""
        return self.field or self.code

    @property
    def type_label(self) -> str:
        return TYPE_LABELS[self.type]

    @property
    def required_label(self) -> str:
        if self.required:
            return "是"
        return self.required_note or "否"

    def choice_codes(self) -> dict[str, str]:
        """Variant spellings (code or Chinese label, any case) → code (built once per column)."""
        return _choice_table(self.choices)

    def parse(self, raw: Any) -> Any:
        """The typed value of a cell, None when empty, or CellError."""
        if raw is None:
            return self.default
        if isinstance(raw, str):
            raw = raw.strip()
            if raw == "":
                return self.default
            if _UNSTORABLE.search(raw):
                raise CellError("含有无法保存的字符（NUL 控制字符或不成对的代理码位），请检查文件的编码或来源")
        return PARSERS[self.type](self, raw)


# NUL (PostgreSQL refuses it in text and JSON) and lone UTF-16 surrogates (not encodable as UTF-8)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with the characters no database can store written as escapes (for error reports)."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@functools.lru_cache(maxsize=256)
def _choice_table(choices: tuple[tuple[str, str], ...]) -> dict[str, str]:
    table: dict[str, str] = {}
    for code, label in choices:
        table[code.lower()] = code
        table[label.lower()] = code
    return table


def _text(col: Column, raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _number(col: Column, raw: Any) -> float:
    if isinstance(raw, bool):
        raise CellError("应为数值")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        try:
            value = float(str(raw).replace(",", ""))
        except ValueError:
            raise CellError("应为数值") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise CellError("应为数值")
    if col.min_value is not None:
        if col.exclusive_min and value <= col.min_value:
            raise CellError(f"应大于 {col.min_value:g}")
        if not col.exclusive_min and value < col.min_value:
            raise CellError(f"不能小于 {col.min_value:g}")
    if col.allowed and value not in col.allowed:
        raise CellError("应为以下之一：" + "、".join(f"{v:g}" for v in col.allowed))
    return value


def _int(col: Column, raw: Any) -> int:
    value = _number(Column(col.code, "number", col.label), raw)
    if not value.is_integer():
        raise CellError("应为整数")
    value = int(value)
    if col.min_value is not None:
        if col.exclusive_min and value <= col.min_value:
            raise CellError(f"应大于 {col.min_value:g}")
        if not col.exclusive_min and value < col.min_value:
            raise CellError(f"不能小于 {col.min_value:g}")
    return value


def _bool(col: Column, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = _text(col, raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError("应为 是/否、Y/N、true/false 或 1/0")


def _date(col: Column, raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        if raw.time() != dt.time(0):
            raise CellError("应为日期（不含时刻）")
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    match = _DATE_RE.match(str(raw))
    if not match:
        raise CellError("应为日期，格式 YYYY-MM-DD")
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        raise CellError("不是存在的日期") from None


def parse_time(text: str) -> dt.datetime:
    """A time in China time (aware). Other offsets are converted; naive times are China time."""
    match = _TIME_RE.match(text.strip())
    if not match:
        date_match = _DATE_RE.match(text.strip())
        if date_match:
            raise CellError("缺少时刻，格式 YYYY-MM-DD HH:MM[:SS]")
        raise CellError("应为时间，格式 YYYY-MM-DD HH:MM[:SS]")
    y, mo, d, h, mi, s, frac, tz = match.groups()
    try:
        value = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
    except ValueError:
        raise CellError("不是存在的时间") from None
    if tz:
        if tz == "Z":
            zone = dt.UTC
        else:
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            zone = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        return value.replace(tzinfo=zone).astimezone(CHINA)
    return value.replace(tzinfo=CHINA)


def _time(col: Column, raw: Any) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        return raw.replace(tzinfo=CHINA) if raw.tzinfo is None else raw.astimezone(CHINA)
    if isinstance(raw, dt.date):
        raise CellError("缺少时刻，格式 YYYY-MM-DD HH:MM[:SS]")
    return parse_time(str(raw))


def _enum(col: Column, raw: Any) -> str:
    table = col.choice_codes()
    value = table.get(_text(col, raw).strip().lower())
    if value is None:
        raise CellError("应为以下之一：" + "、".join(f"{c}（{label}）" for c, label in col.choices))
    return value


def _list(col: Column, raw: Any) -> tuple[str, ...]:
    parts = re.split(r"[;；]", _text(col, raw))
    return tuple(p.strip() for p in parts if p.strip())


def _digits(n: int):
    def parse(col: Column, raw: Any) -> str:
        text = _text(col, raw).strip()
        if not (len(text) == n and text.isdigit()):
            raise CellError(f"应为{n}位数字代码")
        return text

    return parse


PARSERS = {
    "text": _text,
    "int": _int,
    "number": _number,
    "bool": _bool,
    "date": _date,
    "time": _time,
    "enum": _enum,
    "list": _list,
    "region6": _digits(6),
    "region9": _digits(9),
}


@dataclass
class RowError:
    row: int  # row number in the file as a spreadsheet shows it (header = 1)
    column: str  # code (label shown alongside)
    value: Any
    reason: str

    def as_dict(self, labels: dict[str, str]) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "label": labels.get(self.column, self.column),
            "value": "" if self.value is None else printable(str(self.value)),
            "reason": self.reason,
        }


@dataclass
class LedgerRow:
    number: int
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)  # columns whose cell could not be read (already reported)

    def ok(self, *codes: str) -> bool:
        """True when every named cell was read and is not empty: safe to check further."""
        return all(c not in self.bad and self.values.get(c) is not None for c in codes)
