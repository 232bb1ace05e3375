from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "getpower.connections"
    label = "connections"
    verbose_name = "用电报装"
