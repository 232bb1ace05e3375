from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_schedules(sender, **kwargs):
    # the services import the models, which exist only once the app registry is ready
    from .services import load_shipped_schedules

    load_shipped_schedules()


class WorkdaysConfig(AppConfig):
    name = "getpower.workdays"
    label = "workdays"
    verbose_name = "工作日历"

    def ready(self) -> None:
        # the holiday schedules shipped with the platform, after every migrate (idempotent)
        post_migrate.connect(_load_schedules, sender=self, dispatch_uid="getpower.workdays.schedules")
