"""The ledger registry and the base class every ledger declaration extends.

Each app registers its own ledgers in its ``AppConfig.ready()`` (``register(AssetsLedger)``), so the
registry imports no ledger; the order of ``INSTALLED_APPS`` is the order of :func:`all_ledgers`
(organisations, assets, outages, applications, application_pauses, arrears_cases). Writing rows in
bulk is :mod:`getpower.ledgers.bulk`; the consistency checks the ledgers share are
:mod:`getpower.ledgers.checks`.

The declaration drives the model write and the CSV export: :meth:`Ledger.stored` gives the model
fields of a row's values (every column stored in a field of the ledger's own model), and
a CSV export reads each column from its ``source`` (a lookup ``values_list`` takes) and writes it with
:func:`export_cell`, as the import reads it back (the assets download, ``web/views/assets.py``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import models

from .columns import CHINA, Column, LedgerRow

if TYPE_CHECKING:
    from .importer import ImportContext

_LEDGERS: dict[str, Ledger] = {}


class Ledger:
    """A ledger declaration: its columns and business key, the model its rows are stored in, plus how
    rows are checked and written. Instantiated on registration, once the models are loaded: a column
    without a label takes its model field's ``verbose_name`` then."""

    name: str = ""
    label: str = ""
    description: str = ""
    model: type[models.Model] | None = None
    columns: tuple[Column, ...] = ()
    key: tuple[str, ...] = ()
    object_type: str = ""

    def __init__(self) -> None:
        if self.model is not None:
            self.columns = tuple(col if col.label else dataclasses.replace(
                col, label=str(self.model_field(col).verbose_name)) for col in self.columns)
        unlabelled = [col.code for col in self.columns if not col.label]
        if unlabelled:
            raise ValueError(f"ledger {self.name}: columns without a label: {unlabelled}")

    def model_field(self, col: Column) -> models.Field:
        """The model field a column is stored in (the last one of a lookup through relations)."""
        model, field = self.model, None
        for part in col.source.split("__"):
            field = model._meta.get_field(part)
            model = field.related_model
        return field

    def stored(self, values: dict[str, Any]) -> dict[str, Any]:
        """The model fields of a row, by field name, for every column stored in a field of the ledger's
        own model (a relation column such as ``county_code`` → ``county`` gives the related key); an
        empty cell is the field's empty value ("" for text, its default otherwise). Columns looked up
        through a relation (``company__org_code``) are resolved by the ledger's own ``validate``."""
        out = {}
        for col in self.columns:
            if "__" in col.source:
                continue
            field = self.model._meta.get_field(col.source)
            value = values.get(col.code)
            if value is None and not field.null:
                value = field.get_default()
            elif isinstance(value, tuple):  # a list column: stored as a JSON list
                value = list(value)
            out[field.name] = value
        return out

    def column_order(self, code: str) -> int:
        for index, col in enumerate(self.columns):
            if col.code == code:
                return index
        return len(self.columns)

    def column(self, code: str) -> Column:
        return next(c for c in self.columns if c.code == code)

    # -- hooks -----------------------------------------------------------------------------------
    def validate(self, rows: list[LedgerRow], ctx: ImportContext) -> None:
        """Cross-field and reference checks; record errors on ctx; may resolve references in rows."""

    def notes(self, rows: list[LedgerRow], ctx: ImportContext) -> list[str]:
        """Summary remarks for a clean file (e.g. exclusion claims without evidence)."""
        return []

    def write(self, rows: list[LedgerRow], ctx: ImportContext) -> tuple[int, int, int]:
        raise NotImplementedError


def export_cell(col: Column, value: Any) -> Any:
    """A value in the form the import reads it: an empty cell for None, whole numbers without ".0",
    是/否, China time, a list separated by ";"."""
    if value is None:
        return ""
    if col.type == "number":
        return int(value) if float(value).is_integer() else value
    if col.type == "bool":
        return "是" if value else "否"
    if col.type == "time":
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
    if col.type == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if col.type == "list":
        return ";".join(map(str, value))
    return value


def register(ledger_cls: type[Ledger]) -> type[Ledger]:
    """Called by the app that owns the ledger, in its ``AppConfig.ready()``."""
    _LEDGERS[ledger_cls.name] = ledger_cls()
    return ledger_cls


def get_ledger(name: str) -> Ledger:
    try:
        return _LEDGERS[name]
    except KeyError:
        raise KeyError(name) from None


def all_ledgers() -> list[Ledger]:
    return list(_LEDGERS.values())
