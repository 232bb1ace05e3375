from django.apps import AppConfig


class RulebookConfig(AppConfig):
    name = "getpower.rulebook"
    label = "rulebook"
    verbose_name = "规则参数"
