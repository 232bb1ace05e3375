from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_types(sender, **kwargs):
    from .services import load_filing_types

    load_filing_types()


class FilingsConfig(AppConfig):
    name = "getpower.filings"
    label = "filings"
    verbose_name = "报备中心"

    def ready(self) -> None:
        post_migrate.connect(_load_types, sender=self, dispatch_uid="getpower.filings.types")
        from getpower.domains import kpi

        from .kpis import FILINGS_ON_TIME

        kpi.register(FILINGS_ON_TIME)
        # the daily tick runs as a job (getpower.jobs), keyed by day
        from getpower.jobs import registry

        from .services import tick

        registry.register("tick", lambda job, progress: tick())
