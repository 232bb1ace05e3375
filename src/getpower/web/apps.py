from django.apps import AppConfig, apps
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_tables(sender, using="default", verbosity=1, **kwargs) -> None:
    """The database caches' tables (settings.CACHES "throttle") come with every migrate, so that
    `getpower migrate`, `getpower demo` and the test databases all have them (idempotent)."""
    call_command("createcachetable", database=using, verbosity=0)


class WebConfig(AppConfig):
    name = "getpower.web"
    label = "web"
    verbose_name = "网站"

    def ready(self) -> None:
        # once per migrate: after the app whose lookup uses the throttle cache
        post_migrate.connect(create_cache_tables, sender=apps.get_app_config("connections"),
                             dispatch_uid="getpower.create_cache_tables")
