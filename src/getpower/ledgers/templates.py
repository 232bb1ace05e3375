"""The downloadable Excel template of a ledger, made from its column declaration."""

from __future__ import annotations

from getpower.core import exports

from .registry import Ledger


def template_xlsx(ledger: Ledger) -> bytes:
    book = exports.workbook()
    sheet = book.add_worksheet(ledger.name)
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    required = book.add_format({"bold": True, "bg_color": "#F8CBAD", "border": 1})
    for index, col in enumerate(ledger.columns):
        sheet.write(0, index, col.label, required if col.required else head)
        sheet.set_column(index, index, max(12, len(col.label) * 2 + 2))
        hint = f"{col.code}｜{col.type_label}｜必填：{col.required_label}"
        if col.choices:
            hint += "｜可选：" + "、".join(f"{c}（{label}）" for c, label in col.choices)
        if col.note:
            hint += f"｜{col.note}"
        sheet.write_comment(0, index, hint, {"x_scale": 2, "y_scale": 1.5})
        if col.choices:
            sheet.data_validation(1, index, 100000, index, {"validate": "list",
                                                           "source": [label for _, label in col.choices]})
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet("说明")
    notes.write(0, 0, f"{ledger.label}（{ledger.name}）")
    notes.write(1, 0, ledger.description)
    notes.write(2, 0, "表头可用中文列名或英文代码；时间格式 YYYY-MM-DD HH:MM[:SS]（北京时间）；日期 YYYY-MM-DD；是/否。")
    for row, col in enumerate(ledger.columns, start=4):
        exports.write_row(notes, row, 0, [col.code, col.label, col.type_label, col.required_label, col.note])
    return exports.workbook_bytes(book)
