from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "getpower.grid"
    label = "grid"
    verbose_name = "线路与台区"

    def ready(self) -> None:
        # the ledger's module imports the models, which exist only once the app registry is ready
        from getpower.ledgers.registry import register

        from .ledger import AssetsLedger

        register(AssetsLedger)
