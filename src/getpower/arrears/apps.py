from django.apps import AppConfig


class ArrearsConfig(AppConfig):
    name = "getpower.arrears"
    label = "arrears"
    verbose_name = "居民小区欠费停电"

    def ready(self) -> None:
        # the declarations import the models, which exist only once the app registry is ready
        from getpower.domains import registry as domains
        from getpower.filings.producers import register_producer
        from getpower.filings.services import register_tick_step
        from getpower.ledgers import registry as ledgers

        from . import f2
        from .domain import declaration
        from .ledger import ArrearsLedger

        ledgers.register(ArrearsLedger)
        domains.register(declaration())
        register_producer("F2", f2.produce)
        register_tick_step("cases", f2.sync_case_filings, stage="sync")
