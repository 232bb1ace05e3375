from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "getpower.grid"
    label = "grid"
    verbose_name = "线路与台区"
