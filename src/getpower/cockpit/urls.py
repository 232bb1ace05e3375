from django.urls import path

from . import views

urlpatterns = [
    path("", views.cockpit, name="cockpit"),
    path("report/", views.report_page, name="cockpit-report"),
    path("report.xlsx", views.report_xlsx, name="cockpit-report-xlsx"),
]
