from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference(sender, **kwargs):
    from .reference import load_reference_data

    load_reference_data()


class CoreConfig(AppConfig):
    name = "getpower.core"
    label = "core"
    verbose_name = "基础数据"

    def ready(self) -> None:
        # post_migrate is sent after every migration has run, so every table exists
        post_migrate.connect(_load_reference, sender=self, dispatch_uid="getpower.reference")
        from axes.signals import user_locked_out

        from .lockout import record_lockout

        user_locked_out.connect(record_lockout, dispatch_uid="getpower.lockout-audit")
