from django.urls import path

from getpower.filings.downloads import filing_ledger

from . import views

urlpatterns = [
    path("findings/", views.findings, name="outage-findings"),
    path("units/<int:pk>/", views.unit, name="outage-unit"),
    path("governance/", views.governance_list, name="governance"),
    path("governance/<int:pk>/", views.governance_detail, name="governance-item"),
    path("governance/<int:pk>/transition/", views.governance_transition, name="governance-transition"),
    path("governance/attachments/<int:event_pk>/", views.governance_attachment, name="governance-attachment"),
    path("exclusions/", views.exclusions, name="outage-exclusions"),
    path("records/", views.records, name="outage-records"),
    path("f3/", filing_ledger, {"code": "F3", "template": "outages/f3.html", "title": "F3 频繁停电月度台账",
                       "default_period": "last"}, name="outage-f3"),
]
