from django.apps import AppConfig


class ArrearsConfig(AppConfig):
    name = "getpower.arrears"
    label = "arrears"
    verbose_name = "居民小区欠费停电"

    def ready(self) -> None:
        from getpower.domains.registry import register

        from .domain import declaration

        register(declaration())
