"""Signals between the layers: domains send, faces subscribe (arrows point down only).

``run_stored``  sent by ``runs.stored`` inside the evaluation's transaction, once its findings are
                written: ``sender`` is the rule (``"R3"``), ``run`` the ``EvaluationRun``.
``ledger_changed`` sent after an import's transaction commits: ``sender`` is the ledger name,
                ``job`` the ``ImportJob``; the job queue subscribes to re-evaluate the rules that
                read the ledger.
"""

from django.dispatch import Signal

run_stored = Signal()
ledger_changed = Signal()
