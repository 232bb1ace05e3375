from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("freshness/", views.freshness_partial, name="freshness"),
    path("<int:pk>/", views.job_detail, name="detail"),
]
