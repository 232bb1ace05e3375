"""Public pages (no login): the disclosures the plan demands — nothing personal."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from getpower.core.models import Organisation
from getpower.outages import services as outage_services
from getpower.outages.models import Finding, GovernanceItem


def index(request):
    run = outage_services.latest_run()
    companies = []
    if run is not None:
        year = run.as_of.year
        breaches = Finding.objects.filter(run=run, status="breach")
        per = breaches.values("company").annotate(
            lines=Count("id", filter=Q(asset_type="line")), tqs=Count("id", filter=Q(asset_type="tq")))
        by_company = {p["company"]: p for p in per}
        items = GovernanceItem.objects.filter(opened_at__year__gte=year - 1)
        closed = dict(items.filter(status="closed").values_list("company").annotate(n=Count("id"))
                      .values_list("company", "n"))
        for org in Organisation.objects.filter(kind="supplier", id__in=by_company.keys()).order_by("org_code"):
            p = by_company[org.pk]
            companies.append({"org": org, "lines": p["lines"], "tqs": p["tqs"], "closed": closed.get(org.pk, 0)})
    return render(request, "disclosure/index.html", {"title": "信息公开", "run": run, "companies": companies})


def company_outages(request, org_code: str):
    org = get_object_or_404(Organisation, org_code=org_code, kind="supplier")
    run = outage_services.latest_run()
    rows = []
    if run is not None:
        findings = Finding.objects.filter(run=run, status="breach", company=org).select_related("asset", "county")
        items = {i.asset_id: i for i in GovernanceItem.objects.filter(asset_id__in=findings.values("asset_id"))
                 .order_by("cycle")}
        for f in findings.order_by("asset_type", "asset__asset_id"):
            rows.append({"f": f, "item": items.get(f.asset_id)})
    return render(request, "disclosure/company.html", {"title": f"{org.name} 频繁停电治理情况公开", "org": org,
                                                       "run": run, "rows": rows})
