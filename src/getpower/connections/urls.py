from django.urls import path

from getpower.filings.downloads import filing_ledger

from . import views

urlpatterns = [
    path("", views.home, name="connections"),
    path("late/", views.late, name="connections-late"),
    path("applications/<int:pk>/", views.application, name="connections-application"),
    path("zero-scope/", views.zero_scope, name="connections-zero"),
    path("f1/", filing_ledger, {"code": "F1", "template": "connections/f1.html", "title": "F1 需改造不满足接电时限台账",
                       "default_period": "last"}, name="connections-f1"),
]
