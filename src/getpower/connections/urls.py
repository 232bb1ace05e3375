from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="connections"),
    path("late/", views.home, name="connections-late"),
    path("applications/<int:pk>/", views.application, name="connections-application"),
    path("zero-scope/", views.zero_scope, name="connections-zero"),
    path("f1/", views.f1, name="connections-f1"),
]
