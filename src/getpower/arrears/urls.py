from django.urls import path

from getpower.filings.downloads import filing_ledger

from . import views

urlpatterns = [
    path("", views.case_list, name="arrears"),
    path("new/", views.file_case, name="arrears-new"),
    path("f2/", filing_ledger, {"code": "F2", "template": "arrears/f2.html", "title": "F2 居民住宅小区欠费停电清单",
                       "default_period": "this"}, name="arrears-f2"),
    path("<int:pk>/", views.case_detail, name="arrears-case"),
    path("<int:pk>/message/", views.case_message, name="arrears-message"),
    path("<int:pk>/notice/", views.case_notice, name="arrears-notice"),
]
