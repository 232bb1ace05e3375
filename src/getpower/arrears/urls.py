from django.urls import path

from . import views

urlpatterns = [
    path("", views.case_list, name="arrears"),
    path("new/", views.file_case, name="arrears-new"),
    path("f2/", views.f2, name="arrears-f2"),
    path("<int:pk>/", views.case_detail, name="arrears-case"),
    path("<int:pk>/message/", views.case_message, name="arrears-message"),
    path("<int:pk>/notice/", views.case_notice, name="arrears-notice"),
]
