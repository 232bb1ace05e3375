from django.apps import AppConfig


class LedgersConfig(AppConfig):
    name = "getpower.ledgers"
    label = "ledgers"
    verbose_name = "台账导入"
