"""The download page of a filing ledger (F1, F2, F3): one company of the user's jurisdiction, one
period, the workbook of the filing centre's producer. The domains route to it from their own urls
(``connections/f1/``, ``arrears/f2/``, ``outages/f3/``) with their template and title."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from getpower.core import params
from getpower.core.scope import scope_for

from .producers import DeliverableError, Period, producer, to_xlsx


@login_required
def filing_ledger(request, code: str, template: str, title: str, default_period: str = "last"):
    """The download page of a filing ledger (F1, F2, F3) for a company in the user's jurisdiction."""
    companies = scope_for(request.user).suppliers().order_by("org_code")
    company_code = params.get_text(request.GET, "company", max_length=64)
    wanted = params.get_text(request.GET, "period")
    if company_code and wanted:
        company = companies.filter(org_code=company_code).first()
        if company is None:
            raise Http404
        try:
            period = Period.parse(wanted)
        except DeliverableError as exc:
            messages.error(request, str(exc))
        else:
            response = HttpResponse(to_xlsx(producer(code)(company, period)),
                                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            response["Content-Disposition"] = f'attachment; filename="{code}_{company.org_code}_{period.label}.xlsx"'
            return response
    today = timezone.localdate()
    period = today if default_period == "this" else today.replace(day=1) - dt.timedelta(days=1)
    return render(request, template, {"title": title, "companies": companies, "period": period.strftime("%Y-%m")})
