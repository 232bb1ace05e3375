from django.apps import AppConfig


class OutagesConfig(AppConfig):
    name = "getpower.outages"
    label = "outages"
    verbose_name = "停电与频繁停电"

    def ready(self) -> None:
        from getpower.domains.registry import register

        from .domain import declaration

        register(declaration())
