"""One list-page pattern: every list of the platform filters, sorts, paginates and exports the same way.

A list is a declaration, :class:`ListPage`, and the view it gives (``ListPage.view``). The declaration names

- ``rows``: the rows before jurisdiction and filters, a function of the :class:`Listing` (the findings of
  the chosen run, the open stages of an application…), with the ``select_related`` its table needs;
- ``company`` / ``county`` (and, for rows addressed to an authority, ``addressee``): the fields the
  jurisdiction is read from. ``scope_for(user)`` is applied to every list — page, count and export — before
  any filter, here and nowhere else: a list cannot leave it out;
- ``filterset``: a :class:`ListFilterSet` (django-filter). The area filters (:class:`AreaFilterSet`:
  州市, 县区, 供电单位) offer only the areas and companies inside the user's jurisdiction (a county
  bureau sees its own county and company, not the province's 16 prefectures); a region outside it may
  still be asked for and finds nothing; a company outside it is a 404 (a page never names nor filters
  by an organisation the user may not see);
- ``table``: a django-tables2 ``Table`` (columns, Chinese labels, links). Its columns marked
  ``orderable=True`` are the only sort keys accepted (``?sort=列`` / ``?sort=-列``); without ``sort``
  the rows come in ``default_order``; the primary key always breaks ties, so pages never overlap;
- ``per_page`` and ``page_sizes`` (``?per_page=``, ``?page=``);
- ``export``: the columns of the download (``?export=csv`` or ``?export=xlsx``): exactly the filtered,
  sorted rows, read with ``values_list`` in chunks and written through :mod:`getpower.core.exports`
  (spreadsheet text stays text) — CSV streamed, xlsx in constant memory on a temporary file;
- ``prepare`` (page-level values before the rows: the run a list is of, the page's instant),
  ``decorate`` (what the page's rows need from elsewhere, in one query for the page, never one per row)
  and ``context`` (what else the page shows: cards, charts).

A malformed value of any parameter is the user's mistake: :class:`~getpower.core.params.BadParameter`,
the site's Chinese 400 page, never a 500. Pages lay the list out with ``{% include "web/_list.html" %}``
(or its parts ``web/_list_filters.html``, ``_list_table.html``, ``_list_pager.html``). In the
foundation: it imports no domain; the domains declare their lists with it.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import dateformat, timezone
from django.utils.html import format_html

from . import exports, params
from .models import Region, region_prefix
from .scope import Scope, organisation_of, q_in_scope, scope_for

SORT, PAGE, PER_PAGE, EXPORT = "sort", "page", "per_page", "export"
CONTROLS = (SORT, PAGE, PER_PAGE, EXPORT)
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
EXPORT_CHUNK = 2000
COMPANY_NOT_FOUND = "该供电单位不存在或不在您的辖区内"


# -- filters ----------------------------------------------------------------------------------------

class ScopedChoiceField(django_filters.fields.ChoiceField):
    """A choice offered from ``choices`` (what the user's jurisdiction holds) that also accepts the
    values of ``accepted`` (every region of its level: one outside the jurisdiction finds nothing,
    as the scope underneath decides, rather than being an error)."""

    def __init__(self, *args, accepted: Iterable[str] = (), **kwargs):
        self.accepted = frozenset(accepted)
        super().__init__(*args, **kwargs)

    def valid_value(self, value) -> bool:
        return str(value) in self.accepted or super().valid_value(value)


class PrefectureFilter(django_filters.ChoiceFilter):
    """州市: rows whose county lies in the prefecture (GB/T 2260: the first four digits)."""

    field_class = ScopedChoiceField
    reason = "应为州市的行政区划代码（6 位数字，如 530100）"

    def filter(self, qs, value):
        return qs.filter(**{f"{self.field_name}__code__startswith": value[:4]}) if value else qs


class CountyFilter(django_filters.ChoiceFilter):
    """县区: rows of one county."""

    field_class = ScopedChoiceField
    reason = "应为县区的行政区划代码（6 位数字，如 530102）"

    def filter(self, qs, value):
        return qs.filter(**{f"{self.field_name}__pk": value}) if value else qs


class CompanyFilter(django_filters.ModelChoiceFilter):
    """供电单位 (``?company=单位编码``): only a supply company inside the jurisdiction; any other code is
    a 404 (:data:`COMPANY_NOT_FOUND`), as ``params.get_company`` answers."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "org_code")
        kwargs.setdefault("empty_label", "全部")
        super().__init__(*args, **kwargs)


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month"})

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        return params.get_month({"month": value}, "month")


class MonthFilter(django_filters.Filter):
    """期间 (``YYYY-MM``): a datetime field (``kind="datetime"``, China time) or a date field
    (``kind="date"``) inside the calendar month, or a text field holding the month (``kind="text"``:
    a filing's period)."""

    field_class = MonthField
    reason = "应为月份，格式 YYYY-MM（如 2026-11）"

    def __init__(self, *args, kind: str = "datetime", **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        if self.kind == "text":
            return qs.filter(**{self.field_name: value})
        year, month = (int(part) for part in value.split("-"))
        first = dt.date(year, month, 1)
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        if self.kind == "datetime":
            zone = timezone.get_current_timezone()
            first, following = (dt.datetime.combine(d, dt.time(), zone) for d in (first, following))
        return qs.filter(**{f"{self.field_name}__gte": first, f"{self.field_name}__lt": following})


class IntFilter(django_filters.Filter):
    """A whole number (an id the page links with, such as ``?asset=``)."""

    field_class = forms.IntegerField
    reason = "应为整数"


class SearchFilter(django_filters.CharFilter):
    """编号或名称: any of ``fields`` contains the text (case-insensitive)."""

    def __init__(self, *args, fields: Sequence[str] = (), **kwargs):
        self.fields = tuple(fields)
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        query = Q()
        for name in self.fields:
            query |= Q(**{f"{name}__icontains": value})
        return qs.filter(query)


def choice(label: str, choices, *, empty_label: str = "全部", **kwargs) -> django_filters.ChoiceFilter:
    """A plain choice filter with a Chinese label and "全部" for no choice."""
    return django_filters.ChoiceFilter(label=label, choices=choices, empty_label=empty_label, **kwargs)


class ListFilterSet(django_filters.FilterSet):
    """The filters of one list. Bound to the :class:`Listing` (its scope and page-level values such as
    the run), so that a filter method can read them (``self.listing``)."""

    def __init__(self, data, queryset, *, listing: Listing):
        self.listing = listing
        super().__init__(data, queryset, request=listing.request)

    def bad_parameter(self, name: str) -> Exception:
        """The error a filter's invalid value raises: 404 for a company, else a Chinese 400."""
        value = params.raw(self.data, name)
        flt = self.filters[name]
        if isinstance(flt, CompanyFilter):
            return Http404(COMPANY_NOT_FOUND)
        reason = getattr(flt, "reason", None)
        field = self.form.fields[name]
        if reason is None and isinstance(field, forms.ChoiceField):
            reason = "应为以下之一：" + "、".join(str(v) for v, _ in field.choices if v != "")
        if reason is None:
            reason = "；".join(str(e) for e in self.form.errors[name])
        return params.BadParameter(name, value, reason)


class AreaFilterSet(ListFilterSet):
    """The area filters every list takes (the cockpit's numbers link with them): ``prefecture``,
    ``county`` and ``company``, on the fields the :class:`ListPage` names, offered at the user's scope."""

    prefecture = PrefectureFilter(label="州市", empty_label="全部")
    county = CountyFilter(label="县区", empty_label="全部")
    company = CompanyFilter(label="供电单位", queryset=None)

    def __init__(self, data, queryset, *, listing: Listing):
        super().__init__(data, queryset, listing=listing)
        areas = listing.areas
        page = listing.page
        for name in (("prefecture", "county") if page.county is None else ()) + (
                ("company",) if page.company is None else ()):
            self.filters.pop(name, None)  # a list without that field has no such filter
        if "prefecture" in self.filters:
            self.filters["prefecture"].field_name = page.county
            self.filters["prefecture"].extra.update(choices=areas.prefectures, accepted=areas.all_prefectures)
        if "county" in self.filters:
            counties = areas.counties
            chosen = params.raw(self.data, "prefecture")
            if chosen in areas.all_prefectures:  # the counties of the prefecture chosen
                counties = [(name, group) for name, group in counties if group[0][0][:4] == chosen[:4]]
            self.filters["county"].field_name = page.county
            self.filters["county"].extra.update(choices=counties, accepted=areas.all_counties)
        if "company" in self.filters:
            self.filters["company"].field_name = page.company
            self.filters["company"].queryset = areas.companies
        # drawn in this order: the list's own choices, then the areas, then the searches
        rank = {name: 1 for name in ("prefecture", "county", "company")}
        for name, flt in self.filters.items():
            rank.setdefault(name, 2 if isinstance(flt, SearchFilter) else 0)
        self.filters = dict(sorted(self.filters.items(), key=lambda item: rank[item[0]]))


@dataclass(frozen=True)
class Areas:
    """The areas and companies a user's filters offer: those inside the jurisdiction. ``all_*`` are the
    codes accepted (every prefecture and county of the province)."""

    prefectures: list[tuple[str, str]]
    counties: list[tuple[str, list[tuple[str, str]]]]  # grouped by prefecture
    companies: QuerySet
    all_prefectures: frozenset[str]
    all_counties: frozenset[str]


def scope_prefixes(scope: Scope) -> tuple[str, ...] | None:
    """The GB/T 2260 prefixes of the areas a scope covers (None: the whole province)."""
    if scope.everything:
        return None
    if scope.region_prefix is not None:
        return (scope.region_prefix,)
    return tuple(sorted({region_prefix(code, level) for code, level in
                         scope.organisations().values_list("region_id", "level")}))


def areas_of(scope: Scope) -> Areas:
    """Prefectures, counties and supply companies inside a user's jurisdiction (one query for the
    regions; the companies' query runs when the filter is drawn or checked)."""
    prefixes = scope_prefixes(scope)
    regions = list(Region.objects.filter(level__in=(Region.Level.PREFECTURE, Region.Level.COUNTY))
                   .order_by("code").values_list("code", "name", "level"))
    names = {code: name for code, name, _ in regions}

    def prefecture_inside(code: str) -> bool:
        return prefixes is None or any(code[:4].startswith(p) or p.startswith(code[:4]) for p in prefixes)

    def county_inside(code: str) -> bool:
        return prefixes is None or any(code.startswith(p) for p in prefixes)

    prefectures = [(code, name) for code, name, level in regions
                   if level == Region.Level.PREFECTURE and prefecture_inside(code)]
    grouped: dict[str, list[tuple[str, str]]] = {}
    for code, name, level in regions:
        if level == Region.Level.COUNTY and county_inside(code):
            grouped.setdefault(code[:4] + "00", []).append((code, name))
    counties = [(names.get(p, p), group) for p, group in grouped.items()]
    return Areas(
        prefectures=prefectures, counties=counties, companies=scope.suppliers().order_by("org_code"),
        all_prefectures=frozenset(c for c, _, lv in regions if lv == Region.Level.PREFECTURE),
        all_counties=frozenset(c for c, _, lv in regions if lv == Region.Level.COUNTY),
    )


# -- tables -----------------------------------------------------------------------------------------

class ListTable(tables.Table):
    """The base of every list's table: nothing sortable unless a column says ``orderable=True``; empty
    cells blank; the site's ``grid`` style."""

    class Meta:
        orderable = False
        default = ""
        attrs = {"class": "grid"}
        empty_text = "没有数据"


NUM = {"th": {"class": "num"}, "td": {"class": "num"}}


class When(tables.Column):
    """A date or time, in China time, in the given format (Django's ``date`` syntax)."""

    def __init__(self, *args, format: str = "Y-m-d H:i", **kwargs):
        self.format = format
        super().__init__(*args, **kwargs)

    def render(self, value):
        return local_text(value, self.format)


def local_text(value, fmt: str = "Y-m-d H:i") -> str:
    """A date or an aware datetime as text in China time ("" for None)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, fmt)


def link(url: str, text) -> str:
    return format_html('<a href="{}">{}</a>', url, text)


# -- exports ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Export:
    """One column of a list's download: its header, the ``values_list`` path it is read from (a field,
    a relation path or an annotation of the rows) and how the value is written (a mapping of codes to
    labels, or a function)."""

    label: str
    path: str
    convert: Mapping | Callable[[Any], Any] | None = None

    def value(self, raw):
        return self.converter()(raw)

    def converter(self) -> Callable[[Any], Any]:
        """The function that writes this column's values (made once per download)."""
        convert = self.convert
        if convert is None:
            return blank_none
        if isinstance(convert, Mapping):
            return lambda raw: convert.get(raw, "" if raw is None else raw)
        return convert


def blank_none(value):
    return "" if value is None else value


def as_time(fmt: str = "%Y-%m-%d %H:%M") -> Callable[[Any], str]:
    """A date or an aware datetime written in China time with ``strftime`` (a download's rows are many:
    Django's ``dateformat`` costs ten times more)."""

    def convert(value) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.get_default_timezone())
        return value.strftime(fmt)

    return convert


def as_number(value):
    """A number as a spreadsheet should hold it: whole values without ".0", None blank."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def yes_no(value) -> str:
    return "是" if value else ""


# -- the declaration --------------------------------------------------------------------------------

Hook = Callable[["Listing"], Any]


@dataclass
class ListPage:
    """One list of the platform, declared (see the module's doc). ``view`` is the page."""

    title: str
    rows: Callable[[Listing], QuerySet]
    table: type[ListTable]
    filterset: type[ListFilterSet]
    template: str
    default_order: tuple[str, ...]
    company: str | None = "company"  # the field holding the owning organisation (scope, company filter)
    county: str | None = "county"  # the field holding the county (scope, area filters)
    addressee: str | None = None  # rows addressed to an authority are also its own (filings)
    per_page: int = 50
    page_sizes: tuple[int, ...] = (20, 50, 100, 200)
    # the download's columns, or a function giving them (read when a download is made: a ledger's columns)
    export: tuple[Export, ...] | Callable[[], tuple[Export, ...]] = ()
    export_name: str = "list"
    count_id: str = "list-count"
    noun: str = "条"
    keep: tuple[str, ...] = ()  # query parameters that are not filters but carried along (run, view)
    prepare: Hook | None = None
    decorate: Callable[[list, Listing], None] | None = None
    context: Hook | None = None

    def __post_init__(self):
        probe = self.table([])
        self.sortable = {c.name: tuple(o.for_queryset() for o in c.order_by)
                         for c in probe.columns if c.orderable}

    # the page ----------------------------------------------------------------------------------------

    @property
    def view(self) -> Callable:
        """The page's view function (logged-in users only)."""
        return login_required(self.serve)

    def serve(self, request, **extra):
        listing = self.listing(request, **extra)
        fmt = params.get_choice(request.GET, EXPORT, EXPORT_FORMATS) if self.export else None
        if fmt:
            return self.download(listing, fmt)
        return render(request, self.template, listing.template_context())

    def export_view(self, fmt: str) -> Callable:
        """A download at its own address (``/assets/export.csv``): the same rows as ``?export=csv``."""

        @login_required
        def download(request):
            return self.download(self.listing(request), fmt)

        download.__name__ = f"{self.export_name}_{fmt}"
        return download

    def listing(self, request, **extra) -> Listing:
        return Listing(self, request, extra)

    # downloads ---------------------------------------------------------------------------------------

    def export_columns(self) -> tuple[Export, ...]:
        return self.export() if callable(self.export) else self.export

    def export_rows(self, listing: Listing) -> Iterator[list]:
        """The download's rows: the list's filtered, sorted rows, read in chunks (bounded memory)."""
        columns = self.export_columns()
        converters = [c.converter() for c in columns]
        rows = listing.ordered.values_list(*(c.path for c in columns)).iterator(chunk_size=EXPORT_CHUNK)
        for raw in rows:
            yield [convert(value) for convert, value in zip(converters, raw, strict=True)]

    def download(self, listing: Listing, fmt: str):
        header = [c.label for c in self.export_columns()]
        filename = f"{self.export_name}.{fmt}"
        if fmt == "csv":
            writer = exports.csv_line_writer()

            def lines():  # a block of rows per chunk: the response's per-chunk cost is paid once per block
                yield exports.BOM + writer.writerow(header)
                block: list[str] = []
                for row in self.export_rows(listing):
                    block.append(writer.writerow(row))
                    if len(block) == EXPORT_CHUNK:
                        yield "".join(block)
                        block = []
                yield "".join(block)

            response = StreamingHttpResponse(lines(), content_type=exports.CSV_CONTENT_TYPE)
        else:
            count = listing.rows.count()
            if count > XLSX_MAX_ROWS:
                raise params.BadParameter(EXPORT, fmt, f"共 {count} 行，超过 Excel 工作表的行数上限；请缩小筛选范围或导出 CSV")
            target = tempfile.TemporaryFile()  # deleted when the response closes it
            book = exports.workbook(target, in_memory=False, constant_memory=True)
            head = book.add_format({"bold": True})
            sheet = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", self.title)[:31])
            exports.write_row(sheet, 0, 0, header, head)
            for number, row in enumerate(self.export_rows(listing), start=1):
                exports.write_row(sheet, number, 0, row)
            book.close()
            target.seek(0)
            response = FileResponse(target, content_type=exports.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class Listing:
    """One request of a :class:`ListPage`: the scope, the page-level values, the filters, the order,
    the page and its table. Every figure of the page is read from here."""

    def __init__(self, page: ListPage, request, extra: Mapping | None = None):
        self.page, self.request = page, request
        self.params: QueryDict = request.GET
        self.scope = scope_for(request.user)
        self.extra: dict = dict(extra or {})
        if page.prepare is not None:
            self.extra.update(page.prepare(self) or {})
        self._areas: Areas | None = None
        self.scoped = self.in_scope(page.rows(self))
        self.filterset = page.filterset(self.params, self.scoped, listing=self)
        if not self.filterset.is_valid():
            raise self.filterset.bad_parameter(next(iter(self.filterset.form.errors)))
        self.rows = self.filterset.qs
        self.sort = params.get_choice(self.params, SORT, [f"{d}{n}" for n in page.sortable for d in ("", "-")], "")
        self.ordered = self.rows.order_by(*self.ordering())
        self.per_page = int(params.get_choice(self.params, PER_PAGE, [str(n) for n in page.page_sizes],
                                              str(page.per_page)))
        self.page_number = params.get_int(self.params, PAGE, 1, min_value=1)
        self._page: Page | None = None
        self._table: ListTable | None = None

    # the rows --------------------------------------------------------------------------------------

    def in_scope(self, qs: QuerySet) -> QuerySet:
        """The user's jurisdiction, applied once, to every row the list reads (an authority also sees
        the rows addressed to it, when the list names an ``addressee``)."""
        page = self.page
        org = organisation_of(self.request.user)
        if page.addressee and self.scope.region_prefix is not None and org is not None:
            return qs.filter(q_in_scope(self.scope, company=page.company, county=page.county)
                             | Q(**{page.addressee: org}))
        return self.scope.filter(qs, company=page.company, county=page.county)

    @property
    def areas(self) -> Areas:
        if self._areas is None:
            self._areas = areas_of(self.scope)
        return self._areas

    def ordering(self) -> list[str]:
        keys: list[str] = []
        if self.sort:
            descending = self.sort.startswith("-")
            for key in self.page.sortable[self.sort.lstrip("-")]:
                if descending:
                    key = key[1:] if key.startswith("-") else "-" + key
                keys.append(key)
        keys.extend(k for k in self.page.default_order if k.lstrip("-") not in {x.lstrip("-") for x in keys})
        return [*keys, "pk"]

    @property
    def page_obj(self) -> Page:
        if self._page is None:
            paginator = Paginator(self.ordered, self.per_page)
            self._page = paginator.get_page(self.page_number)
            records = list(self._page.object_list)
            if self.page.decorate is not None and records:
                self.page.decorate(records, self)
            self._page.object_list = records
        return self._page

    @property
    def count(self) -> int:
        return self.page_obj.paginator.count

    @property
    def table(self) -> ListTable:
        if self._table is None:
            self._table = self.page.table(self.page_obj.object_list, request=self.request)
        return self._table

    # links --------------------------------------------------------------------------------------------

    def query(self, **changes) -> str:
        """The page's query string without page and export, with ``changes`` (None removes)."""
        query = self.params.copy()
        for name in (PAGE, EXPORT):
            query.pop(name, None)
        for name, value in changes.items():
            query.pop(name, None)
            if value not in (None, ""):
                query[name] = str(value)
        return query.urlencode()

    @property
    def base_query(self) -> str:
        return self.query()

    def headers(self) -> list[dict]:
        out = []
        for column in self.table.columns:
            th = dict(column.attrs.get("th", {}))
            classes = [c for c in str(th.get("class") or "").split() if c not in ("orderable", "asc", "desc")]
            header = {"label": column.header, "class": " ".join(classes), "url": None, "state": ""}
            if column.name in self.page.sortable:
                current = self.sort.lstrip("-") == column.name
                descending = current and self.sort.startswith("-")
                header["state"] = ("desc" if descending else "asc") if current else ""
                header["url"] = "?" + self.query(**{SORT: column.name if not current or descending
                                                    else "-" + column.name})
            out.append(header)
        return out

    @property
    def visible_fields(self) -> list:
        """The filter fields drawn: choices with more than one option (an area filter of a county bureau
        offers one county: it is not drawn, its value is carried along)."""
        return [f for f in self.filterset.form if self.drawn(f)]

    def drawn(self, bound) -> bool:
        field = bound.field
        if field.widget.is_hidden:
            return False
        if isinstance(field, forms.ModelChoiceField):
            return field.queryset.count() > 1
        if isinstance(field, forms.ChoiceField):
            count = 0
            for _, option in field.choices:
                count += len(option) if isinstance(option, list | tuple) else 1
            return count > 2  # "全部" and more than one
        return True

    @property
    def hidden_values(self) -> list[tuple[str, str]]:
        """What the filter form carries along: the kept parameters, the sort and page size, and the
        values of filters that are not drawn."""
        drawn = {f.name for f in self.visible_fields}
        names = [*self.page.keep, SORT, PER_PAGE, *(n for n in self.filterset.form.fields if n not in drawn)]
        return [(n, params.raw(self.params, n)) for n in names if params.raw(self.params, n)]

    @property
    def is_filtered(self) -> bool:
        return any(params.raw(self.params, n) for n in self.filterset.form.fields)

    @property
    def clear_query(self) -> str:
        """The list without filters (the kept parameters stay)."""
        query = QueryDict(mutable=True)
        for name in self.page.keep:
            if params.raw(self.params, name):
                query[name] = params.raw(self.params, name)
        return query.urlencode()

    @property
    def previous_url(self) -> str | None:
        page = self.page_obj
        return "?" + self.query(**{PAGE: page.previous_page_number()}) if page.has_previous() else None

    @property
    def next_url(self) -> str | None:
        page = self.page_obj
        return "?" + self.query(**{PAGE: page.next_page_number()}) if page.has_next() else None

    def size_links(self) -> list[dict]:
        return [{"n": n, "url": "?" + self.query(**{PER_PAGE: n}), "current": n == self.per_page}
                for n in self.page.page_sizes]

    def export_links(self) -> list[dict]:
        if not self.page.export:
            return []
        return [{"label": "导出 CSV", "url": "?" + self.query(**{EXPORT: "csv"})},
                {"label": "导出 Excel", "url": "?" + self.query(**{EXPORT: "xlsx"})}]

    def cleaned(self, name: str, default=None):
        return self.filterset.form.cleaned_data.get(name) or default

    def template_context(self) -> dict:
        page = self.page_obj
        context = {"title": self.page.title, "list": self, "page": page, "table": self.table,
                   "query": self.base_query, **self.extra}
        if self.page.context is not None:
            context.update(self.page.context(self) or {})
        return context


__all__ = [
    "AreaFilterSet", "CompanyFilter", "CountyFilter", "Export", "IntFilter", "ListFilterSet", "ListPage", "ListTable", "Listing",
    "MonthFilter", "NUM", "PrefectureFilter", "SearchFilter", "When", "areas_of", "as_number", "as_time", "choice",
    "link", "local_text", "yes_no",
]
