from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "getpower.cockpit"
    label = "cockpit"
    verbose_name = "监管驾驶舱"

    def ready(self) -> None:
        # the cockpit subscribes to stored runs (no domain imports the cockpit); its services import
        # the models, loaded only now
        from getpower.domains.signals import run_stored

        from .services import snapshot_after_run

        run_stored.connect(snapshot_after_run, dispatch_uid="getpower.cockpit.snapshot")
