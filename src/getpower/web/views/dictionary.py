"""The data dictionary: every ledger's columns, as declared."""

from __future__ import annotations

from django.shortcuts import render

from getpower.ledgers.registry import all_ledgers


def dictionary(request):
    return render(request, "web/dictionary.html", {"title": "数据字典", "ledgers": all_ledgers()})
