from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "getpower.web"
    label = "web"
    verbose_name = "网站"
