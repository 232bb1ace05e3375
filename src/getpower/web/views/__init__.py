"""Pages of the foundation, one module per concern: home, the health check, assets, imports,
dictionary, calendar, rulebook, audit, and one's organisation's API tokens. The domains' own pages live
in their apps (``outages/views.py``…), the F-ledger downloads in ``filings/downloads.py``.

Every jurisdiction-bound query goes through ``scope_for(request.user).filter(...)``; a row outside
the user's jurisdiction is a 404, whatever link led there. The names below are what ``getpower.urls``
routes to."""

from .assets import asset_detail, asset_export, asset_list
from .audit import audit_page
from .calendar import calendar_page
from .dictionary import dictionary
from .health import healthz
from .home import home
from .imports import import_job, imports, ledger_template
from .rulebook import rulebook_page
from .tokens import token_list, token_revoke

__all__ = [
    "asset_detail", "asset_export", "asset_list", "audit_page", "calendar_page", "dictionary", "healthz", "home",
    "import_job", "imports", "ledger_template", "rulebook_page", "token_list", "token_revoke",
]
