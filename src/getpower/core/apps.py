from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference(sender, **kwargs):
    # imports the models, which exist only once the app registry is ready
    from .reference import load_reference_data

    load_reference_data()


class CoreConfig(AppConfig):
    name = "getpower.core"
    label = "core"
    verbose_name = "基础数据"

    def ready(self) -> None:
        # post_migrate is sent after every migration has run, so every table exists; it is sent to the
        # apps in the order of INSTALLED_APPS, so the regions are there before the calendars
        # (getpower.workdays) and the rulebook (getpower.rulebook) load theirs
        post_migrate.connect(_load_reference, sender=self, dispatch_uid="getpower.reference")
        # axes' signals and the lock-out receiver import models, loaded only now
        from axes.signals import user_locked_out

        from .lockout import record_lockout

        user_locked_out.connect(record_lockout, dispatch_uid="getpower.lockout-audit")
