from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="filings"),
    path("summary.xlsx", views.summary, name="filings-summary"),
    path("<int:pk>/", views.detail, name="filing"),
    path("<int:pk>/act/", views.act, name="filing-act"),
    path("<int:pk>/versions/<int:number>.xlsx", views.version_file, name="filing-version"),
]
