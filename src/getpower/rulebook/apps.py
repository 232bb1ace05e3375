from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_default(sender, **kwargs):
    # the services import the models, which exist only once the app registry is ready
    from .services import ensure_default_rulebook

    ensure_default_rulebook()


class RulebookConfig(AppConfig):
    name = "getpower.rulebook"
    label = "rulebook"
    verbose_name = "规则参数"

    def ready(self) -> None:
        # the default rulebook (shared/spec/rules.md), after every migrate when none exists yet
        post_migrate.connect(_ensure_default, sender=self, dispatch_uid="getpower.rulebook.default")
