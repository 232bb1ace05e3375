from django.apps import AppConfig


class OutagesConfig(AppConfig):
    name = "getpower.outages"
    label = "outages"
    verbose_name = "停电与频繁停电"

    def ready(self) -> None:
        # the declarations import the models, which exist only once the app registry is ready
        from getpower.domains import registry as domains
        from getpower.filings.producers import register_producer
        from getpower.ledgers import registry as ledgers

        from . import f3
        from .domain import declaration
        from .ledger import OutagesLedger

        ledgers.register(OutagesLedger)
        domains.register(declaration())
        register_producer("F3", f3.produce)
