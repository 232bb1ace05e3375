from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "getpower.cockpit"
    label = "cockpit"
    verbose_name = "监管驾驶舱"
