from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "getpower.connections"
    label = "connections"
    verbose_name = "用电报装"

    def ready(self) -> None:
        from getpower.domains.registry import register

        from .domain import declaration

        register(declaration())
