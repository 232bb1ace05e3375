"""Reading a page's query parameters, once, for every view (of the domains and of the site).

A malformed value is the user's mistake, not the server's: each getter either returns the typed
value (or the default when the parameter is absent or empty) or raises :class:`BadParameter`, which
the site's 400 handler (``getpower.web.errors.bad_request``) renders as a Chinese page naming the
parameter, the value and what was expected. Views never call ``int()`` or ``date.fromisoformat()``
on ``request.GET`` themselves. (In the foundation, not in ``web``: domain views use it, and domains
never import a face.)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from django.core.exceptions import BadRequest
from django.http import Http404

MAX_SHOWN = 60  # characters of a bad value repeated on the error page
MONTH = re.compile(r"(\d{4})-(\d{1,2})")


class BadParameter(BadRequest):
    """A query parameter that cannot be read: its name, the value given and why."""

    def __init__(self, name: str, value: str, reason: str):
        self.name, self.value, self.reason = name, value, reason
        super().__init__(self.message)

    @property
    def shown_value(self) -> str:
        return self.value if len(self.value) <= MAX_SHOWN else self.value[:MAX_SHOWN] + "…"

    @property
    def message(self) -> str:
        return f"参数 {self.name} 的值“{self.shown_value}”无效：{self.reason}"


def raw(params: Mapping, name: str) -> str:
    """The parameter's text, stripped ("" when absent)."""
    value = params.get(name)
    return "" if value is None else str(value).strip()


def get_text(params: Mapping, name: str, default: str = "", *, max_length: int = 200) -> str:
    value = raw(params, name)
    if not value:
        return default
    if len(value) > max_length:
        raise BadParameter(name, value, f"长度不能超过 {max_length} 个字符")
    return value


def get_int(params: Mapping, name: str, default: int | None = None, *, min_value: int | None = None,
            max_value: int | None = None) -> int | None:
    value = raw(params, name)
    if not value:
        return default
    if not re.fullmatch(r"[+-]?[0-9]{1,18}", value):
        raise BadParameter(name, value, "应为整数")
    number = int(value)
    if min_value is not None and number < min_value:
        raise BadParameter(name, value, f"不能小于 {min_value}")
    if max_value is not None and number > max_value:
        raise BadParameter(name, value, f"不能大于 {max_value}")
    return number


def get_date(params: Mapping, name: str, default: dt.date | None = None) -> dt.date | None:
    value = raw(params, name)
    if not value:
        return default
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise BadParameter(name, value, "应为日期，格式 YYYY-MM-DD（如 2026-01-31）")


def get_month(params: Mapping, name: str, default: str | None = None) -> str | None:
    """A calendar month as ``YYYY-MM``."""
    value = raw(params, name)
    if not value:
        return default
    match = MONTH.fullmatch(value)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise BadParameter(name, value, "应为月份，格式 YYYY-MM（如 2026-11）")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def get_choice(params: Mapping, name: str, choices: Iterable[str], default: str | None = None) -> str | None:
    value = raw(params, name)
    if not value:
        return default
    allowed = list(choices)
    if value not in allowed:
        raise BadParameter(name, value, "应为以下之一：" + "、".join(allowed))
    return value


def get_company(params: Mapping, scope, name: str = "company"):
    """The supply company a list is narrowed to (``?company=ORG_CODE``), only when it lies inside the
    user's jurisdiction: a code outside it (or unknown) is a 404, so that a page never names, nor
    filters by, an organisation the user may not see."""
    code = get_text(params, name, max_length=64)
    if not code:
        return None
    company = scope.suppliers().filter(org_code=code).first()
    if company is None:
        raise Http404("该供电单位不存在或不在您的辖区内")
    return company
