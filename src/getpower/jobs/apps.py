from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "getpower.jobs"
    label = "jobs"
    verbose_name = "后台任务"

    def ready(self) -> None:
        # the models are loaded only now: the receiver and the task import them
        from getpower.domains.signals import ledger_changed

        from . import registry
        from .evaluations import evaluate_task, on_ledger_changed

        registry.register("evaluate", evaluate_task)
        ledger_changed.connect(on_ledger_changed, dispatch_uid="getpower.jobs.re-evaluate")
