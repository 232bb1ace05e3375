from django.apps import AppConfig


class LedgersConfig(AppConfig):
    name = "getpower.ledgers"
    label = "ledgers"
    verbose_name = "台账导入"

    def ready(self) -> None:
        # the import job kind (getpower.jobs), registered here so that the job queue imports no ledger
        # code; and the organisations ledger. Both modules import models, loaded only now.
        from getpower.jobs import registry

        from .jobs import import_finished, import_task
        from .organisations import OrganisationsLedger
        from .registry import register

        registry.register("import", import_task, finished=import_finished)
        register(OrganisationsLedger)
