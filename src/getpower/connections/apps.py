from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "getpower.connections"
    label = "connections"
    verbose_name = "用电报装"

    def ready(self) -> None:
        # the declarations import the models, which exist only once the app registry is ready
        from getpower.domains import registry as domains
        from getpower.filings.producers import register_producer
        from getpower.filings.services import register_tick_step
        from getpower.ledgers import registry as ledgers

        from . import f1
        from .domain import declaration
        from .ledger import ApplicationsLedger, PausesLedger

        ledgers.register(ApplicationsLedger)
        ledgers.register(PausesLedger)
        domains.register(declaration())
        register_producer("F1", f1.produce)  # F1 and F1L (filings/data/filing_types.json)
        register_tick_step("f1_missing", f1.check_f1_missing, stage="check")
