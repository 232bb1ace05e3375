from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_types(sender, **kwargs):
    # the services import the models, which exist only once the app registry is ready
    from .services import load_filing_types

    load_filing_types()


class FilingsConfig(AppConfig):
    name = "getpower.filings"
    label = "filings"
    verbose_name = "报备中心"

    def ready(self) -> None:
        post_migrate.connect(_load_types, sender=self, dispatch_uid="getpower.filings.types")
        # the KPI and the tick import the models, loaded only now; the daily tick runs as a job
        # (getpower.jobs), keyed by day. The producers of F1–F3 and the tick's own steps are registered
        # by the domains that own them (connections, arrears, outages).
        from getpower.domains import kpi
        from getpower.jobs import registry

        from .kpis import FILINGS_ON_TIME
        from .services import tick

        kpi.register(FILINGS_ON_TIME)
        registry.register("tick", lambda job, progress: tick())
